using Xunit;

namespace Descent.Tests.Autograd;

/// <summary>In-place ops under autograd: version counters, leaves, non-leaves, as PyTorch.</summary>
public class InPlaceTests
{
    private static Tensor Leaf(params float[] values) => Tensor.From(values, requiresGrad: true);

    private static readonly string[] Ops =
        ["AddInPlace", "SubInPlace", "MulInPlace", "DivInPlace", "ZeroInPlace", "FillInPlace", "CopyInPlace", "ClampInPlace", "Setter"];

    public static TheoryData<string> InPlaceOps() => [.. Ops];

    private static void RunInPlace(Tensor t, string op)
    {
        var other = Tensor.From(new float[] { 2, 2 });
        switch (op)
        {
            case "AddInPlace": t.AddInPlace(other); break;
            case "SubInPlace": t.SubInPlace(1.0); break;
            case "MulInPlace": t.MulInPlace(other); break;
            case "DivInPlace": t.DivInPlace(2.0); break;
            case "ZeroInPlace": t.ZeroInPlace(); break;
            case "FillInPlace": t.FillInPlace(3); break;
            case "CopyInPlace": t.CopyInPlace(other); break;
            case "ClampInPlace": t.ClampInPlace(0, 1); break;
            case "Setter": t[0] = Tensor.Scalar(5); break;
        }
    }

    [Theory]
    [MemberData(nameof(InPlaceOps))]
    public void InPlaceOnALeafThatRequiresGradThrowsOutsideNoGrad(string op)
    {
        var x = Leaf(1, 2);
        var e = Assert.ThrowsAny<InvalidOperationException>(() => RunInPlace(x, op));
        Assert.Contains("requires grad", e.Message);
        Assert.Contains(op == "Setter" ? "NoGrad" : op, e.Message);
        Assert.Equal([1f, 2], x.ToArray<float>());
        Assert.Equal(0, x.Version);
    }

    [Theory]
    [MemberData(nameof(InPlaceOps))]
    public void InPlaceOnALeafInsideNoGradChangesItAndBumpsTheVersion(string op)
    {
        var x = Leaf(1, 2);
        using (Tensor.NoGrad()) RunInPlace(x, op);
        Assert.True(x.IsLeaf);
        Assert.True(x.RequiresGrad);
        Assert.Null(x.GradFn);
        Assert.True(x.Version > 0);
        Assert.NotEqual([1f, 2], x.ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(InPlaceOps))]
    public void InPlaceOnATensorWithoutGradIsAlwaysAllowed(string op)
    {
        var x = Tensor.From(new float[] { 1, 2 });
        RunInPlace(x, op);
        Assert.Equal(1, x.Version);
        Assert.False(x.RequiresGrad);
    }

    [Fact]
    public void TheLessonsUpdateStep()
    {
        var w = Leaf(1, 2);
        (w * w).Sum().Backward();
        using (Tensor.NoGrad())
        {
            w.SubInPlace(w.Grad! * 0.5);
            w.Grad!.ZeroInPlace();
        }
        Assert.Equal([0f, 0], w.ToArray<float>());
        Assert.Equal([0f, 0], w.Grad!.ToArray<float>());
        (w + 1.0).Sum().Backward();
        Assert.Equal([1f, 1], w.Grad.ToArray<float>());
    }

    [Fact]
    public void InPlaceOnANonLeafTakesOverItsHistory()
    {
        var x = Leaf(1, 2, 3);
        var y = x * 2.0;
        var same = y.AddInPlace(1.0);
        Assert.Same(y, same);
        Assert.Equal([3f, 5, 7], y.ToArray<float>());
        Assert.False(y.IsLeaf);
        Assert.Equal("AddBackward0", y.GradFn!.Name);
        y.Sum().Backward();
        Assert.Equal([2f, 2, 2], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void InPlaceChainsOnANonLeafDifferentiateEachStep()
    {
        var x = Leaf(1, 2);
        var y = x * 1.0;
        y.MulInPlace(Tensor.From(new float[] { 3, 4 }));
        y.AddInPlace(x);       // y = x * [3, 4] + x
        y.SubInPlace(x, alpha: 0.5);
        y.DivInPlace(2.0);     // y = (x * [3, 4] + 0.5 x) / 2
        y.Sum().Backward();
        Assert.Equal([1.75f, 2.25f], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void InPlaceWithAGradOperandMakesATensorRequireGrad()
    {
        var x = Leaf(1, 2);
        var buffer = Tensor.Zeros(2);
        buffer.AddInPlace(x * 3.0);
        Assert.True(buffer.RequiresGrad);
        Assert.False(buffer.IsLeaf);
        buffer.Sum().Backward();
        Assert.Equal([3f, 3], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void CopyInPlaceFromATensorThatRequiresGradCarriesTheGradient()
    {
        var x = Leaf(1, 2);
        var buffer = Tensor.Zeros(2, 2);
        buffer.CopyInPlace(x * 3.0);     // broadcast over the rows
        Assert.True(buffer.RequiresGrad);
        (buffer * buffer).Sum().Backward();
        // d/dx of 2 rows of (3x)^2 = 2 * 2 * 9 x
        Assert.Equal([36f, 72], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void ChangingASavedTensorThenBackwardThrowsNamingShapeAndVersions()
    {
        var x = Tensor.From(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } }, requiresGrad: true);
        var c = Tensor.Ones(2, 3);
        var y = x * c;           // saves c
        c.AddInPlace(1.0);
        var e = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("version 1", e.Message);
        Assert.Contains("version 0", e.Message);
        Assert.Contains("MulBackward0", e.Message);
        Assert.Null(x.Grad);
    }

    [Fact]
    public void ChangingASavedOutputInPlaceThrowsAtBackward()
    {
        var x = Leaf(1, 2, 3);
        var y = x.Exp();         // saves its output
        y.MulInPlace(2.0);
        var e = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("ExpBackward0", e.Message);
        Assert.Contains("[3]", e.Message);
        Assert.Contains("version 1", e.Message);
    }

    [Fact]
    public void ChangingASavedTensorThroughAViewIsCaught()
    {
        var x = Leaf(1, 2, 3, 4);
        var c = Tensor.Ones(4);
        var y = x * c;
        c.Narrow(0, 1, 2).FillInPlace(5);  // views share the version counter
        Assert.Equal(1, c.Version);
        Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
    }

    [Fact]
    public void InPlaceChangesAfterBackwardDoNotMatter()
    {
        var x = Leaf(1, 2);
        var c = Tensor.Ones(2);
        var y = (x * c).Sum();
        y.Backward();
        c.AddInPlace(1.0);
        Assert.Equal([1f, 1], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void InPlaceOnATensorNoBackwardNeedsIsFine()
    {
        // Add saves nothing, so changing its input afterwards does not affect its gradient.
        var x = Leaf(1, 2);
        var c = Tensor.Ones(2);
        var y = x + c;
        c.MulInPlace(5.0);
        y.Sum().Backward();
        Assert.Equal([1f, 1], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void AProductReadsOnlyTheOperandItsGradientNeeds()
    {
        // torch 1.13: loss = F.mse_loss(x @ w.t() + b, y) and the same with F.linear; loss.backward(retain_graph=True),
        // w updated under no_grad, loss.backward() again: no error, and w.grad twice the first gradient, since a
        // product whose other operand needs no gradient does not save the weight.
        var x = Tensor.From(new float[,] { { 73, 67, 43 }, { 91, 88, 64 } });
        var y = Tensor.From(new float[,] { { 56, 70 }, { 81, 101 } });
        foreach (bool module in new[] { false, true })
        {
            var w = Tensor.From(new float[,] { { 0.1f, 0.2f, 0.3f }, { -0.1f, 0.4f, 0.2f } }, requiresGrad: true);
            var b = Tensor.From(new float[] { 1, 2 }, requiresGrad: true);
            var loss = Descent.NN.Functional.MseLoss(module ? Descent.NN.Functional.Linear(x, w, b) : x.MatMul(w.T) + b, y);
            loss.Backward(retainGraph: true);
            var first = w.Grad!.Clone();
            using (Tensor.NoGrad()) w.SubInPlace(w.Grad! * 1e-5);
            loss.Backward();
            Assert.Equal((first * 2.0).ToArray<float>(), w.Grad!.ToArray<float>());
        }
        // Where the input needs a gradient, the updated weight is read, and the change is still caught.
        var xg = Tensor.From(new float[,] { { 1, 2 } }, requiresGrad: true);
        foreach (bool module in new[] { false, true })
        {
            var w = Tensor.From(new float[,] { { 1, 2 } }, requiresGrad: true);
            var sum = (module ? Descent.NN.Functional.Linear(xg, w, null) : xg.MatMul(w.T)).Sum();
            sum.Backward(retainGraph: true);
            using (Tensor.NoGrad()) w.SubInPlace(1.0);
            Assert.Contains("modified by an in-place operation", Assert.Throws<InvalidOperationException>(() => sum.Backward()).Message);
        }
    }

    [Fact]
    public void InPlaceOnAViewOfAGradTensorIsRefusedWithAClearMessage()
    {
        var x = Leaf(1, 2, 3);
        var y = x * 2.0;
        var e = Assert.Throws<NotSupportedException>(() => y.Narrow(0, 0, 2).AddInPlace(1.0));
        Assert.Contains("Clone()", e.Message);
        Assert.Equal([2f, 4, 6], y.ToArray<float>());
    }

    [Fact]
    public void InPlaceWithAnIntegerTensorKeepsItsDtypeOrRefusesFloats()
    {
        var i = Tensor.From(new long[] { 1, 2 });
        i.AddInPlace(Tensor.From(new long[] { 3, 4 }));
        Assert.Equal([4L, 6], i.ToArray<long>());
        var e = Assert.Throws<DTypeMismatchException>(() => i.AddInPlace(Tensor.From(new float[] { 0.5f, 1 })));
        Assert.Contains("float32", e.Message);
        Assert.Contains("int64", e.Message);
    }

    [Fact]
    public void InPlaceCannotBroadcastThisTensorUp()
    {
        var x = Tensor.Zeros(3);
        var e = Assert.Throws<ShapeMismatchException>(() => x.AddInPlace(Tensor.Ones(2, 3)));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[3]", e.Message);
    }
    [Fact]
    public void MulInPlaceByATensorThatRequiresGradDifferentiatesBothSides()
    {
        var x = Leaf(1, 2);
        var w = Leaf(3, 4);
        var y = x * 2.0;
        y.MulInPlace(w);      // y = 2x * w
        y.Sum().Backward();
        Assert.Equal([6f, 8], x.Grad!.ToArray<float>());
        Assert.Equal([2f, 4], w.Grad!.ToArray<float>());
        var z = x * 1.0;
        z.DivInPlace(w);      // z = x / w
        z.Sum().Backward();
        Assert.Equal([6f + 1f / 3, 8f + 1f / 4], x.Grad!.ToArray<float>());
        Assert.Equal([2f - 1f / 9, 4f - 2f / 16], w.Grad!.ToArray<float>());
    }

    [Fact]
    public void ClampInPlaceOnANonLeafMasksTheGradient()
    {
        var x = Leaf(-1, 0.25f, 2);
        var y = x * 2.0;
        y.ClampInPlace(0, 1);
        Assert.Equal([0f, 0.5f, 1], y.ToArray<float>());
        Assert.Equal("ClampBackward0", y.GradFn!.Name);
        y.Sum().Backward();
        Assert.Equal([0f, 2, 0], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void FillInPlaceOnANonLeafCutsTheGradientToZero()
    {
        var x = Leaf(1, 2);
        var y = x * 2.0;
        y.FillInPlace(7);
        Assert.True(y.RequiresGrad);
        Assert.Equal("FillBackward0", y.GradFn!.Name);
        (y * x).Sum().Backward();  // only the second factor carries x: d/dx = 7
        Assert.Equal([7f, 7], x.Grad!.ToArray<float>());
        var z = x * 3.0;
        z.ZeroInPlace();
        z.Sum().Backward();
        Assert.Equal([7f, 7], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void InPlaceOnARecordedTensorCannotBroadcastItUp()
    {
        var x = Leaf(1, 2, 3);
        var y = x * 2.0;
        var e = Assert.Throws<ShapeMismatchException>(() => y.AddInPlace(Tensor.Ones([2, 3], requiresGrad: true)));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Equal([2f, 4, 6], y.ToArray<float>());
    }

    [Fact]
    public void AViewOfALeafCanBeChangedInsideNoGrad()
    {
        var w = Leaf(1, 2, 3);
        using (Tensor.NoGrad())
        {
            w[0] = Tensor.Scalar(10);
            w[1..].MulInPlace(2.0);
        }
        Assert.Equal([10f, 4, 6], w.ToArray<float>());
        Assert.Equal(2, w.Version);
        Assert.True(w.IsLeaf);
        var e = Assert.Throws<InvalidOperationException>(() => w[1..].MulInPlace(2.0));
        Assert.Contains("view of a leaf", e.Message);
    }

    [Fact]
    public void InPlaceOnAViewWithAGradOperandIsRefusedRatherThanLosingTheGradient()
    {
        var x = Leaf(1, 2);
        var buffer = Tensor.Zeros(3);
        var e = Assert.Throws<NotSupportedException>(() => buffer[..2].AddInPlace(x));
        Assert.Contains("view", e.Message);
        Assert.Throws<NotSupportedException>(() => buffer[..2] = x);
        Assert.Equal([0f, 0, 0], buffer.ToArray<float>());
    }

    [Fact]
    public void AViewTakenBeforeARecordedInPlaceChangeOfItsBaseIsRefused()
    {
        var x = Leaf(1, 2, 3);
        var y = x * 2.0;
        var v = y[..2];
        y.MulInPlace(3.0);
        // v now holds 6x, but its history says 2x: differentiating through it would be wrong.
        var e = Assert.Throws<InvalidOperationException>(() => v.Sum());
        Assert.Contains("out of date", e.Message);
        Assert.Equal([6f, 12], v.ToArray<float>());
        // Taken again after the change, the view is right.
        y[..2].Sum().Backward();
        Assert.Equal([6f, 6, 0], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void AViewOfAConstantIsRefusedAfterItsBaseTookAHistory()
    {
        var x = Leaf(1, 2);
        var buffer = Tensor.Zeros(2);
        var v = buffer.Reshape(2, 1);
        buffer.AddInPlace(x);
        Assert.Throws<InvalidOperationException>(() => v * 2.0);
        using (Tensor.NoGrad()) Assert.Equal([1f, 2], (v * 1.0).ToArray<float>());
    }

    // Not the setter: x.Expand(2)[0] is one element, and writing it is fine, as in PyTorch.
    public static TheoryData<string> WholeTensorInPlaceOps() => [.. Ops.Where(op => op != "Setter")];

    [Theory]
    [MemberData(nameof(WholeTensorInPlaceOps))]
    public void InPlaceOnAnExpandedTensorIsRefused(string op)
    {
        var x = Tensor.From(new float[] { 1 });
        var e = Assert.Throws<InvalidOperationException>(() => RunInPlace(x.Expand(2), op));
        Assert.Contains("same memory", e.Message);
        Assert.Equal([1f], x.ToArray<float>());
    }

    [Fact]
    public void AnOperandOverlappingThisTensorInPartIsRefused()
    {
        // Written element by element, x += x.T read elements it had already changed: [[0,4,8],[7,8,12],[14,19,16]].
        var x = Tensor.Arange(9).To(DType.Float32).Reshape(3, 3);
        var e = Assert.Throws<InvalidOperationException>(() => x.AddInPlace(x.T));
        Assert.Contains("AddInPlace", e.Message);
        Assert.Contains("overlap in part", e.Message);
        Assert.Contains("Clone()", e.Message);
        Assert.Equal([0f, 1, 2, 3, 4, 5, 6, 7, 8], x.ToArray<float>());

        var z = Tensor.Arange(5).To(DType.Float32);
        Assert.Throws<InvalidOperationException>(() => z[1..].AddInPlace(z[..^1]));
        Assert.Throws<InvalidOperationException>(() => z[1..].CopyInPlace(z[..^1]));
        Assert.Throws<InvalidOperationException>(() => z[..^1].MulInPlace(z[1..]));
        Assert.Throws<InvalidOperationException>(() => z.SubInPlace(z[0]));
        Assert.Equal([0f, 1, 2, 3, 4], z.ToArray<float>());

        // The very same view, and views that do not overlap, are fine.
        z.MulInPlace(z);
        Assert.Equal([0f, 1, 4, 9, 16], z.ToArray<float>());
        z[..2].AddInPlace(z[3..]);
        Assert.Equal([9f, 17, 4, 9, 16], z.ToArray<float>());
        x.AddInPlace(x.Clone().T);
        Assert.Equal([0f, 4, 8, 4, 8, 12, 8, 12, 16], x.ToArray<float>());

        // Interleaved views (two columns of one matrix) share no element; PyTorch lets them through, and so does Descent.
        var m = Tensor.Arange(6).To(DType.Float32).Reshape(3, 2);
        m[.., 0] = m[.., 1];
        Assert.Equal([1f, 1, 3, 3, 5, 5], m.ToArray<float>());
        m.Select(1, 1).AddInPlace(m.Select(1, 0));
        Assert.Equal([1f, 2, 3, 6, 5, 10], m.ToArray<float>());
    }
}
