using Xunit;

namespace Descent.Tests.Ops;

/// <summary>ReLU's backward, one pass over gradient and output (PyTorch's threshold_backward).</summary>
public class ReluGradientTests
{
    [Fact]
    public void ZeroWhereOutputIsAtMostZeroAndPassesElsewhereIncludingNaN()
    {
        // PyTorch 1.13: torch.relu(x).backward(g) for these x and g gives [0, 0, 7, 8, inf, 0].
        var x = Tensor.From(new float[] { -2, 0, 3, float.NaN, 1e-30f, -0f }).WithGrad();
        x.Relu().Backward(Tensor.From(new float[] { 5, 6, 7, 8, float.PositiveInfinity, 9 }));
        Assert.Equal([0f, 0f, 7f, 8f, float.PositiveInfinity, 0f], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void BroadcastGradientFromASum()
    {
        var x = Tensor.From(new double[,] { { -1, 2 }, { 3, -4 } }).WithGrad();
        (x.Relu().Sum() * 3.0).Backward();
        Assert.Equal(new double[,] { { 0, 3 }, { 3, 0 } }, (double[,])x.Grad!.ToArray());
    }

    [Fact]
    public void MatchesTheMaskProductAboveTheParallelThreshold()
    {
        var g = new Generator(4);
        var x = Tensor.RandN([400, 401], generator: g).WithGrad();
        var upstream = Tensor.RandN([401, 400], generator: g).T;
        x.Relu().Backward(upstream);
        Assert.Equal((upstream * x.Detach().Gt(0.0).To(DType.Float32)).ToArray<float>(), x.Grad!.ToArray<float>());
    }
}

internal static class GradLeaf
{
    public static Tensor WithGrad(this Tensor t)
    {
        t.RequiresGrad = true;
        return t;
    }
}
