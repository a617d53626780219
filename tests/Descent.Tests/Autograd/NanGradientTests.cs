using Xunit;

namespace Descent.Tests.Autograd;

/// <summary>Gradients of max and min where NaN takes part, against PyTorch 1.13's values.</summary>
public class NanGradientTests
{
    private static Tensor Leaf(params float[] values) => Tensor.From(values, requiresGrad: true);

    [Fact]
    public void MaxAndMinOfAllGiveTheGradientToTheNaNs()
    {
        // torch: tensor([1, nan, 3]).max() backward gives [0, 1, 0]; tensor([1, nan, nan]).min() gives [0, .5, .5].
        // Before, no element equalled the NaN result, and 0 / 0 made every gradient NaN.
        var x = Leaf(1, float.NaN, 3);
        x.Max().Backward();
        Assert.Equal([0f, 1, 0], x.Grad!.ToArray<float>());
        var y = Leaf(1, float.NaN, float.NaN);
        y.Min().Backward();
        Assert.Equal([0f, 0.5f, 0.5f], y.Grad!.ToArray<float>());
        var ties = Leaf(1, 3, 3);
        ties.Max().Backward();
        Assert.Equal([0f, 0.5f, 0.5f], ties.Grad!.ToArray<float>());
    }

    [Fact]
    public void MaximumAndMinimumGiveBothSidesTheGradientAtANaN()
    {
        // torch: a = [nan, 1, 2, 5], b = [1, nan, 2, 3]: a.maximum(b).sum() backward gives a [1, 1, .5, 1] and
        // b [1, 1, .5, 0]; minimum gives a [1, 1, .5, 0] and b [1, 1, .5, 1].
        var a = Leaf(float.NaN, 1, 2, 5);
        var b = Leaf(1, float.NaN, 2, 3);
        a.Maximum(b).Sum().Backward();
        Assert.Equal([1f, 1, 0.5f, 1], a.Grad!.ToArray<float>());
        Assert.Equal([1f, 1, 0.5f, 0], b.Grad!.ToArray<float>());
        var c = Leaf(float.NaN, 1, 2, 5);
        var d = Leaf(1, float.NaN, 2, 3);
        c.Minimum(d).Sum().Backward();
        Assert.Equal([1f, 1, 0.5f, 0], c.Grad!.ToArray<float>());
        Assert.Equal([1f, 1, 0.5f, 1], d.Grad!.ToArray<float>());
    }

    [Fact]
    public void TheLosingSideGetsAnExactZeroEvenFromANaNOrInfiniteGradient()
    {
        // torch: a = [1, 3], b = [2, 2]; a.maximum(b).backward([nan, nan]) gives a [0, nan] and b [nan, 0];
        // tensor([1, 3]).max().backward(inf) gives [0, inf]. Multiplying by a 0/1 mask made the zeros NaN.
        var a = Leaf(1, 3);
        var b = Leaf(2, 2);
        a.Maximum(b).Backward(Tensor.From(new[] { float.NaN, float.NaN }));
        var ga = a.Grad!.ToArray<float>();
        var gb = b.Grad!.ToArray<float>();
        Assert.Equal(0f, ga[0]);
        Assert.True(float.IsNaN(ga[1]));
        Assert.True(float.IsNaN(gb[0]));
        Assert.Equal(0f, gb[1]);
        var x = Leaf(1, 3);
        x.Max().Backward(Tensor.Scalar(float.PositiveInfinity));
        Assert.Equal([0f, float.PositiveInfinity], x.Grad!.ToArray<float>());
    }
}
