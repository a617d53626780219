using Xunit;

namespace Descent.Tests.Autograd;

/// <summary>Recorded in-place ops on results of ops (PyTorch's <c>a = x * 1; a.mul_(y)</c>) differentiate as their out-of-place forms.</summary>
public class InPlaceOnResultsTests
{
    private static Tensor Leaf(params double[] values) => Tensor.From(values, requiresGrad: true);

    [Fact]
    public void MulInPlaceOnAResult()
    {
        var x = Leaf(1, 2, 3);
        var y = Leaf(4, 5, 6);
        var a = (x * 2.0).MulInPlace(y);
        a.Sum().Backward();
        Assert.Equal(new double[] { 8, 20, 36 }, a.ToArray<double>());
        Assert.Equal(new double[] { 8, 10, 12 }, x.Grad!.ToArray<double>());
        Assert.Equal(new double[] { 2, 4, 6 }, y.Grad!.ToArray<double>());
    }

    [Fact]
    public void DivInPlaceOnAResult()
    {
        var x = Leaf(1, 2, 3);
        var y = Leaf(2, 4, 8);
        var a = (x * 1.0).DivInPlace(y);
        a.Sum().Backward();
        Assert.Equal(new double[] { 0.5, 0.25, 0.125 }, x.Grad!.ToArray<double>());
        Assert.Equal(new double[] { -0.25, -0.125, -3.0 / 64 }, y.Grad!.ToArray<double>());
    }

    [Fact]
    public void MulInPlaceByItselfFailsAtBackwardAsInPyTorch()
    {
        // The right operand is the tensor being overwritten, and its old values are needed: PyTorch refuses too.
        var x = Leaf(1, 2, 3);
        var a = x * 1.0;
        a.MulInPlace(a);
        Assert.Equal(new double[] { 1, 4, 9 }, a.ToArray<double>());
        var e = Assert.Throws<InvalidOperationException>(() => a.Sum().Backward());
        Assert.Contains("modified by an in-place operation", e.Message);
    }

    [Fact]
    public void MulInPlaceByATensorWithoutGrad()
    {
        var x = Leaf(1, 2, 3);
        var a = (x * 1.0).MulInPlace(Tensor.From(new double[] { 4, 5, 6 }));
        a.Sum().Backward();
        Assert.Equal(new double[] { 4, 5, 6 }, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void ChangingAnOperandAfterwardsIsStillCaught()
    {
        var x = Leaf(1, 2, 3);
        var y = Leaf(4, 5, 6);
        var b = y * 1.0;
        var a = (x * 1.0).MulInPlace(b);
        b.AddInPlace(1.0);
        var e = Assert.Throws<InvalidOperationException>(() => a.Sum().Backward());
        Assert.Contains("modified by an in-place operation", e.Message);
    }
}
