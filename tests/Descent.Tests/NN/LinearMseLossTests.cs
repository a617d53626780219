using Descent.NN;
using Xunit;

namespace Descent.Tests.NN;

/// <summary>
/// <see cref="Functional.LinearMseLoss"/> against the composition it fuses, <c>MseLoss(Linear(x, w, b), y)</c>,
/// evaluated in float64 as the reference: loss value and the gradients of the weight and the bias.
/// </summary>
public class LinearMseLossTests
{
    private static (Tensor X, Tensor W, Tensor B, Tensor Y) Problem(int n, int d, int k, int seed)
    {
        var g = new Generator(seed);
        var x = Tensor.RandN([n, d], generator: g);
        var w = Tensor.RandN([k, d], generator: g);
        var b = Tensor.RandN([k], generator: g);
        var y = Tensor.RandN([n, k], generator: g) * 3 + 1;
        return (x, w, b, y);
    }

    /// <summary>Loss, weight gradient and bias gradient of the float64 composition.</summary>
    private static (double Loss, double[] Gw, double[]? Gb) Reference(Tensor x, Tensor w, Tensor? b, Tensor y, Reduction r)
    {
        var w64 = w.Detach().To(DType.Float64);
        w64.RequiresGrad = true;
        Tensor? b64 = null;
        if (b is not null)
        {
            b64 = b.Detach().To(DType.Float64);
            b64.RequiresGrad = true;
        }
        var loss = Functional.MseLoss(Functional.Linear(x.To(DType.Float64), w64, b64), y.To(DType.Float64), r);
        loss.Backward();
        return (loss.Item(), w64.Grad!.ToArray<double>(), b64?.Grad!.ToArray<double>());
    }

    private static void Close(double expected, double actual, string what)
    {
        double tol = 2e-5 * Math.Max(1, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tol, $"{what}: expected {expected:R}, got {actual:R}");
    }

    private static void Close(double[] expected, Tensor actual, double scale, string what)
    {
        var a = actual.To(DType.Float64).ToArray<double>();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
        {
            double tol = 2e-5 * Math.Max(scale, Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - a[i]) <= tol, $"{what}[{i}]: expected {expected[i]:R}, got {a[i]:R}");
        }
    }

    public static TheoryData<int, int, int, bool, Reduction> Shapes() => new()
    {
        { 1, 1, 1, true, Reduction.Mean },
        { 5, 3, 2, true, Reduction.Mean },
        { 7, 3, 2, false, Reduction.Sum },
        { 255, 16, 1, true, Reduction.Mean },
        { 256, 16, 1, true, Reduction.Sum },
        { 257, 17, 3, true, Reduction.Mean },
        { 1000, 8, 5, false, Reduction.Mean },
        { 513, 64, 2, true, Reduction.Mean },
        { 600, 64, 1, true, Reduction.Mean },
        { 333, 160, 2, false, Reduction.Sum },
        { 700, 32, 1, true, Reduction.Sum },
        { 300, 100, 1, true, Reduction.Mean },
        { 90, 70, 6, true, Reduction.Sum },
        { 300_001, 3, 1, true, Reduction.Mean },
        { 70_000, 16, 2, true, Reduction.Sum },
        // Up to 8 features and 2 outputs: eight rows a step, one vector each; the rows left over in scalar steps.
        { 1, 3, 1, true, Reduction.Sum },
        { 2, 1, 2, true, Reduction.Mean },
        { 9, 8, 2, false, Reduction.Mean },
        { 255, 5, 1, true, Reduction.Mean },
        { 1000, 7, 2, false, Reduction.Sum },
        { 513, 2, 1, true, Reduction.Sum },
        { 150_001, 8, 2, true, Reduction.Mean },
        // 9 to 16 features and 2 outputs: one 512-bit load per row.
        { 1000, 9, 2, true, Reduction.Mean },
        { 257, 12, 1, false, Reduction.Sum },
        { 17, 15, 2, true, Reduction.Mean },
        { 100_003, 13, 1, true, Reduction.Mean },
        { 70_001, 16, 2, false, Reduction.Mean },
        // 32 to 64 features and 2 outputs: 512-bit registers.
        { 257, 32, 2, true, Reduction.Mean },
        { 300, 48, 1, false, Reduction.Mean },
        { 1025, 64, 2, false, Reduction.Sum },
        { 100_000, 32, 2, true, Reduction.Sum },
        { 200_003, 64, 1, true, Reduction.Mean },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesTheComposition(int n, int d, int k, bool withBias, Reduction r)
    {
        var (x, w, b, y) = Problem(n, d, k, n + d + k);
        var (loss, gw, gb) = Reference(x, w, withBias ? b : null, y, r);
        w.RequiresGrad = true;
        b.RequiresGrad = true;
        var fused = Functional.LinearMseLoss(x, w, withBias ? b : null, y, r);
        Assert.Equal("LinearMseLossBackward0", fused.GradFn!.Name);
        Assert.Equal(0, fused.Dim);
        Assert.Equal(DType.Float32, fused.DType);
        fused.Backward();
        string what = $"n={n} d={d} k={k} bias={withBias} {r}";
        Close(loss, fused.Item(), what + " loss");
        double scale = gw.Max(Math.Abs);
        Close(gw, w.Grad!, scale, what + " weight grad");
        if (withBias) Close(gb!, b.Grad!, gb!.Max(Math.Abs), what + " bias grad");
        else Assert.Null(b.Grad);
    }

    [Fact]
    public void GradientsAccumulateAndScaleWithTheUpstreamGradient()
    {
        var (x, w, b, y) = Problem(300, 4, 2, 1);
        w.RequiresGrad = true;
        b.RequiresGrad = true;
        (Functional.LinearMseLoss(x, w, b, y) * 3).Backward();
        var once = w.Grad!.ToArray<float>();
        Functional.LinearMseLoss(x, w, b, y).Backward();
        var composedW = w.Detach().Clone();
        composedW.RequiresGrad = true;
        (Functional.MseLoss(Functional.Linear(x, composedW, b.Detach()), y) * 4).Backward();
        var total = w.Grad!.ToArray<float>();
        var expected = composedW.Grad!.ToArray<float>();
        for (int i = 0; i < total.Length; i++)
        {
            Assert.Equal(once[i] * 4 / 3, total[i], 1e-4 * Math.Max(1, Math.Abs(total[i])));
            Assert.Equal(expected[i], total[i], 1e-4 * Math.Max(1, Math.Abs(expected[i])));
        }
    }

    [Fact]
    public void OnlyTheParametersThatNeedAGradientGetOne()
    {
        var (x, w, b, y) = Problem(100, 3, 1, 2);
        b.RequiresGrad = true;
        var loss = Functional.LinearMseLoss(x, w, b, y);
        loss.Backward();
        Assert.Null(w.Grad);
        var (_, _, gb) = Reference(x, w, b, y, Reduction.Mean);
        Close(gb!, b.Grad!, Math.Abs(gb![0]), "bias grad");
    }

    [Fact]
    public void WithoutGradModeItOnlyComputesTheLoss()
    {
        var (x, w, b, y) = Problem(400, 5, 2, 3);
        w.RequiresGrad = true;
        Tensor loss;
        using (Tensor.NoGrad()) loss = Functional.LinearMseLoss(x, w, b, y);
        Assert.Null(loss.GradFn);
        Assert.False(loss.RequiresGrad);
        Close(Reference(x, w, b, y, Reduction.Mean).Loss, loss.Item(), "loss");
    }

    [Fact]
    public void LargeInputsGiveTheSameBitsEveryTime()
    {
        var (x, w, b, y) = Problem(400_000, 16, 1, 4);
        w.RequiresGrad = true;
        float[] Run()
        {
            w.Grad = null;
            var loss = Functional.LinearMseLoss(x, w, b, y);
            loss.Backward();
            return [loss.Item<float>(), .. w.Grad!.ToArray<float>()];
        }
        Assert.Equal(Run(), Run());
    }

    [Theory]
    [InlineData(3, 1, 300)]
    [InlineData(3, 1, 304)]
    [InlineData(5, 2, 300)]
    [InlineData(8, 2, 304)]
    [InlineData(12, 2, 300)]
    [InlineData(12, 2, 304)]
    [InlineData(16, 1, 304)]
    [InlineData(64, 2, 300)]
    public void WhatFollowsAViewInItsStorageDoesNotLeakIn(int d, int k, int rows)
    {
        // x holds the first rows of a tensor whose last three rows are NaN, y likewise. With a multiple of 8 rows
        // the last load of the last group of eight rows reaches into the NaN rows; otherwise the last rows go one by
        // one.
        var g = new Generator(d);
        var full = Tensor.RandN([rows + 3, d], generator: g);
        full.Narrow(0, rows, 3).FillInPlace(double.NaN);
        var yFull = Tensor.RandN([rows + 3, k], generator: g);
        yFull.Narrow(0, rows, 3).FillInPlace(double.NaN);
        var x = full.Narrow(0, 0, rows);
        var y = yFull.Narrow(0, 0, rows);
        var w = Tensor.RandN([k, d], generator: g);
        var b = Tensor.RandN([k], generator: g);
        var (loss, gw, gb) = Reference(x.Contiguous(), w, b, y.Contiguous(), Reduction.Mean);
        w.RequiresGrad = true;
        b.RequiresGrad = true;
        var fused = Functional.LinearMseLoss(x, w, b, y);
        fused.Backward();
        Close(loss, fused.Item(), "loss");
        Close(gw, w.Grad!, gw.Max(Math.Abs), "weight grad");
        Close(gb!, b.Grad!, gb!.Max(Math.Abs), "bias grad");
    }

    [Theory]
    [InlineData(3)]
    [InlineData(16)]
    [InlineData(64)]
    public void EitherParameterAloneGetsItsGradient(int d)
    {
        var (x, w, b, y) = Problem(5_000, d, 2, d);
        var (_, gw, gb) = Reference(x, w, b, y, Reduction.Mean);
        b.RequiresGrad = true;
        Functional.LinearMseLoss(x, w, b, y).Backward();
        Assert.Null(w.Grad);
        Close(gb!, b.Grad!, gb!.Max(Math.Abs), "bias grad alone");
        b.RequiresGrad = false;
        b.Grad = null;
        w.RequiresGrad = true;
        Functional.LinearMseLoss(x, w, b, y).Backward();
        Assert.Null(b.Grad);
        Close(gw, w.Grad!, gw.Max(Math.Abs), "weight grad alone");
    }

    [Fact]
    public void NonContiguousAndBatchedInputsAreHandled()
    {
        var g = new Generator(5);
        var xt = Tensor.RandN([3, 40], generator: g);
        var x = xt.T;
        var w = Tensor.RandN([2, 3], generator: g);
        var y = Tensor.RandN([40, 2], generator: g);
        w.RequiresGrad = true;
        Functional.LinearMseLoss(x, w, null, y).Backward();
        var (loss, gw, _) = Reference(x, w, null, y, Reduction.Mean);
        Close(gw, w.Grad!, gw.Max(Math.Abs), "transposed input weight grad");
        Close(loss, Functional.LinearMseLoss(x, w, null, y).Item(), "transposed input loss");

        var x3 = Tensor.RandN([4, 5, 3], generator: g);
        var y3 = Tensor.RandN([4, 5, 2], generator: g);
        w.Grad = null;
        var fused = Functional.LinearMseLoss(x3, w, null, y3);
        fused.Backward();
        var (loss3, gw3, _) = Reference(x3, w, null, y3, Reduction.Mean);
        Close(loss3, fused.Item(), "batched loss");
        Close(gw3, w.Grad!, gw3.Max(Math.Abs), "batched weight grad");
    }

    [Fact]
    public void InputsNeedingGradientsOrOtherDTypesTakeTheComposition()
    {
        var (x, w, b, y) = Problem(50, 3, 2, 6);
        x.RequiresGrad = true;
        w.RequiresGrad = true;
        var loss = Functional.LinearMseLoss(x, w, b, y);
        Assert.NotEqual("LinearMseLossBackward0", loss.GradFn!.Name);
        loss.Backward();
        Assert.NotNull(x.Grad);

        var x64 = x.Detach().To(DType.Float64);
        var l64 = Functional.LinearMseLoss(x64, w.Detach().To(DType.Float64), b.To(DType.Float64), y.To(DType.Float64));
        Assert.Equal(DType.Float64, l64.DType);
        Close(Reference(x, w, b, y, Reduction.Mean).Loss, l64.Item(), "float64 loss");

        var none = Functional.LinearMseLoss(x.Detach(), w.Detach(), b, y, Reduction.None);
        Assert.Equal([50, 2], none.Shape.ToArray());
    }

    [Fact]
    public void AnInputChangedInPlaceBeforeBackwardIsCaught()
    {
        var (x, w, b, y) = Problem(20, 3, 1, 8);
        w.RequiresGrad = true;
        var loss = Functional.LinearMseLoss(x, w, b, y);
        x.MulInPlace(2);
        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("LinearMseLossBackward0", e.Message);
    }

    [Fact]
    public void MismatchedShapesAreNamed()
    {
        var (x, w, b, y) = Problem(10, 3, 2, 7);
        var e = Assert.Throws<ShapeMismatchException>(() => Functional.LinearMseLoss(x, w, b, y.Reshape(20)));
        Assert.Contains("LinearMseLoss", e.Message);
        Assert.Contains("[10, 2]", e.Message);
        Assert.Throws<ShapeMismatchException>(() => Functional.LinearMseLoss(x, w.T, b, y));
        Assert.Throws<ShapeMismatchException>(() => Functional.LinearMseLoss(x, w, Tensor.Zeros([3]), y));
    }
}
