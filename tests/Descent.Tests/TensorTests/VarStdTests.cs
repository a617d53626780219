using Xunit;

namespace Descent.Tests.TensorTests;

/// <summary>Var and Std read a lone whole-number argument as a dim, as PyTorch's <c>x.var(1)</c> does.</summary>
public class VarStdTests
{
    private static readonly Tensor X = Tensor.From(new double[,] { { 1, 2, 3, 4 }, { 2, 4, 6, 8 }, { 0, 0, 0, 1 } });

    private static void Close(double[] expected, Tensor actual)
    {
        var a = actual.ToArray<double>();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++) Assert.Equal(expected[i], a[i], 12);
    }

    [Fact]
    public void OneIntArgumentIsTheDim()
    {
        Assert.Equal([3], X.Var(1).Shape.ToArray());
        Close([5.0 / 3, 20.0 / 3, 0.25], X.Var(1));
        Assert.Equal([4], X.Std(0).Shape.ToArray());
        Assert.Equal(1.0, X.Std(0).ToArray<double>()[0], 12);
    }

    [Fact]
    public void NoDimMeansAllElements()
    {
        double mean = 31.0 / 12, ss = 0;
        foreach (var v in X.ToArray<double>()) ss += (v - mean) * (v - mean);
        Assert.Equal(ss / 11, X.Var().Item(), 12);
        Assert.Equal(ss / 12, X.Var(correction: 0).Item(), 12);
        Assert.Equal(Math.Sqrt(ss / 12), X.Std(correction: 0).Item(), 12);
        Assert.Equal([1, 1], X.Var(keepDim: true).Shape.ToArray());
    }

    [Fact]
    public void DimWithCorrectionAndKeepDim()
    {
        var v = X.Var(1, keepDim: true, correction: 0);
        Assert.Equal([3, 1], v.Shape.ToArray());
        Close([1.25, 5.0, 0.1875], v);
    }

    [Fact]
    public void StdOfAConstantRowHasAZeroGradientNotNaN()
    {
        // torch: x = tensor([[1., 1., 1.], [1., 2., 4.]], requires_grad=True); x.std(1).sum().backward() gives
        // [[0, 0, 0], [-0.4364, -0.1091, 0.5455]]; 1 / (2 sqrt(0)) times the variance's zero gradient made it NaN.
        var x = Tensor.From(new double[,] { { 1, 1, 1 }, { 1, 2, 4 } }, requiresGrad: true);
        var s = x.Std(1);
        Assert.Equal("StdBackward0", s.GradFn!.Name);
        s.Sum().Backward();
        Close([0, 0, 0, -0.43643578047198484, -0.10910894511799625, 0.5455447255899809], x.Grad!);
        var c = Tensor.From(new float[] { 2, 2, 2 }, requiresGrad: true);
        c.Std().Backward();
        Assert.Equal([0f, 0, 0], c.Grad!.ToArray<float>());
    }
}
