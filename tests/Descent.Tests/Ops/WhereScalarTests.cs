using Xunit;

namespace Descent.Tests.Ops;

/// <summary>Tensor.Where with numbers on either side, as PyTorch's <c>torch.where(mask, x, 0.0)</c> and <c>torch.where(mask, 1.0, 0.0)</c>.</summary>
public class WhereScalarTests
{
    private static readonly Tensor Mask = Tensor.From(new[,] { { true, false }, { false, true } });

    [Fact]
    public void TwoNumbersGiveAFloat32TensorOfTheConditionsShape()
    {
        var r = Tensor.Where(Mask, 1.0, -2.5);
        Assert.Equal(DType.Float32, r.DType);
        Assert.Equal([2, 2], r.Shape.ToArray());
        Assert.Equal([1f, -2.5f, -2.5f, 1f], r.ToArray<float>());
    }

    [Fact]
    public void ANumberForTheFirstBranchTakesTheTensorsDTypeAndItsGradientFlowsToTheTensor()
    {
        var b = Tensor.From(new double[] { 10, 20 }, requiresGrad: true);
        var r = Tensor.Where(Tensor.From(new[] { true, false }), 0.5, b);
        Assert.Equal(DType.Float64, r.DType);
        Assert.Equal([0.5, 20], r.ToArray<double>());
        r.Sum().Backward();
        Assert.Equal([0.0, 1.0], b.Grad!.ToArray<double>());
    }

    [Fact]
    public void TwoBoolBranchesGiveBoolsAsInPyTorch()
    {
        var c = Tensor.From(new[] { true, false, true });
        var r = Tensor.Where(c, Tensor.From(new[] { true, true, false }), Tensor.From(new[] { false, true, true }));
        Assert.Equal(DType.Bool, r.DType);
        Assert.Equal([true, true, false], r.ToArray<bool>());
        // Broadcast branches: PyTorch gives [[T, T, T], [F, T, F]].
        var wide = Tensor.Where(c, Tensor.From(new[,] { { true }, { false } }), Tensor.From(new[] { false, true, true }));
        Assert.Equal(DType.Bool, wide.DType);
        Assert.Equal([2, 3], wide.Shape.ToArray());
        Assert.Equal([true, true, true, false, true, false], wide.ToArray<bool>());
        // A bool branch against an int64 one promotes as arithmetic does: PyTorch gives [1, 3, 0].
        var mixed = Tensor.Where(c, Tensor.From(new[] { true, true, false }), Tensor.From(new long[] { 2, 3, 4 }));
        Assert.Equal(DType.Int64, mixed.DType);
        Assert.Equal([1L, 3, 0], mixed.ToArray<long>());
    }

    [Fact]
    public void ANonBoolConditionIsRefused()
    {
        var e = Assert.Throws<DTypeMismatchException>(() => Tensor.Where(Tensor.Ones(2), 1.0, 0.0));
        Assert.Contains("float32", e.Message);
    }
}
