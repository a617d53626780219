using Xunit;

namespace Descent.Tests.TensorTests;

/// <summary>Tensors with no elements go through every op, as in PyTorch, including empty views whose offset lies past the end of their storage.</summary>
public class EmptyTensorTests
{
    /// <summary>Shape [0], offset 1, on a storage of no elements: what Select gives on a [0, 2] tensor.</summary>
    private static Tensor EmptyView(DType dtype = DType.Float32) => Tensor.Zeros([0, 2], dtype).Select(1, 1);

    [Fact]
    public void EmptyViewCopiesAndConverts()
    {
        var v = EmptyView();
        Assert.Equal(1, v.StorageOffset);
        Assert.Equal([0], v.Contiguous().Shape.ToArray());
        Assert.Empty(v.Clone().ToArray<float>());
        Assert.Empty(v.To(DType.Float64).ToArray<double>());
        Assert.Equal("tensor([])", v.ToString());
    }

    [Fact]
    public void CatSkipsOneDimEmptyTensorsAsPyTorch()
    {
        // torch 1.13: cat([zeros(0, dtype=float64), ones(2, 3)]) is float64 of shape [2, 3]; cat([zeros(0), x], 1) and
        // cat([x, zeros(0)], -1) join along x's dims; the empty tensor's gradient has shape [0]; cat([zeros(0, 3), ones(2, 4)])
        // still raises, as only 1-D empty tensors are skipped.
        var x = Tensor.Arange(6).To(DType.Float32).Reshape(2, 3);
        var joined = Tensor.Cat([Tensor.Zeros([0], DType.Float64), x, Tensor.Zeros(0), x]);
        Assert.Equal(DType.Float64, joined.DType);
        Assert.Equal([4, 3], joined.Shape.ToArray());
        Assert.Equal([0.0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5], joined.ToArray<double>());
        Assert.Equal([2, 3], Tensor.Cat([Tensor.Zeros(0), x], 1).Shape.ToArray());
        Assert.Equal([2, 3], Tensor.Cat([x, Tensor.Zeros(0)], -1).Shape.ToArray());
        Assert.Equal([0], Tensor.Cat([Tensor.Zeros(0), Tensor.Zeros(0)]).Shape.ToArray());
        var empty = Tensor.Zeros([0], requiresGrad: true);
        var w = Tensor.Ones([2, 3], requiresGrad: true);
        Tensor.Cat([empty, w * 2.0]).Sum().Backward();
        Assert.Equal([0], empty.Grad!.Shape.ToArray());
        Assert.Equal([2f, 2, 2, 2, 2, 2], w.Grad!.ToArray<float>());
        Assert.Throws<ShapeMismatchException>(() => Tensor.Cat([Tensor.Zeros(0, 3), Tensor.Ones(2, 4)]));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void UnaryOpsOnEmptyTensors(DType dtype)
    {
        foreach (var x in new[] { Tensor.Zeros([0], dtype), EmptyView(dtype), Tensor.Zeros([3, 0], dtype) })
        {
            foreach (var y in new[] { x.Sigmoid(), x.Exp(), x.Log(), x.Tanh(), x.Sqrt(), x.Abs(), -x, x.Relu(), x.Clamp(0, 1) })
            {
                Assert.Equal(x.Shape.ToArray(), y.Shape.ToArray());
                Assert.Equal(0, y.Count);
            }
        }
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int64)]
    public void SumsOfNothingAreZero(DType dtype)
    {
        Assert.Equal(0.0, EmptyView(dtype).Sum().Item());
        Assert.Equal(0.0, Tensor.Zeros([0], dtype).Sum().Item());
        Assert.Equal(new double[3], Tensor.Zeros([0, 3], dtype).Sum(0).To(DType.Float64).ToArray<double>());
        Assert.Equal(new double[3], Tensor.Zeros([3, 0], dtype).Sum(1).To(DType.Float64).ToArray<double>());
    }

    [Fact]
    public void MeanOfNothingIsNaN() => Assert.True(double.IsNaN(EmptyView().Mean().Item()));

    [Fact]
    public void MatMulWithAnEmptyInnerDimIsZeros()
    {
        Assert.Equal(new float[6], Tensor.Zeros(2, 0).MatMul(Tensor.Zeros(0, 3)).ToArray<float>());
        Assert.Equal([2, 0], Tensor.Zeros(2, 3).MatMul(Tensor.Zeros(3, 0)).Shape.ToArray());
    }

    [Fact]
    public void BackwardThroughAnEmptyTensor()
    {
        var x = Tensor.Zeros([0, 2], DType.Float64, requiresGrad: true);
        (x.Select(1, 1).Sigmoid().Sum() + 1.0).Backward();
        Assert.Equal([0, 2], x.Grad!.Shape.ToArray());
    }
}
