using Xunit;

namespace Descent.Tests.TensorTests;

/// <summary>Reading tensors back: Item, ToArray (flat and ranked) and the indexer.</summary>
public class AccessTests
{
    [Fact]
    public void ItemConvertsFromEveryDtype()
    {
        Assert.Equal(2.5f, Tensor.Scalar(2.5).Item<float>());
        Assert.Equal(2.5, Tensor.Scalar(2.5).Item());
        Assert.Equal(2L, Tensor.Scalar(2.9).Item<long>());
        Assert.Equal(-2, Tensor.Scalar(-2.9).Item<int>());
        Assert.True(Tensor.Scalar(0.5).Item<bool>());
        Assert.False(Tensor.Scalar(0).Item<bool>());
        Assert.Equal(0.1, Tensor.Scalar(0.1, DType.Float64).Item());
        Assert.Equal(1.0, Tensor.Scalar(1, DType.Bool).Item());
        Assert.Equal(3f, Tensor.From(new long[] { 3 }).Item<float>());
        // One element in any number of dims.
        Assert.Equal(4f, Tensor.From(new float[,,] { { { 4 } } }).Item<float>());
        Assert.Equal(6f, Tensor.From(new float[,] { { 1, 2 }, { 3, 6 } })[1, 1].Item<float>());
    }

    [Fact]
    public void ItemKeepsInt64Exact()
    {
        const long big = (1L << 53) + 1;
        Assert.Equal(big, Tensor.From(new long[] { big }).Item<long>());
        Assert.Equal(long.MinValue, Tensor.From(new long[] { long.MinValue }).Item<long>());
        Assert.Equal(long.MaxValue, Tensor.From(new long[] { long.MaxValue }).Item<long>());
    }

    [Fact]
    public void ItemOnManyElementsNamesTheShape()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(2, 3).Item<float>());
        Assert.Contains("one element", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("6 elements", e.Message);
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(0).Item());
        var e2 = Assert.Throws<NotSupportedException>(() => Tensor.Scalar(1).Item<short>());
        Assert.Contains("Int16", e2.Message);
    }

    [Fact]
    public void ToArrayIsRowMajorForAnyLayout()
    {
        var m = Tensor.From(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal([1f, 2, 3, 4, 5, 6], m.ToArray<float>());
        Assert.Equal([1f, 4, 2, 5, 3, 6], m.T.ToArray<float>());
        Assert.Equal([3f, 6], m[.., ^1].ToArray<float>());
        Assert.Equal([2f, 2, 5, 5], m[.., 1].Unsqueeze(1).Expand(2, 2).ToArray<float>());
        var copy = m.ToArray<float>();
        copy[0] = 100;
        Assert.Equal(1f, m[0, 0].Item<float>());
        var e = Assert.Throws<DTypeMismatchException>(() => m.ToArray<double>());
        Assert.Contains("float32", e.Message);
        Assert.Contains("float64", e.Message);
    }

    [Fact]
    public void RankedToArrayRoundTrips()
    {
        var f2 = new float[,] { { 1, 2, 3 }, { 4, 5, 6 } };
        Assert.Equal(f2, (float[,])Tensor.From(f2).ToArray());
        Assert.Equal(new float[,] { { 1, 4 }, { 2, 5 }, { 3, 6 } }, (float[,])Tensor.From(f2).T.ToArray());
        var d3 = new double[,,] { { { 1, 2 } }, { { 3, 4 } } };
        Assert.Equal(d3, (double[,,])Tensor.From(d3).ToArray());
        var l4 = new long[1, 2, 1, 2] { { { { 1, 2 } }, { { 3, 4 } } } };
        Assert.Equal(l4, (long[,,,])Tensor.From(l4).ToArray());
        var b2 = new bool[,] { { true }, { false } };
        Assert.Equal(b2, (bool[,])Tensor.From(b2).ToArray());
        Assert.Equal(new long[] { 0, 1, 2 }, (long[])Tensor.Arange(3).ToArray());
        Assert.Equal(new float[] { 5 }, (float[])Tensor.Scalar(5).ToArray()); // zero dims: one element
        Assert.Equal(new float[0, 2], (float[,])Tensor.Zeros(0, 2).ToArray());
        var e = Assert.Throws<NotSupportedException>(() => Tensor.Zeros(1, 1, 1, 1, 2).ToArray());
        Assert.Contains("5 dims", e.Message);
    }

    [Fact]
    public void IndexerGetsViewsAndSetsThroughThem()
    {
        var m = Tensor.Zeros(3, 4);
        m[0] = Tensor.From(new float[] { 1, 2, 3, 4 });
        m[1.., 0] = Tensor.Scalar(7);          // broadcast
        m[^1, ^2..] = Tensor.From(new float[] { 8, 9 });
        m[1, 1] = Tensor.Scalar(5);
        Assert.Equal([1f, 2, 3, 4, 7, 5, 0, 0, 7, 0, 8, 9], m.ToArray<float>());
        Assert.Equal(4, m.Version);
        Assert.Equal([7f, 7], m[1.., 0].ToArray<float>());
        Assert.Equal([3, 4], m[..].Shape.ToArray());
        Assert.Equal([4], m[-1].Shape.ToArray());
        Assert.Equal([7f, 0, 8, 9], m[-1].ToArray<float>()); // a negative int counts from the end, as in PyTorch
        Assert.Equal(9f, m[2, -1].Item<float>());
        var i = Tensor.Zeros([2], DType.Int64);
        i[1] = Tensor.Scalar(3, DType.Int64);
        Assert.Equal([0L, 3], i.ToArray<long>());
    }

    [Fact]
    public void IndexedAssignmentDropsTheValuesLeadingSizeOneDims()
    {
        // torch: x = zeros(3, 4); x[0] = ones(1, 4); x[1:3] = full((1, 1, 2, 4), 2.); x[:, 1] = arange(3.).reshape(1, 3)
        // gives [[1, 0, 1, 1], [2, 1, 2, 2], [2, 2, 2, 2]]; y = zeros(2); y[0] = ones(1, 1) gives [1, 0];
        // x[0] = ones(2, 4) and x[0] = ones(1, 5) still raise.
        var x = Tensor.Zeros(3, 4);
        x[0] = Tensor.Ones(1, 4);
        x[1..3] = Tensor.Full([1, 1, 2, 4], 2.0);
        x[.., 1] = Tensor.Arange(3).To(DType.Float32).Reshape(1, 3);
        Assert.Equal([1f, 0, 1, 1, 2, 1, 2, 2, 2, 2, 2, 2], x.ToArray<float>());
        var y = Tensor.Zeros(2);
        y[0] = Tensor.Ones(1, 1);
        Assert.Equal([1f, 0], y.ToArray<float>());
        Assert.Throws<ShapeMismatchException>(() => x[0] = Tensor.Ones(2, 4));
        Assert.Throws<ShapeMismatchException>(() => x[0] = Tensor.Ones(1, 5));
    }

    [Fact]
    public void IndexErrorsNameTheDimAndItsSize()
    {
        var m = Tensor.Zeros(3, 4);
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => m[3]);
        Assert.Contains("dim 0", e1.Message);
        Assert.Contains("size 3", e1.Message);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => m[0, ^5]);
        Assert.Contains("^5", e2.Message);
        Assert.Contains("dim 1 of size 4", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => m[.., 2..6]);
        Assert.Contains("2..6", e3.Message);
        Assert.Contains("dim 1 of size 4", e3.Message);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => m[0, 0, 0]);
        Assert.Contains("3 indices", e4.Message);
        Assert.Contains("[3, 4]", e4.Message);
        var e5 = Assert.Throws<ArgumentOutOfRangeException>(() => m[-4]);
        Assert.Contains("size 3", e5.Message);
        var e6 = Assert.Throws<ShapeMismatchException>(() => m[0] = Tensor.Ones(3));
        Assert.Contains("[3]", e6.Message);
        Assert.Contains("[4]", e6.Message);
        var e7 = Assert.Throws<ArgumentOutOfRangeException>(() => m.Select(1, 4));
        Assert.Contains("dim 1 of size 4", e7.Message);
        var e8 = Assert.Throws<ArgumentOutOfRangeException>(() => m.Size(2));
        Assert.Contains("dim 2", e8.Message);
        // torch: tensor(1.).size(0) raises "Dimension specified as 0 but tensor has no dimensions".
        var e9 = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Scalar(1).Size(0));
        Assert.Contains("Size: dim 0", e9.Message);
        Assert.Contains("zero-dim", e9.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Scalar(1).Size(-1));
        Assert.Equal(4, m.Size(-1));
    }
}
