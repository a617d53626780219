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
