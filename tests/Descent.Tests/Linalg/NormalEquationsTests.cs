using System.Text.Json;
using Descent;
using Xunit;

namespace Descent.Tests.Linalg;

/// <summary>
/// The normal-equation path of <see cref="Descent.Linalg.Lstsq"/>: against NumPy's answers and the QR path, when it must
/// decline (rank-deficient or ill-conditioned A), and that the public call takes it on large tall problems.
/// </summary>
public class NormalEquationsTests
{
    private static double[] Normal(int count, Random rng)
    {
        var v = new double[count];
        for (int i = 0; i < count; i++) v[i] = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        return v;
    }

    // A (m x n) with entries N(0,1) plus an offset per column, B = A W + noise (m x k).
    private static (double[] A, double[] B) Problem(int m, int n, int k, int seed, double noise = 0.1, Action<double[]>? change = null)
    {
        var rng = new Random(seed);
        var a = Normal(m * n, rng);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) a[i * n + j] = a[i * n + j] * (1 + j % 3) + 0.5 * j;
        change?.Invoke(a);
        var w = Normal(n * k, rng);
        var b = Normal(m * k, rng);
        for (int i = 0; i < m; i++)
            for (int c = 0; c < k; c++)
            {
                double s = noise * b[i * k + c];
                for (int j = 0; j < n; j++) s += a[i * n + j] * w[j * k + c];
                b[i * k + c] = s;
            }
        return (a, b);
    }

    private static (double[] Solution, double[]? Residuals)? Fast(Tensor a, Tensor b)
    {
        int m = a.Size(0), n = a.Size(1), k = b.Dim == 1 ? 1 : b.Size(1);
        return NormalEquations.TrySolve(a.Contiguous(), b.Contiguous(), m, n, k, Descent.Linalg.DefaultRcond(m, n));
    }

    private static double[] Gram(Tensor a) => a.To(DType.Float64).T.MatMul(a.To(DType.Float64)).Contiguous().ToArray<double>();

    private static (double[] Solution, double[]? Residuals, int Rank) Qr(Tensor a, Tensor b)
    {
        int m = a.Size(0), n = a.Size(1), k = b.Dim == 1 ? 1 : b.Size(1);
        return Descent.Linalg.SolveQr(a, b, m, n, k, Descent.Linalg.DefaultRcond(m, n));
    }

    private static void Close(double[] want, double[] got, double relative, string what)
    {
        Assert.Equal(want.Length, got.Length);
        double scale = Math.Max(1e-300, want.Max(Math.Abs));
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= relative * scale, $"{what}[{i}]: {got[i]} vs {want[i]}");
    }

    public static TheoryData<string> FixtureCases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Fixture().GetProperty("cases").EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    private static JsonElement Fixture() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "lstsq.json"))).RootElement;

    private static Tensor ToTensor(JsonElement e)
    {
        if (e[0].ValueKind == JsonValueKind.Array)
        {
            int rows = e.GetArrayLength(), cols = e[0].GetArrayLength();
            return Tensor.FromSpan<double>(e.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray(), rows, cols);
        }
        var flat = e.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        return Tensor.FromSpan<double>(flat, flat.Length);
    }

    [Theory]
    [MemberData(nameof(FixtureCases))]
    public void MatchesNumPyOnFullRankFixturesAndDeclinesTheOthers(string name)
    {
        var c = Fixture().GetProperty("cases").EnumerateArray().First(e => e.GetProperty("name").GetString() == name);
        var a = ToTensor(c.GetProperty("a"));
        var b = ToTensor(c.GetProperty("b"));
        long rank = c.GetProperty("rank").GetInt64();
        if (a.Size(0) < a.Size(1)) return; // wide: never offered to the normal equations
        var fast = Fast(a, b);
        if (rank < a.Size(1))
        {
            Assert.Null(fast);
            return;
        }
        Assert.NotNull(fast);
        Close(ToTensor(c.GetProperty("solution")).ToArray<double>(), fast.Value.Solution, 1e-9, name);
        var residuals = c.GetProperty("residuals").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        if (residuals.Length == 0) Assert.Null(fast.Value.Residuals);
        else for (int i = 0; i < residuals.Length; i++) Assert.True(Math.Abs(fast.Value.Residuals![i] - residuals[i]) <= 1e-9 * Math.Max(1, residuals[i]), $"{name} residual {i}");
    }

    [Theory]
    [InlineData(40_000, 12, 3)]
    [InlineData(3_000, 40, 1)]
    [InlineData(70_001, 5, 7)]
    public void LargeFloat64ProblemsTakeTheFastPathAndAgreeWithQr(int m, int n, int k)
    {
        var (av, bv) = Problem(m, n, k, seed: m + n + k);
        var a = Tensor.FromSpan<double>(av, m, n);
        var b = Tensor.FromSpan<double>(bv, m, k);
        Assert.True(Descent.Linalg.UsesNormalEquations(m, n));
        var fast = Fast(a, b);
        Assert.NotNull(fast);
        var qr = Qr(a, b);
        Close(qr.Solution, fast.Value.Solution, 1e-11, "solution");
        Close(qr.Residuals!, fast.Value.Residuals!, 1e-10, "residuals");

        var result = Descent.Linalg.Lstsq(a, b);
        Assert.Equal(n, result.Rank);
        Assert.Equal(fast.Value.Solution, result.Solution.ToArray<double>());
        Assert.Equal(fast.Value.Residuals, result.Residuals.ToArray<double>());
    }

    [Fact]
    public void Float32WithOneDimensionalTargetAgreesWithQrToFloat32Precision()
    {
        // Threaded (several chunks) and the shape of the benchmark: uniform features, no intercept column.
        var g = new Generator(7);
        var x = Tensor.Rand([100_000, 16], generator: g);
        Tensor y;
        using (Tensor.NoGrad()) y = (x.MatMul(Tensor.RandN([16], generator: g)) + Tensor.RandN([100_000], generator: g) * 0.1).Contiguous();
        var fast = Fast(x, y);
        Assert.NotNull(fast);
        var qr = Qr(x, y);
        Close(qr.Solution, fast.Value.Solution, 1e-10, "solution");
        Close(qr.Residuals!, fast.Value.Residuals!, 1e-9, "residuals");

        var result = Descent.Linalg.Lstsq(x, y);
        Assert.Equal(DType.Float32, result.Solution.DType);
        Assert.Equal([16], result.Solution.Shape.ToArray());
        Assert.Equal(16, result.Rank);
        Assert.Equal(qr.Solution.Select(v => (float)v), result.Solution.ToArray<float>());
    }

    [Fact]
    public void IllConditionedProblemsFallBackToQr()
    {
        // Two columns equal up to 1e-7: scaled condition near 1e7, past what one refinement step can repair.
        int m = 20_000, n = 6;
        var (av, bv) = Problem(m, n, 1, seed: 3);
        var rng = new Random(4);
        for (int i = 0; i < m; i++) av[i * n + 5] = av[i * n + 2] + 1e-7 * Normal(1, rng)[0];
        var a = Tensor.FromSpan<double>(av, m, n);
        var b = Tensor.FromSpan<double>(bv, m, 1);
        Assert.Null(Fast(a, b));
        var qr = Qr(a, b);
        var result = Descent.Linalg.Lstsq(a, b);
        Assert.Equal(n, result.Rank);
        Assert.Equal(qr.Solution, result.Solution.ToArray<double>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ModeratelyIllConditionedProblemsStayOnTheFastPathWithQrAccuracy(bool float32)
    {
        // Columns equal up to 1e-3 (scaled condition about 1e3; 1e6 for the normal equations): refinement recovers it.
        // An exact fit, so that the answer itself is not sensitive beyond cond(A) · eps (with a residual the least-squares
        // solution moves by cond(A)² · eps · ‖r‖ / (‖A‖ ‖x‖), about 1e-10 here, for QR and normal equations alike).
        int m = 20_000, n = 6;
        var rng = new Random(6);
        var (av, bv) = Problem(m, n, 2, seed: 5, noise: 0, change: a =>
        {
            // float32's default rcond (eps32 · m, 2.4e-3 here) would call columns closer than this rank-deficient.
            for (int i = 0; i < m; i++) a[i * n + 5] = a[i * n + 2] + (float32 ? 3e-2 : 1e-3) * Normal(1, rng)[0];
        });
        var a = Tensor.FromSpan<double>(av, m, n);
        var b = Tensor.FromSpan<double>(bv, m, 2);
        if (float32)
        {
            // Too ill-conditioned to skip the refinement pass that float32 results may skip; rounding A and B to
            // float32 leaves a residual, hence the looser bound.
            (a, b) = (a.To(DType.Float32), b.To(DType.Float32));
            Assert.True(NormalEquations.Factor(Gram(a), n, 0)!.Value.Condition > 200);
        }
        var fast = Fast(a, b);
        Assert.NotNull(fast);
        Close(Qr(a, b).Solution, fast.Value.Solution, float32 ? 1e-9 : 1e-11, "solution");
    }

    [Fact]
    public void RankDeficientProblemsFallBackToTheMinimumNormQrSolution()
    {
        // The last column repeats the first: y = A w fits with any split of w0 between them; minimum norm splits it evenly.
        int m = 10_000, n = 5;
        var (av, _) = Problem(m, n, 1, seed: 8);
        for (int i = 0; i < m; i++) av[i * n + 4] = av[i * n];
        var w = new double[] { 4, 1, -2, 0.5, 0 };
        var bv = new double[m];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) bv[i] += av[i * n + j] * w[j];
        var a = Tensor.FromSpan<double>(av, m, n);
        var b = Tensor.FromSpan<double>(bv, m);
        Assert.Null(Fast(a, b));
        var result = Descent.Linalg.Lstsq(a, b);
        Assert.Equal(4, result.Rank);
        Assert.Equal(0, result.Residuals.Numel());
        Close([2, 1, -2, 0.5, 2], result.Solution.ToArray<double>(), 1e-9, "minimum norm");
    }

    [Fact]
    public void ColumnsBelowTheQrRankThresholdAreDeclined()
    {
        // Full rank, but with rcond = 0.3 a column whose remaining norm is under 0.3 times the largest counts as zero for
        // the QR; the fast path must not report full rank there.
        int m = 10_000, n = 3;
        var (av, bv) = Problem(m, n, 1, seed: 9);
        for (int i = 0; i < m; i++) av[i * n + 2] = av[i * n + 1] + 0.05 * av[i * n];
        var a = Tensor.FromSpan<double>(av, m, n);
        var b = Tensor.FromSpan<double>(bv, m);
        Assert.Null(NormalEquations.TrySolve(a, b, m, n, 1, rcond: 0.3));
        var qr = Descent.Linalg.SolveQr(a, b, m, n, 1, 0.3);
        var result = Descent.Linalg.Lstsq(a, b, rcond: 0.3);
        Assert.Equal(qr.Rank, result.Rank);
        Assert.True(result.Rank < n);
        Assert.Equal(qr.Solution, result.Solution.ToArray<double>());
    }

    [Fact]
    public void WideAndSmallProblemsGoStraightToQr()
    {
        Assert.False(Descent.Linalg.UsesNormalEquations(100, 300));
        Assert.False(Descent.Linalg.UsesNormalEquations(15, 4));
        var (av, bv) = Problem(100, 300, 2, seed: 10);
        var a = Tensor.FromSpan<double>(av, 100, 300);
        var result = Descent.Linalg.Lstsq(a, Tensor.FromSpan<double>(bv, 100, 2));
        Assert.Equal(100, result.Rank);
        Assert.Equal(Qr(a, Tensor.FromSpan<double>(bv, 100, 2)).Solution, result.Solution.ToArray<double>());
    }

    [Fact]
    public void SquareSystemsHaveNoResidualsAndEmptyRightHandSidesWork()
    {
        var (av, bv) = Problem(130, 130, 2, seed: 12);
        var a = Tensor.FromSpan<double>(av, 130, 130);
        var b = Tensor.FromSpan<double>(bv, 130, 2);
        Assert.True(Descent.Linalg.UsesNormalEquations(130, 130));
        var fast = Fast(a, b);
        Assert.NotNull(fast);
        Assert.Null(fast.Value.Residuals);
        Close(Qr(a, b).Solution, fast.Value.Solution, 1e-9, "square");
        Assert.Equal(0, Descent.Linalg.Lstsq(a, b).Residuals.Numel());

        var none = Descent.Linalg.Lstsq(Tensor.FromSpan<double>(Problem(5000, 4, 1, seed: 13).A, 5000, 4), Tensor.Zeros([5000, 0], DType.Float64));
        Assert.Equal([4, 0], none.Solution.Shape.ToArray());
        Assert.Equal(4, none.Rank);
    }

    [Fact]
    public void StridedInputsGiveTheSameAnswerAsContiguousOnes()
    {
        var (av, bv) = Problem(30_000, 8, 2, seed: 11);
        var a = Tensor.FromSpan<double>(av, 30_000, 8);
        var b = Tensor.FromSpan<double>(bv, 30_000, 2);
        var at = a.T.Contiguous().T; // column-major storage of the same matrix
        var expected = Descent.Linalg.Lstsq(a, b).Solution.ToArray<double>();
        Assert.Equal(expected, Descent.Linalg.Lstsq(at, b).Solution.ToArray<double>());
    }
}
