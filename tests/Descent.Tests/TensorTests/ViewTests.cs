using Xunit;

namespace Descent.Tests.TensorTests;

/// <summary>Every view shares storage with its base; Contiguous, Clone and a Reshape that cannot view copy.</summary>
public class ViewTests
{
    private static Tensor Matrix() => Tensor.From(new float[,] { { 0, 1, 2 }, { 3, 4, 5 } });

    private static void AssertSharesStorage(Tensor view, Tensor baseTensor)
    {
        int version = baseTensor.Version;
        var before = baseTensor.ToArray<float>();
        view.AddInPlace(100.0);
        Assert.Equal(version + 1, baseTensor.Version);
        Assert.Equal(baseTensor.Version, view.Version);
        var after = baseTensor.ToArray<float>();
        Assert.Equal(view.Count, after.Zip(before).Count(p => p.First == p.Second + 100));
    }

    public static TheoryData<string> Views() =>
        ["T", "MT", "Transpose", "Permute", "Movedim", "Reshape", "View", "Flatten", "Squeeze", "Unsqueeze", "Narrow", "Select", "Range", "FromEnd", "Expand"];

    private static Tensor Take(Tensor m, string view) => view switch
    {
        "T" => m.T,
        "MT" => m.MT,
        "Transpose" => m.Transpose(0, -1),
        "Permute" => m.Permute(1, 0),
        "Movedim" => m.Movedim(0, 1),
        "Reshape" => m.Reshape(3, 2),
        "View" => m.View(-1),
        "Flatten" => m.Flatten(),
        "Squeeze" => m.Unsqueeze(0).Squeeze(),
        "Unsqueeze" => m.Unsqueeze(1),
        "Narrow" => m.Narrow(1, 1, 2),
        "Select" => m.Select(0, 1),
        "Range" => m[.., 1..],
        "FromEnd" => m[^1, ^2..],
        "Expand" => m.Unsqueeze(0).Expand(1, 2, 3),
        _ => throw new ArgumentException(view),
    };

    [Theory]
    [MemberData(nameof(Views))]
    public void ViewsShareStorageAndTheVersionCounter(string view)
    {
        var m = Matrix();
        var v = Take(m, view);
        Assert.Same(m.Storage, v.Storage);
        AssertSharesStorage(v, m);
        // And the other way round: writing the base shows through the view.
        var w = Take(m, view);
        var before = w.ToArray<float>();
        m.MulInPlace(0.0);
        Assert.All(w.ToArray<float>(), x => Assert.Equal(0f, x));
        Assert.NotEqual(before, w.ToArray<float>());
    }

    [Fact]
    public void NarrowWithANegativeStartCountsFromTheEnd()
    {
        // torch.arange(6.).reshape(2, 3).narrow(1, -2, 2) is [[1, 2], [4, 5]]; a start below -3 is out of range.
        var m = Matrix();
        var v = m.Narrow(1, -2, 2);
        Assert.Equal([1f, 2, 4, 5], v.ToArray<float>());
        Assert.Equal(1, v.StorageOffset);
        Assert.Equal([2, 0], m.Narrow(1, -3, 0).Shape.ToArray());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => m.Narrow(1, -4, 1));
        Assert.Contains("range -4..-3 is out of bounds for dim 1 of size 3", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Narrow(1, -1, 2));
    }

    [Fact]
    public void ViewValuesAndShapes()
    {
        var m = Matrix();
        Assert.Equal([0f, 3, 1, 4, 2, 5], m.T.ToArray<float>());
        Assert.Equal([3, 2], m.T.Shape.ToArray());
        Assert.Equal([1, 3], m.T.Strides.ToArray());
        Assert.False(m.T.IsContiguous);
        Assert.Equal([3f, 4, 5], m[1].ToArray<float>());
        Assert.Equal([1f, 4], m[.., 1].ToArray<float>());
        Assert.Equal([4f, 5], m[^1, 1..].ToArray<float>());
        Assert.Equal([2f], m[0, ^1..].ToArray<float>());
        Assert.Equal(5f, m[^1, ^1].Item<float>());
        Assert.Equal(0, m[1, 2].Dim);
        Assert.Equal([0, 3], m[1..1].Shape.ToArray());
        Assert.Equal([1f, 2, 4, 5], m.Narrow(1, 1, 2).ToArray<float>());
        Assert.Equal(1, m.Narrow(1, 1, 2).StorageOffset);
        Assert.Equal(5, m[1, ^1..].StorageOffset);
        Assert.Equal([1, 2, 1, 3], m.Unsqueeze(0).Unsqueeze(2).Shape.ToArray());
        Assert.Equal([2, 3], m.Unsqueeze(0).Unsqueeze(2).Squeeze().Shape.ToArray());
        Assert.Equal([2, 1, 3], m.Unsqueeze(-2).Shape.ToArray());
        Assert.Equal([2, 3], m.Squeeze(0).Shape.ToArray()); // not size 1: unchanged
        var e = m[.., 0].Unsqueeze(1).Expand(2, 4);
        Assert.Equal([3, 0], e.Strides.ToArray());
        Assert.Equal([0f, 0, 0, 0, 3, 3, 3, 3], e.ToArray<float>());
        Assert.Equal([3, 2, 3], m.Expand(3, -1, -1).Shape.ToArray());
        Assert.Equal([0, 3, 1], m.Expand(3, -1, -1).Strides.ToArray());
        var p = Tensor.Zeros(2, 3, 4).Permute(2, 0, 1);
        Assert.Equal([4, 2, 3], p.Shape.ToArray());
        Assert.Equal([1, 12, 4], p.Strides.ToArray());
        Assert.Equal([2, 4, 3], Tensor.Zeros(2, 3, 4).Movedim(1, -1).Shape.ToArray());
        Assert.Equal([2, 12], Tensor.Zeros(2, 3, 4).Flatten(1).Shape.ToArray());
        Assert.Equal([6, 4], Tensor.Zeros(2, 3, 4).Flatten(0, 1).Shape.ToArray());
    }

    [Fact]
    public void ViewThrowsWhereOnlyACopyWorksAndReshapeCopies()
    {
        var t = Matrix().T;
        var e = Assert.Throws<InvalidOperationException>(() => t.View(6));
        Assert.Contains("[3, 2]", e.Message);
        Assert.Contains("Reshape", e.Message);
        var r = t.Reshape(6);
        Assert.NotSame(t.Storage, r.Storage);
        Assert.Equal([0f, 3, 1, 4, 2, 5], r.ToArray<float>());
        // A transposed tensor can still be viewed where its layout allows.
        Assert.Same(t.Storage, t.View(3, 1, 2).Storage);
        Assert.Same(t.Storage, t.Unsqueeze(0).Storage);
        // Narrowed columns cannot be flattened without a copy.
        Assert.Throws<InvalidOperationException>(() => Matrix()[.., 1..].View(4));
    }

    [Fact]
    public void ContiguousAndCloneCopy()
    {
        var m = Matrix();
        Assert.Same(m, m.Contiguous());
        var c = m.T.Contiguous();
        Assert.True(c.IsContiguous);
        Assert.NotSame(m.Storage, c.Storage);
        Assert.Equal([0f, 3, 1, 4, 2, 5], c.ToArray<float>());
        var clone = m.Clone();
        Assert.NotSame(m.Storage, clone.Storage);
        clone.FillInPlace(9);
        Assert.Equal([0f, 1, 2, 3, 4, 5], m.ToArray<float>());
        Assert.Equal(0, m.Version);
        var x = Tensor.Ones([2], requiresGrad: true);
        Assert.Equal("CloneBackward0", x.Clone().GradFn!.Name);
    }

    [Fact]
    public void EmptyViewsAreContiguousAndReadable()
    {
        var m = Tensor.Zeros(4, 4);
        var empty = m.Narrow(0, 4, 0).Narrow(1, 4, 0);
        Assert.Equal([0, 0], empty.Shape.ToArray());
        Assert.True(empty.IsContiguous);
        Assert.Empty(empty.ToArray<float>());
        Assert.Equal(0f, empty.Sum().Item<float>());
        Assert.Equal("tensor([], size=(0, 0))", empty.ToString());
        Assert.True(Tensor.Zeros(3, 0).T.IsContiguous);
    }

    [Fact]
    public void ExpandRefusesANegativeSizeOtherThanMinusOneOnAnExistingDim()
    {
        // torch: ones(1).expand(-2) and ones(2, 1).expand(2, -3) raise, as does -1 for a new leading dim; -1 keeps a size.
        var one = Assert.Throws<ShapeMismatchException>(() => Tensor.Ones(1).Expand(-2));
        Assert.Contains("size -2 for dim 0 of [-2]", one.Message);
        Assert.Throws<ShapeMismatchException>(() => Tensor.Ones(2, 1).Expand(2, -3));
        Assert.Contains("size -1 is not allowed for the new leading dim 0", Assert.Throws<ShapeMismatchException>(() => Tensor.Ones(3).Expand(-1, 3)).Message);
        Assert.Contains("size -4", Assert.Throws<ShapeMismatchException>(() => Tensor.Ones(3).Expand(-4, 3)).Message);
        Assert.Equal([2, 3], Tensor.Ones(2, 1).Expand(-1, 3).Shape.ToArray());
    }

    [Fact]
    public void FlattenOfAZeroDimTensorChecksItsDims()
    {
        // torch: tensor(3.).flatten() and .flatten(-1, 0) have shape [1]; .flatten(5) raises "Dimension out of range".
        var s = Tensor.Scalar(3);
        Assert.Equal([1], s.Flatten().Shape.ToArray());
        Assert.Equal([1], s.Flatten(-1, 0).Shape.ToArray());
        Assert.Contains("Flatten: dim 5", Assert.Throws<ArgumentOutOfRangeException>(() => s.Flatten(5)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Flatten(0, 1));
    }

    [Fact]
    public void NarrowRefusesALengthThatRunsPastTheEndEvenWhenTheSumOverflows()
    {
        // torch: zeros(1000000).narrow(0, 999990, 2**31 - 101) raises "start (999990) + length (2147483547) exceeds dimension size (1000000)".
        var x = Tensor.Zeros(1000000);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(0, 999990, int.MaxValue - 100));
        Assert.Contains("range 999990..2148483537 is out of bounds for dim 0 of size 1000000", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(0, -10, int.MaxValue - 100));
        Assert.Equal([10], x.Narrow(0, -10, 10).Shape.ToArray());
    }

    [Fact]
    public void ViewErrorsNameTheProblem()
    {
        var m = Matrix();
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => m.Transpose(0, 2));
        Assert.Contains("Transpose", e1.Message);
        Assert.Contains("dim 2", e1.Message);
        var e2 = Assert.Throws<ShapeMismatchException>(() => m.Reshape(4, 2));
        Assert.Contains("[4, 2]", e2.Message);
        Assert.Contains("[2, 3]", e2.Message);
        var e3 = Assert.Throws<ShapeMismatchException>(() => m.Expand(2, 4));
        Assert.Contains("[2, 3]", e3.Message);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => m.Narrow(1, 2, 2));
        Assert.Contains("dim 1 of size 3", e4.Message);
        var e5 = Assert.Throws<ShapeMismatchException>(() => m.Permute(1, 0, 2));
        Assert.Contains("Permute", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(() => m.Permute(1, 1));
        Assert.Contains("twice", e6.Message);
        var e7 = Assert.Throws<ShapeMismatchException>(() => Tensor.Zeros(2, 3, 4).T);
        Assert.Contains("MT", e7.Message);
        var e8 = Assert.Throws<ShapeMismatchException>(() => m.Reshape(-1, -1));
        Assert.Contains("-1", e8.Message);
    }
}
