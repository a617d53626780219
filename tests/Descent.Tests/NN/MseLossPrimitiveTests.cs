using Xunit;
using F = Descent.NN.Functional;
using Reduction = Descent.NN.Reduction;

namespace Descent.Tests.NN;

/// <summary>
/// The reduced <see cref="F.MseLoss"/> as one primitive (PyTorch's MseLossBackward0) against the composition it
/// replaces, <c>(input - target).Square()</c> then the mean or sum: the same bits forward and backward.
/// </summary>
public class MseLossPrimitiveTests
{
    private static Tensor Composed(Tensor input, Tensor target, Reduction reduction)
    {
        var sq = (input - target).Square();
        return reduction == Reduction.Mean ? sq.Mean() : sq.Sum();
    }

    private static Tensor Leaf(Tensor t, bool requiresGrad)
    {
        var leaf = t.Detach().Clone();
        leaf.RequiresGrad = requiresGrad;
        return leaf;
    }

    public static TheoryData<int[], string, bool> Cases()
    {
        var data = new TheoryData<int[], string, bool>();
        foreach (var shape in new[] { new[] { 1 }, [5, 3], [4096], [4097, 1], [300, 7], [3, 1, 5], [200_001] })
            foreach (var dtype in new[] { "float32", "float64" })
                foreach (bool mean in new[] { true, false })
                    data.Add(shape, dtype, mean);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BitsOfTheCompositionForwardAndBackward(int[] shape, string dtypeName, bool mean)
    {
        var dtype = dtypeName == "float32" ? DType.Float32 : DType.Float64;
        var reduction = mean ? Reduction.Mean : Reduction.Sum;
        var g = new Generator(shape.Sum());
        var x = (Tensor.RandN(shape, generator: g) * 3).To(dtype);
        var y = Tensor.RandN(shape, generator: g).To(dtype);
        var (x1, y1) = (Leaf(x, true), Leaf(y, true));
        var (x2, y2) = (Leaf(x, true), Leaf(y, true));
        var fused = F.MseLoss(x1, y1, reduction);
        var composed = Composed(x2, y2, reduction);
        Assert.Equal("MseLossBackward0", fused.GradFn!.Name);
        Assert.Equal(composed.Item<double>(), fused.Item<double>());
        (fused * 3).Backward();
        (composed * 3).Backward();
        Assert.Equal(x2.Grad!.To(DType.Float64).ToArray<double>(), x1.Grad!.To(DType.Float64).ToArray<double>());
        Assert.Equal(y2.Grad!.To(DType.Float64).ToArray<double>(), y1.Grad!.To(DType.Float64).ToArray<double>());
    }

    [Fact]
    public void EveryLengthUpTo256()
    {
        var g = new Generator(256);
        for (int n = 0; n <= 256; n++)
        {
            var x = Tensor.RandN([n], generator: g);
            var y = Tensor.RandN([n], generator: g);
            var (x1, x2) = (Leaf(x, true), Leaf(x, true));
            var fused = F.MseLoss(x1, y);
            var composed = Composed(x2, y, Reduction.Mean);
            Assert.Equal(composed.Item<float>(), fused.Item<float>());
            if (n == 0) continue;
            fused.Backward();
            composed.Backward();
            Assert.Equal(x2.Grad!.ToArray<float>(), x1.Grad!.ToArray<float>());
        }
    }

    [Fact]
    public void StridedOperandsAndOneSideNeedingGrad()
    {
        var g = new Generator(3);
        var x = Tensor.RandN([9, 6], generator: g).T;            // transposed
        var y = Tensor.RandN([6, 18], generator: g).Narrow(1, 4, 9); // a slice with an offset
        var xf = Leaf(x.Contiguous(), true);
        var xc = Leaf(x.Contiguous(), true);
        var viewF = xf.T.T; // the same values through a view
        var fused = F.MseLoss(viewF, y);
        var composed = Composed(xc, y, Reduction.Mean);
        Assert.Equal(composed.Item<float>(), fused.Item<float>());
        fused.Backward();
        composed.Backward();
        Assert.Equal(xc.Grad!.ToArray<float>(), xf.Grad!.ToArray<float>());
        Assert.Null(y.Grad);
        // Gradients accumulate over two backward passes, as in PyTorch.
        F.MseLoss(xf, y).Backward();
        Composed(xc, y, Reduction.Mean).Backward();
        Assert.Equal(xc.Grad!.ToArray<float>(), xf.Grad!.ToArray<float>());
    }

    [Fact]
    public void OtherCasesKeepTheComposition()
    {
        var x = Tensor.From(new float[] { 1, 2, 3 });
        var y = Tensor.From(new float[] { 1, 0, 5 });
        Assert.Equal([0f, 4, 4], F.MseLoss(x, y, Reduction.None).ToArray<float>());
        using (Tensor.NoGrad()) Assert.Null(F.MseLoss(Leaf(x, true), y).GradFn);
        Assert.Equal(8f / 3, F.MseLoss(x, y).Item<float>());
        Assert.Equal(8f, F.MseLoss(x, y, Reduction.Sum).Item<float>());
        // An empty input's mean is NaN, as PyTorch's.
        Assert.True(float.IsNaN(F.MseLoss(Tensor.Zeros(0), Tensor.Zeros(0)).Item<float>()));
        // Mixed float dtypes promote through the composition.
        Assert.Equal(DType.Float64, F.MseLoss(x, y.To(DType.Float64)).DType);
    }

    [Fact]
    public void ChangingASavedOperandBeforeBackwardIsAnError()
    {
        var x = Leaf(Tensor.From(new float[] { 1, 2, 3 }), true);
        var y = Tensor.From(new float[] { 0, 0, 0 });
        var loss = F.MseLoss(x, y);
        using (Tensor.NoGrad()) y.AddInPlace(Tensor.Ones(3));
        Assert.Throws<InvalidOperationException>(() => loss.Backward());
    }
}
