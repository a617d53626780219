using Xunit;
using Xunit.Abstractions;

namespace Descent.Tests.Autograd;

/// <summary>What Backward does to Grad, the graph and its errors, compared with PyTorch's behaviour.</summary>
public class BackwardSemanticsTests(ITestOutputHelper output)
{
    private static Tensor Leaf(params float[] values) => Tensor.From(values, requiresGrad: true);

    private static float[] Values(Tensor? t) => Assert.IsType<Tensor>(t).ToArray<float>();

    [Fact]
    public void GradIsNullUntilABackwardReachesTheLeaf()
    {
        var x = Leaf(1, 2, 3);
        var unused = Leaf(4, 5);
        var y = x * 2.0;
        Assert.Null(x.Grad);
        var loss = y.Sum();
        Assert.Null(x.Grad);
        loss.Backward();
        Assert.Equal([2f, 2, 2], Values(x.Grad));
        Assert.Null(unused.Grad);
        // As in PyTorch, results of operations keep no Grad.
        Assert.Null(y.Grad);
    }

    [Fact]
    public void GradAccumulatesAcrossBackwardCallsUntilZeroedOrSetToNull()
    {
        var x = Leaf(1, 2);
        (x * x).Sum().Backward();
        Assert.Equal([2f, 4], Values(x.Grad));
        (x * x).Sum().Backward();
        Assert.Equal([4f, 8], Values(x.Grad));
        var before = x.Grad;
        x.Grad!.ZeroInPlace();
        (x * 3.0).Sum().Backward();
        Assert.Equal([3f, 3], Values(x.Grad));
        Assert.Same(before, x.Grad); // zeroed, then accumulated into the same tensor
        x.Grad = null;
        (x * 5.0).Sum().Backward();
        Assert.Equal([5f, 5], Values(x.Grad));
    }

    [Fact]
    public void AssigningAGradOfAnotherShapeOrDTypeThrows()
    {
        // PyTorch: "assigned grad has data of a different size" / "... of a different type".
        var x = Tensor.Ones([2], requiresGrad: true);
        var e = Assert.Throws<ShapeMismatchException>(() => x.Grad = Tensor.Ones(3));
        Assert.Contains("[2]", e.Message);
        Assert.Contains("[3]", e.Message);
        var d = Assert.Throws<DTypeMismatchException>(() => x.Grad = Tensor.Ones([2], DType.Float64));
        Assert.Contains("float64", d.Message);
        Assert.Null(x.Grad);
        x.Grad = Tensor.Full([2], 3.0);
        (x * 2.0).Sum().Backward();
        Assert.Equal([5f, 5f], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void GradIsAFreshTensorNotTheGradientPassedIn()
    {
        var x = Leaf(1, 2);
        var g = Tensor.From(new float[] { 10, 20 });
        (x * 1.0).Backward(g);
        g.AddInPlace(1);
        Assert.Equal([10f, 20], Values(x.Grad));
        Assert.False(x.Grad!.RequiresGrad);
    }

    [Fact]
    public void GradOfAFloat64LeafIsFloat64()
    {
        var x = Tensor.From(new double[] { 1, 2 }, requiresGrad: true);
        (x * x).Sum().Backward();
        Assert.Equal(DType.Float64, x.Grad!.DType);
        Assert.Equal([2.0, 4.0], x.Grad.ToArray<double>());
    }

    [Fact]
    public void BackwardOnAManyElementTensorThrowsAClearError()
    {
        var x = Leaf(1, 2, 3);
        var y = (x * 2.0).Reshape(3, 1);
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("one element", e.Message);
        Assert.Contains("[3, 1]", e.Message);
        Assert.Null(x.Grad);
    }

    [Fact]
    public void BackwardOnAOneElementTensorOfAnyRankWorks()
    {
        var x = Leaf(3);
        (x * x).Reshape(1, 1).Backward();
        Assert.Equal([6f], Values(x.Grad));
    }

    [Fact]
    public void BackwardWithAGradientIsAVectorJacobianProduct()
    {
        var x = Tensor.From(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } }, requiresGrad: true);
        var y = x * x;
        y.Backward(Tensor.From(new float[,] { { 1, 0, 2 }, { 0, 1, 0 } }));
        Assert.Equal([2f, 0, 12, 0, 10, 0], Values(x.Grad));
    }

    [Fact]
    public void BackwardWithAGradientOfTheWrongShapeNamesBothShapes()
    {
        var x = Leaf(1, 2, 3);
        var y = x * 2.0;
        var e = Assert.Throws<ShapeMismatchException>(() => y.Backward(Tensor.Ones(2)));
        Assert.Contains("[2]", e.Message);
        Assert.Contains("[3]", e.Message);
    }

    [Fact]
    public void BackwardWithANullGradientNamesTheParameter()
    {
        var y = Leaf(1, 2, 3) * 2.0;
        var e = Assert.Throws<ArgumentNullException>(() => y.Backward(null!));
        Assert.Equal("gradient", e.ParamName);
    }

    [Fact]
    public void BackwardOnATensorThatDoesNotRequireGradThrows()
    {
        var x = Tensor.From(new float[] { 1, 2 });
        var e = Assert.Throws<InvalidOperationException>(() => (x * 2.0).Sum().Backward());
        Assert.Contains("does not require grad", e.Message);
    }

    [Fact]
    public void BackwardAfterAnUpdateWrittenWithCompoundAssignmentNamesTheInPlaceUpdate()
    {
        // C#'s w -= x is w = w - x: inside NoGrad it swaps the parameter for a new tensor that does not require
        // grad, where Python's w -= x changes w in place. The next Backward finds nothing to differentiate.
        var w = Leaf(1, 2);
        (w * w).Sum().Backward();
        using (Tensor.NoGrad()) w -= w.Grad! * 0.1;
        var e = Assert.Throws<InvalidOperationException>(() => (w * w).Sum().Backward());
        Assert.Contains("does not require grad", e.Message);
        Assert.Contains("SubInPlace", e.Message);
        Assert.Contains("w -=", e.Message);
    }

    [Fact]
    public void BackwardOnALeafAccumulatesTheGradientIntoIt()
    {
        var x = Leaf(1, 2);
        x.Backward(Tensor.From(new float[] { 3, 4 }));
        Assert.Equal([3f, 4], Values(x.Grad));
    }

    [Fact]
    public void SecondBackwardThroughAFreedGraphThrowsAndRetainGraphAllowsIt()
    {
        var x = Leaf(1, 2);
        var loss = (x * x).Sum();
        loss.Backward();
        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("second time", e.Message);
        Assert.Contains("retainGraph", e.Message);

        var y = Leaf(1, 2);
        var loss2 = (y * y).Sum();
        loss2.Backward(retainGraph: true);
        loss2.Backward();
        Assert.Equal([4f, 8], Values(y.Grad));
        Assert.Throws<InvalidOperationException>(() => loss2.Backward());
    }

    [Fact]
    public void GraphsThatSaveNoTensorsCanBeTraversedAgain()
    {
        // As in PyTorch: add and sum keep nothing for backward, so nothing is freed.
        var x = Leaf(1, 2);
        var loss = (x + 1.0).Sum();
        loss.Backward();
        loss.Backward();
        Assert.Equal([2f, 2], Values(x.Grad));
    }

    [Fact]
    public void DiamondGraphsAccumulateEveryPath()
    {
        var x = Leaf(2, 3);
        var a = x * 3.0;
        var b = x.Exp();
        var c = a * b + x;   // d/dx = 3 e^x + 3x e^x + 1
        c.Sum().Backward();
        var expected = new[] { 2f, 3f }.Select(v => (float)(3 * Math.Exp(v) + 3 * v * Math.Exp(v) + 1)).ToArray();
        var grad = Values(x.Grad);
        for (int i = 0; i < 2; i++) Assert.Equal(expected[i], grad[i], expected[i] * 1e-6f);
    }

    [Fact]
    public void ATensorUsedTwiceInOneOpGetsBothContributions()
    {
        var x = Leaf(1, 2, 3);
        (x * x).Sum().Backward();
        Assert.Equal([2f, 4, 6], Values(x.Grad));
        var y = Leaf(1, 2, 3);
        (y + y + y).Sum().Backward();
        Assert.Equal([3f, 3, 3], Values(y.Grad));
    }

    [Fact]
    public void BroadcastOperandsGetGradientsOfTheirOwnShape()
    {
        var m = Tensor.Ones([2, 3], requiresGrad: true);
        var row = Tensor.From(new float[] { 1, 2, 3 }, requiresGrad: true);
        var col = Tensor.From(new float[,] { { 10 }, { 20 } }, requiresGrad: true);
        var s = Tensor.Scalar(2, DType.Float32).WithGrad();
        var y = (m * row + col) * s;
        y.Sum().Backward();
        Assert.Equal([2, 3], m.Grad!.Shape.ToArray());
        Assert.Equal([3], row.Grad!.Shape.ToArray());
        Assert.Equal([2, 1], col.Grad!.Shape.ToArray());
        Assert.Equal(0, s.Grad!.Dim);
        Assert.Equal([4f, 4, 4], Values(row.Grad));   // 2 rows * s
        Assert.Equal([6f, 6], Values(col.Grad));      // 3 columns * s
        Assert.Equal(102f, s.Grad.Item<float>()); // the sum of m * row + col: (1 + 2 + 3) * 2 + (10 + 20) * 3
        Assert.Equal([2f, 4, 6, 2, 4, 6], Values(m.Grad));
    }

    [Fact]
    public void ALongChainBackpropagatesWithoutRecursion()
    {
        const int n = 100_000;
        var x = Tensor.Scalar(1.0, DType.Float64).WithGrad();
        var y = x;
        for (int i = 0; i < n; i++) y = y * 1.0000001 + 0.0;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        y.Backward();
        watch.Stop();
        // d/dx of x * 1.0000001^n
        Assert.Equal(Math.Pow(1.0000001, n), x.Grad!.Item(), 1e-9);
        output.WriteLine($"backward through {2 * n} nodes: {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void ABackwardThatThrowsLeavesNothingForTheNext()
    {
        var x = Leaf(1, 2);
        var a = x * 2.0;
        var u = a.Exp();
        var loss = u.Sum() + (a * 5.0).Sum();
        u.AddInPlace(Tensor.Ones([2]));
        // Exp's backward finds its saved output changed and throws, after the (a * 5) branch has already handed
        // a's node its gradient.
        Assert.Throws<InvalidOperationException>(() => loss.Backward());
        x.Grad = null;
        a.Sum().Backward();
        Assert.Equal([2f, 2f], Values(x.Grad));
    }

    [Fact]
    public void ALongChainOfViewsBackpropagates()
    {
        var x = Tensor.Ones([2, 3], requiresGrad: true);
        var y = x;
        for (int i = 0; i < 100_000; i++) y = y.T;
        y.Sum().Backward();
        Assert.Equal([1f, 1, 1, 1, 1, 1], Values(x.Grad));
    }
}

internal static class TensorTestExtensions
{
    public static Tensor WithGrad(this Tensor t)
    {
        t.RequiresGrad = true;
        return t;
    }
}
