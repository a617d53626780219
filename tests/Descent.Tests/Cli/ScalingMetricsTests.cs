using Descent.Cli;
using Xunit;

namespace Descent.Tests.Cli;

public sealed class ScalingMetricsTests
{
    [Fact]
    public void StandardizedWeightsFoldBackIntoRawUnits()
    {
        var x = Tensor.From(new double[,] { { 1, 10, 5 }, { 2, 30, 5 }, { 4, 20, 5 }, { 3, 50, 5 } });
        var y = Tensor.From(new double[,] { { 3, 100 }, { 1, 300 }, { 2, 200 }, { 7, 500 } });
        var scaling = Scaling.Fit(x, y);
        Assert.Equal(1.0, scaling.FeatureStd[2]); // a constant column is only centred
        var ws = new double[,] { { 0.5, -1.5, 2 }, { 0.25, 0.75, -3 } };
        var bs = new double[] { 0.1, -0.2 };

        var (w, b) = scaling.ToRaw(ws, bs);
        // Raw model on raw inputs == standardized model on standardized inputs, mapped back to raw targets.
        var raw = x.MatMul(Tensor.From(w).T) + Tensor.From(b);
        var scaled = scaling.ScaleFeatures(x).To(DType.Float64).MatMul(Tensor.From(ws).T) + Tensor.From(bs);
        var back = scaled * Tensor.From(scaling.TargetStd) + Tensor.From(scaling.TargetMean);
        var diff = (raw - back).Abs().Max().Item();
        Assert.True(diff < 1e-5, $"max difference {diff}");

        var (w2, b2) = scaling.FromRaw(w, b);
        for (int j = 0; j < 2; j++)
        {
            for (int k = 0; k < 3; k++) Assert.Equal(ws[j, k], w2[j, k], 12);
            Assert.Equal(bs[j], b2[j], 12);
        }
    }

    [Fact]
    public void ConstantColumnsAreFoundWhateverTheirUnits()
    {
        // Tiny values that vary are not constant; a large offset with rounding-level wobble and all zeros are.
        var x = Tensor.From(new double[,] { { 0, 1e6, 0, 2e-12 }, { 1e-12, 1e6 + 1e-10, 0, 2e-12 }, { 5e-13, 1e6, 0, 2e-12 } });
        var y = Tensor.From(new double[,] { { 1e-15 }, { 3e-15 }, { 2e-15 } });
        var scaling = Scaling.Fit(x, y);
        Assert.Equal(x.Std(0, correction: 0).ToArray<double>()[0], scaling.FeatureStd[0]);
        Assert.Equal(1.0, scaling.FeatureStd[1]);
        Assert.Equal(1.0, scaling.FeatureStd[2]);
        Assert.Equal(1.0, scaling.FeatureStd[3]);
        Assert.Equal(y.Std(0, correction: 0).ToArray<double>()[0], scaling.TargetStd[0]);
    }

    [Fact]
    public void IdentityScalingChangesNothing()
    {
        var scaling = Scaling.Identity(2, 1);
        var w = new double[,] { { 1.5, -2.25 } };
        var (rw, rb) = scaling.ToRaw(w, [0.125]);
        Assert.Equal(w, rw);
        Assert.Equal([0.125], rb);
    }

    [Fact]
    public void MetricsPerTarget()
    {
        var p = Tensor.From(new double[,] { { 1, 5 }, { 2, 5 }, { 4, 5 } });
        var y = Tensor.From(new double[,] { { 1, 5 }, { 3, 5 }, { 3, 5 } });
        var (m, mse) = Metrics.Compute(p, y, ["a", "b"]);
        Assert.Equal(2.0 / 3, m[0].Mse, 12);
        Assert.Equal(Math.Sqrt(2.0 / 3), m[0].Rmse, 12);
        Assert.Equal(2.0 / 3, m[0].Mae, 12);
        Assert.Equal(1 - 2 / (8.0 / 3), m[0].R2, 12); // SS_tot of 1, 3, 3 is 8/3
        Assert.Equal(1.0, m[1].R2); // a constant target predicted exactly
        Assert.Equal(2.0 / 6, mse, 12);
    }
}
