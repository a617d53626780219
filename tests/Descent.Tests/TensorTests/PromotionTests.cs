using Xunit;

namespace Descent.Tests.TensorTests;

public class PromotionTests
{
    [Fact]
    public void ZeroDimOperandOfTheSameKindDoesNotWiden()
    {
        var x = Tensor.Ones(3);
        Assert.Equal(DType.Float32, (x + Tensor.Scalar(2, DType.Float64)).DType);
        Assert.Equal(DType.Float32, (Tensor.Scalar(2, DType.Float64) * x).DType);
        var i = Tensor.Arange(3);
        Assert.Equal(DType.Int64, (i + Tensor.Scalar(2, DType.Int64)).DType);
    }

    [Fact]
    public void ZeroDimOperandOfAWiderKindWins()
    {
        var i = Tensor.Arange(3);
        Assert.Equal(DType.Float64, (i + Tensor.Scalar(0.5, DType.Float64)).DType);
        Assert.Equal(DType.Float32, (i * 0.5).DType);
    }

    [Fact]
    public void DimensionedOperandsPromoteAsUsual()
    {
        var x = Tensor.Ones(3);
        var y = Tensor.Ones([3], DType.Float64);
        Assert.Equal(DType.Float64, (x + y).DType);
        Assert.Equal(DType.Float64, (Tensor.Scalar(1) + Tensor.Scalar(1, DType.Float64)).DType);
    }

    [Fact]
    public void AWholeAlphaKeepsIntegerAddAndSubInteger()
    {
        // torch.tensor([2, 5]).sub(torch.tensor([3, 1]), alpha=2) is tensor([-4, 3]), int64; add_ likewise in place.
        var x = Tensor.From(new long[] { 2, 5 });
        var y = Tensor.From(new long[] { 3, 1 });
        var d = x.Sub(y, 2);
        Assert.Equal(DType.Int64, d.DType);
        Assert.Equal([-4L, 3], d.ToArray<long>());
        Assert.Equal([8L, 7], x.Add(y, 2).ToArray<long>());
        x.AddInPlace(y, 3);
        Assert.Equal([11L, 8], x.ToArray<long>());
        x.SubInPlace(y, -1);
        Assert.Equal([14L, 9], x.ToArray<long>());
        // A fractional alpha gives floats, as PyTorch's float + 0.5 * int does.
        Assert.Equal([3.5f, 2.5f], (Tensor.Ones(2) * 2.0).Add(y, 0.5).ToArray<float>());
    }

    [Fact]
    public void BoolTensorsAddAsOrMultiplyAsAndAndRefuseSubtraction()
    {
        // torch: t + f is [True, True], t * f is [True, False] (bool); t - f raises; t + 1 is int64 [2, 1].
        var t = Tensor.From(new[] { true, false });
        var f = Tensor.From(new[] { true, true });
        Assert.Equal(DType.Bool, (t + f).DType);
        Assert.Equal([true, true], (t + f).ToArray<bool>());
        Assert.Equal([true, false], (t * f).ToArray<bool>());
        Assert.Contains("bool", Assert.Throws<DTypeMismatchException>(() => t - f).Message);
        Assert.Equal([2L, 1], (t + 1L).ToArray<long>());
    }

    [Fact]
    public void SignHasAZeroGradient()
    {
        var x = Tensor.From(new[] { -2.0, 0.0, 3.0 }, requiresGrad: true);
        (x.Sign() * x).Sum().Backward();
        Assert.Equal([-1.0, 0.0, 1.0], x.Grad!.ToArray<double>());
        var y = Tensor.From(new[] { -2.0, 3.0 }, requiresGrad: true);
        y.Sign().Sum().Backward();
        Assert.Equal([0.0, 0.0], y.Grad!.ToArray<double>());
    }
}
