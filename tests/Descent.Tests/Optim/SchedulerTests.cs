using Descent.Optim;
using Descent.Tests.NN;
using Xunit;

namespace Descent.Tests.Optim;

public class SchedulerTests
{
    private static double[] Run(Func<Optimizer, LRScheduler> make, double lr, int epochs = 12)
    {
        var p = Tensor.Zeros([1], requiresGrad: true);
        var opt = new Sgd([p], lr);
        var scheduler = make(opt);
        var lrs = new List<double> { scheduler.GetLastLr()[0] };
        for (int e = 0; e < epochs; e++)
        {
            opt.Step();
            scheduler.Step();
            lrs.Add(scheduler.GetLastLr()[0]);
            Assert.Equal(lrs[^1], opt.ParamGroups[0].Lr);
        }
        return [.. lrs];
    }

    [Fact]
    public void LearningRateSequencesEqualPyTorchs()
    {
        var f = NNFixture.Load("schedulers.json");
        double lr = f.GetProperty("base_lr").GetDouble();
        var step = f.GetProperty("step_lr");
        Assert.Equal(step.GetProperty("lrs").Doubles(), Run(o => new StepLR(o, step.GetProperty("step_size").GetInt32(), step.GetProperty("gamma").GetDouble()), lr));
        var defaults = f.GetProperty("step_lr_default_gamma");
        Assert.Equal(defaults.GetProperty("lrs").Doubles(), Run(o => new StepLR(o, defaults.GetProperty("step_size").GetInt32()), lr));
        var exp = f.GetProperty("exponential_lr");
        Assert.Equal(exp.GetProperty("lrs").Doubles(), Run(o => new ExponentialLR(o, exp.GetProperty("gamma").GetDouble()), lr));
    }

    [Fact]
    public void SchedulersRecordInitialLrAndScaleEveryGroup()
    {
        var a = Tensor.Zeros([1], requiresGrad: true);
        var b = Tensor.Zeros([1], requiresGrad: true);
        var opt = new Sgd([new ParamGroup([a]), new ParamGroup([b], lr: 1)], lr: 0.1);
        var s = new ExponentialLR(opt, 0.5);
        Assert.Equal(0, s.LastEpoch);
        Assert.Equal([0.1, 1.0], s.BaseLrs);
        Assert.Equal(0.1, opt.ParamGroups[0].InitialLr);
        s.Step();
        Assert.Equal(1, s.LastEpoch);
        Assert.Equal([0.05, 0.5], s.GetLastLr());
        Assert.Equal(0.1, opt.StateDict().ParamGroups[0].Options["initial_lr"]);
    }

    [Fact]
    public void ResumingNeedsInitialLrAndStepSizeMustBePositive()
    {
        var opt = new Sgd([Tensor.Zeros([1], requiresGrad: true)], 0.1);
        Assert.Contains("InitialLr", Assert.Throws<ArgumentException>(() => new StepLR(opt, 2, lastEpoch: 5)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(opt, 0));
    }
}
