using Descent;
using Xunit;
using Xunit.Abstractions;

namespace Descent.Tests;

public class SmokeTests(ITestOutputHelper output)
{
    [Fact]
    public void LessonLoopRuns()
    {
        var inputs = Tensor.From(new float[,] { { 73, 67, 43 }, { 91, 88, 64 }, { 87, 134, 58 }, { 102, 43, 37 }, { 69, 96, 70 } });
        var targets = Tensor.From(new float[,] { { 56, 70 }, { 81, 101 }, { 119, 133 }, { 22, 37 }, { 103, 119 } });
        var w = Tensor.RandN([2, 3], requiresGrad: true, generator: new Generator(42));
        var b = Tensor.RandN([2], requiresGrad: true, generator: new Generator(43));
        output.WriteLine(w.ToString());
        output.WriteLine(b.ToString());
        float first = 0, last = 0;
        for (int epoch = 0; epoch < 100; epoch++)
        {
            var preds = inputs.MatMul(w.T) + b;
            var diff = preds - targets;
            var loss = (diff * diff).Sum() / diff.Numel();
            if (epoch == 0) { first = loss.Item<float>(); output.WriteLine(loss.ToString()); output.WriteLine(preds.ToString()); }
            last = loss.Item<float>();
            loss.Backward();
            using (Tensor.NoGrad())
            {
                w.SubInPlace(w.Grad! * 1e-5);
                b.SubInPlace(b.Grad! * 1e-5);
                w.Grad!.ZeroInPlace();
                b.Grad!.ZeroInPlace();
            }
        }
        output.WriteLine($"{first} -> {last}");
        Assert.True(last < first);
    }
}
