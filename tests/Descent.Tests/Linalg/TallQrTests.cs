using Descent;
using Xunit;

namespace Descent.Tests.Linalg;

/// <summary>The chunked QR for very tall A against the pivoted QR of the whole of A.</summary>
public class TallQrTests
{
    private static (Tensor A, Tensor B) Problem(int m, int n, int k, int seed, double noise, Action<double[]>? change = null)
    {
        var rng = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var a = new double[m * n];
        for (int i = 0; i < a.Length; i++) a[i] = Normal() * (1 + i % n % 3) + 0.5 * (i % n);
        change?.Invoke(a);
        var w = new double[n * k];
        for (int i = 0; i < w.Length; i++) w[i] = Normal();
        var b = new double[m * k];
        for (int i = 0; i < m; i++)
            for (int c = 0; c < k; c++)
            {
                double s = noise * Normal();
                for (int j = 0; j < n; j++) s += a[i * n + j] * w[j * k + c];
                b[i * k + c] = s;
            }
        return (Tensor.FromSpan<double>(a, m, n), Tensor.FromSpan<double>(b, m, k));
    }

    private static void Compare(Tensor a, Tensor b, double tolerance, double? rcond = null)
    {
        int m = a.Size(0), n = a.Size(1), k = b.Dim == 1 ? 1 : b.Size(1);
        double tol = rcond ?? Descent.Linalg.DefaultRcond(m, n);
        Assert.True(TallQr.Applies(m, n));
        var chunked = Descent.Linalg.SolveQr(a, b, m, n, k, tol);
        var whole = Descent.Linalg.SolveQr(a, b, m, n, k, tol, chunked: false);
        Assert.Equal(whole.Rank, chunked.Rank);
        double scale = whole.Solution.Max(Math.Abs);
        for (int i = 0; i < whole.Solution.Length; i++)
            Assert.True(Math.Abs(chunked.Solution[i] - whole.Solution[i]) <= tolerance * scale, $"[{i}]: {chunked.Solution[i]} vs {whole.Solution[i]}");
        Assert.Equal(whole.Residuals is null, chunked.Residuals is null);
        // An exact fit leaves only rounding, about (eps ‖B‖)², to compare.
        double floor = 1e-24 * b.To(DType.Float64).Square().Sum().Item();
        if (whole.Residuals is { } r)
            for (int q = 0; q < k; q++) Assert.True(Math.Abs(chunked.Residuals![q] - r[q]) <= 1e-9 * r[q] + floor, $"residual {q}: {chunked.Residuals[q]} vs {r[q]}");
    }

    [Fact]
    public void FullRankMultiOutputMatchesTheWholeQr()
    {
        var (a, b) = Problem(50_001, 7, 3, seed: 1, noise: 0.1); // the last chunk has one row
        Compare(a, b, 1e-11);
    }

    [Fact]
    public void Float32WithOneDimensionalTargetMatchesTheWholeQr()
    {
        var (a, b) = Problem(40_000, 16, 1, seed: 2, noise: 0.1);
        Compare(a.To(DType.Float32), b.Reshape(40_000).To(DType.Float32), 1e-11);
    }

    [Fact]
    public void RankDeficientGivesTheSameMinimumNormSolution()
    {
        var (a, b) = Problem(30_000, 5, 2, seed: 3, noise: 0, change: v =>
        {
            for (int i = 0; i < 30_000; i++) v[i * 5 + 4] = v[i * 5 + 1];
        });
        Compare(a, b, 1e-9);
    }

    [Fact]
    public void IllConditionedAndNearTheRankThresholdGiveTheSameAnswer()
    {
        var rng = new Random(4);
        var (a, b) = Problem(20_000, 6, 1, seed: 4, noise: 0, change: v =>
        {
            for (int i = 0; i < 20_000; i++) v[i * 6 + 5] = v[i * 6 + 2] + 1e-7 * (rng.NextDouble() - 0.5);
        });
        Compare(a, b, 1e-6);
        Compare(a, b, 1e-9, rcond: 1e-6);
    }
}
