using Descent.Autograd;
using Descent.Ops;
using Xunit;
using F = Descent.NN.Functional;

namespace Descent.Tests.Ops;

/// <summary>The fused linear primitive (<c>F.Linear</c>) against the composed <c>x.MatMul(W.T) + b</c> it replaces.</summary>
public class LinearOpTests
{
    public static TheoryData<int[], int, bool, bool> Cases => new()
    {
        { [7, 5], 3, true, true },
        { [7, 5], 3, false, true },
        { [7, 5], 3, true, false },
        { [5], 4, true, true },
        { [2, 3, 5], 4, true, true },
        { [0, 5], 3, true, true },
        { [4, 0], 3, true, true },
        { [128, 784], 10, true, false },
        { [33, 70], 37, true, true },
        { [300, 16], 1, true, true },
        { [4099, 3], 2, true, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesComposedForwardAndGradients(int[] inputShape, int outF, bool bias, bool inputGrad)
    {
        var g = new Generator(5);
        int inF = inputShape[^1];
        var x = Tensor.RandN(inputShape, generator: g);
        var w = Tensor.RandN([outF, inF], generator: g);
        var b = bias ? Tensor.RandN([outF], generator: g) : null;
        var upstream = Tensor.RandN([.. inputShape[..^1], outF], generator: g);

        var (y1, grads1) = Run(x, w, b, upstream, inputGrad, fused: true);
        var (y2, grads2) = Run(x, w, b, upstream, inputGrad, fused: false);
        AssertClose(y2, y1);
        for (int i = 0; i < grads1.Length; i++)
        {
            Assert.Equal(grads2[i] is null, grads1[i] is null);
            if (grads1[i] is { } got) AssertClose(grads2[i]!, got);
        }
        Assert.Equal(inputGrad, grads1[0] is not null);
    }

    [Fact]
    public void ForwardIsBitwiseTheComposedForm()
    {
        var g = new Generator(8);
        var x = Tensor.RandN([128, 784], generator: g);
        var w = Tensor.RandN([256, 784], generator: g);
        var b = Tensor.RandN([256], generator: g);
        Assert.Equal((x.MatMul(w.T) + b).ToArray<float>(), F.Linear(x, w, b).ToArray<float>());
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5000, 1)]
    [InlineData(300, 2)]
    [InlineData(1500, 3)]
    [InlineData(257, 64)]
    [InlineData(40, 65)]
    public void BiasIsAddedToEveryRowExactlyAsTheComposedForm(int rows, int outF)
    {
        var g = new Generator(11);
        var x = Tensor.RandN([rows, 6], generator: g);
        var w = Tensor.RandN([outF, 6], generator: g);
        // A bias with stride 2 as well as a contiguous one.
        var strided = Tensor.RandN([outF, 2], generator: g).Select(1, 1);
        foreach (var b in new[] { strided, strided.Contiguous() })
            Assert.Equal((x.MatMul(w.T) + b).ToArray<float>(), F.Linear(x, w, b).ToArray<float>());
    }

    [Fact]
    public void StridedInputAndWeight()
    {
        var g = new Generator(2);
        var x = Tensor.RandN([6, 9], generator: g).T.Requires();
        var w = Tensor.RandN([4, 9], generator: g).Narrow(1, 2, 6).Requires();
        var b = Tensor.RandN([8], generator: g).Narrow(0, 1, 4).Requires();
        var upstream = Tensor.RandN([9, 4], generator: g);
        var (y1, grads1) = Run(x, w, b, upstream, true, fused: true);
        var (y2, grads2) = Run(x, w, b, upstream, true, fused: false);
        AssertClose(y2, y1);
        for (int i = 0; i < 3; i++) AssertClose(grads2[i]!, grads1[i]!);
    }

    [Fact]
    public void GradCheckFloat64()
    {
        var g = new Generator(3);
        var x = Tensor.RandN([4, 5], DType.Float64, generator: g).Requires();
        var w = Tensor.RandN([3, 5], DType.Float64, generator: g).Requires();
        var b = Tensor.RandN([3], DType.Float64, generator: g).Requires();
        Assert.True(GradCheck.Check(xs => F.Linear(xs[0], xs[1], xs[2]), [x, w, b]));
        var x3 = Tensor.RandN([2, 2, 5], DType.Float64, generator: g).Requires();
        Assert.True(GradCheck.Check(xs => F.Linear(xs[0], xs[1]), [x3, w]));
    }

    [Fact]
    public void RecordsAddmmNodeAndChecksSavedVersions()
    {
        var x = Tensor.Ones(2, 3);
        var w = Tensor.Ones(4, 3).Requires();
        var y = F.Linear(x, w, Tensor.Zeros(4));
        Assert.Equal("AddmmBackward0", y.GradFn!.Name);
        Assert.Equal("MmBackward0", F.Linear(x, w).GradFn!.Name);
        using (Tensor.NoGrad())
        {
            Assert.Null(F.Linear(x, w).GradFn);
            x.AddInPlace(Tensor.Ones(2, 3));
        }
        Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
    }

    [Fact]
    public void MixedDtypesFallBackToMatMulsError()
    {
        Assert.False(AddmmBackward.Applies(Tensor.Ones([2, 3], DType.Float64), Tensor.Ones(4, 3), null));
        Assert.Throws<DTypeMismatchException>(() => F.Linear(Tensor.Ones([2, 3], DType.Float64), Tensor.Ones(4, 3)));
        Assert.Throws<DTypeMismatchException>(() => F.Linear(Tensor.Ones([2, 3], DType.Int64), Tensor.Ones(4, 3)));
    }

    private static (Tensor Y, Tensor?[] Grads) Run(Tensor x, Tensor w, Tensor? b, Tensor upstream, bool inputGrad, bool fused)
    {
        var xs = Leaf(x, inputGrad);
        var ws = Leaf(w, true);
        var bs = b is null ? null : Leaf(b, true);
        var y = fused ? F.Linear(xs, ws, bs) : Composed(xs, ws, bs);
        y.Backward(upstream);
        return (y.Detach(), [xs.Grad, ws.Grad, bs?.Grad]);
    }

    private static Tensor Composed(Tensor x, Tensor w, Tensor? b)
    {
        var y = x.MatMul(w.T);
        return b is null ? y : y + b;
    }

    /// <summary>A fresh leaf with the same layout (strides and offset) as <paramref name="t"/>.</summary>
    private static Tensor Leaf(Tensor t, bool requiresGrad)
    {
        var leaf = new Tensor(t.Storage, t.ShapeArray, t.StridesArray, t.Offset);
        leaf.RequiresGrad = requiresGrad;
        return leaf;
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var e = expected.To(DType.Float64).ToArray<double>();
        var a = actual.To(DType.Float64).ToArray<double>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= 1e-4 * (1 + Math.Abs(e[i])), $"element {i}: expected {e[i]}, got {a[i]}");
    }
}

internal static class LeafExtensions
{
    public static Tensor Requires(this Tensor t)
    {
        var leaf = new Tensor(t.Storage, t.ShapeArray, t.StridesArray, t.Offset);
        leaf.RequiresGrad = true;
        return leaf;
    }
}
