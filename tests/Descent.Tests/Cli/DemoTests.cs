using Xunit;

namespace Descent.Tests.Cli;

public sealed class DemoTests
{
    [Fact]
    public void DemoReplaysTheLessonStepByStep()
    {
        var r = CliFolder.Run("demo");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal("", r.Err);
        for (int step = 1; step <= 10; step++) Assert.Contains($"\n{step}. ", r.Out);
        Assert.Contains("tensor([[ 73.,  67.,  43.],", r.Out);
        Assert.Contains("predictions = inputs @ w.T + b", r.Out);
        Assert.Contains("mean squared error", r.Out);
        Assert.Contains("loss.Backward()", r.Out);
        Assert.Contains("w.SubInPlace(w.Grad * 1e-5)", r.Out);
        Assert.Contains("epoch 99: loss", r.Out);
        Assert.Contains("Linear(in_features=3, out_features=2, bias=True)", r.Out);
        Assert.Contains("DataLoader", r.Out);
        Assert.Contains("temp 75, rainfall 63, humidity 44", r.Out);
        Assert.Contains("least squares", r.Out);
        Assert.Contains("lowest possible loss 0.909", r.Out);
    }

    [Fact]
    public void DemoLossFallsInBothTrainingParts()
    {
        var lines = CliFolder.Run("demo").Out.Split('\n');
        static double Loss(string line) => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var manual = lines.Where(l => l.TrimStart().StartsWith("epoch", StringComparison.Ordinal) && l.Contains(": loss")).ToArray();
        Assert.Equal(11 + 6, manual.Length); // every 10th epoch of the manual loop, then every 20th of the library loop
        Assert.True(Loss(manual[10]) < Loss(manual[0]));
        Assert.True(Loss(manual[^1]) < Loss(manual[11]));
    }

    [Fact]
    public void DemoIsDeterministic() => Assert.Equal(CliFolder.Run("demo").Out, CliFolder.Run("demo").Out);
}
