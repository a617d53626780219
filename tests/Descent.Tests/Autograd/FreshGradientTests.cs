using Xunit;
using F = Descent.NN.Functional;

namespace Descent.Tests.Autograd;

/// <summary>A leaf keeps a gradient made for it alone instead of copying it; shared gradients are still copied.</summary>
public class FreshGradientTests
{
    [Fact]
    public void ALinearWeightKeepsItsGradientWithoutACopy()
    {
        var g = new Generator(1);
        var x = Tensor.RandN([8, 300], generator: g);
        var w = Tensor.RandN([200, 300], generator: g);
        w.RequiresGrad = true;
        F.Linear(x, w).Sum().Backward();
        w.Grad = null;
        long before = GC.GetAllocatedBytesForCurrentThread();
        F.Linear(x, w).Sum().Backward();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long weightBytes = 200 * 300 * sizeof(float);
        // The forward's 8 x 200 output, its gradient and the weight's gradient; a copy of the gradient would add another weightBytes.
        Assert.True(allocated < weightBytes + weightBytes / 2, $"allocated {allocated} bytes for a {weightBytes}-byte weight");
        Assert.Equal((Tensor.Ones(200, 8).MatMul(x)).ToArray<float>(), w.Grad!.ToArray<float>());
    }

    [Fact]
    public void AGradientPassedOnToTwoLeavesIsCopiedForEach()
    {
        // MatMul's backward hands a fresh gradient to the addition, which passes the same tensor to both leaves.
        var p = Tensor.Ones([2, 3], requiresGrad: true);
        var q = Tensor.Ones([2, 3], requiresGrad: true);
        (p + q).MatMul(Tensor.Ones(3, 4)).Sum().Backward();
        Assert.NotSame(p.Grad, q.Grad);
        using (Tensor.NoGrad()) p.Grad!.AddInPlace(Tensor.Ones(2, 3));
        Assert.Equal(new float[] { 4, 4, 4, 4, 4, 4 }, q.Grad!.ToArray<float>());
        Assert.Equal(new float[] { 5, 5, 5, 5, 5, 5 }, p.Grad.ToArray<float>());
    }

    [Fact]
    public void AKeptGradientStillAccumulatesAndZeroGradStartsAfresh()
    {
        var x = Tensor.Ones(2, 3);
        var w = Tensor.Ones([4, 3], requiresGrad: true);
        var b = Tensor.Zeros([4], requiresGrad: true);
        var y = F.Linear(x, w, b).Sum();
        y.Backward(retainGraph: true);
        var first = w.Grad!;
        y.Backward();
        Assert.Same(first, w.Grad);
        Assert.Equal(Enumerable.Repeat(4f, 12), w.Grad!.ToArray<float>());
        Assert.Equal(Enumerable.Repeat(4f, 4), b.Grad!.ToArray<float>());
        w.Grad = null;
        F.Linear(x, w, b).Sum().Backward();
        Assert.NotSame(first, w.Grad);
        Assert.Equal(Enumerable.Repeat(2f, 12), w.Grad!.ToArray<float>());
        Assert.Equal(Enumerable.Repeat(4f, 12), first.ToArray<float>());
    }

    [Fact]
    public void ALeafUsedTwiceGetsTheSumOfItsGradients()
    {
        var w = Tensor.From(new float[,] { { 1, 2 }, { 3, 4 } });
        w.RequiresGrad = true;
        var x = Tensor.From(new float[,] { { 1, 0 }, { 0, 1 } });
        (x.MatMul(w) + w.MatMul(x)).Sum().Backward();
        Assert.Equal(new float[] { 2, 2, 2, 2 }, w.Grad!.ToArray<float>());
    }
}
