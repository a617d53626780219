using System.Text.Json;
using Descent;
using Xunit;

namespace Descent.Tests.Linalg;

public class LstsqTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Fixture().GetProperty("cases").EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    private static JsonElement Fixture() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "lstsq.json"))).RootElement;

    private static JsonElement Case(string name) =>
        Fixture().GetProperty("cases").EnumerateArray().First(c => c.GetProperty("name").GetString() == name);

    private static Tensor ToTensor(JsonElement e)
    {
        if (e.GetArrayLength() > 0 && e[0].ValueKind == JsonValueKind.Array)
        {
            int rows = e.GetArrayLength(), cols = e[0].GetArrayLength();
            var values = e.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray();
            return Tensor.FromSpan<double>(values, rows, cols);
        }
        var flat = e.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        return Tensor.FromSpan<double>(flat, flat.Length);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesNumPyMinimumNormSolution(string name)
    {
        var c = Case(name);
        var a = ToTensor(c.GetProperty("a"));
        var b = ToTensor(c.GetProperty("b"));
        var expected = ToTensor(c.GetProperty("solution"));

        var result = Descent.Linalg.Lstsq(a, b);

        Assert.Equal(expected.Shape.ToArray(), result.Solution.Shape.ToArray());
        Assert.Equal(c.GetProperty("rank").GetInt64(), result.Rank);
        var got = result.Solution.ToArray<double>();
        var want = expected.ToArray<double>();
        double scale = Math.Max(1, want.Max(Math.Abs));
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= 1e-9 * scale, $"{name}[{i}]: {got[i]} vs NumPy {want[i]}");

        var residuals = c.GetProperty("residuals").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var gotResiduals = result.Residuals.ToArray<double>();
        Assert.Equal(residuals.Length, gotResiduals.Length);
        for (int i = 0; i < residuals.Length; i++)
            Assert.True(Math.Abs(gotResiduals[i] - residuals[i]) <= 1e-9 * Math.Max(1, residuals[i]), $"{name} residual {i}: {gotResiduals[i]} vs {residuals[i]}");
    }

    [Fact]
    public void InputsThatRequireGradAreRefusedOutsideNoGrad()
    {
        var a = Tensor.From(new double[,] { { 1, 0 }, { 0, 1 }, { 1, 1 } });
        var b = Tensor.From(new double[] { 1, 2, 3 });
        var w = a.Clone();
        w.RequiresGrad = true;
        var e = Assert.Throws<InvalidOperationException>(() => Descent.Linalg.Lstsq(w, b));
        Assert.Contains("A requires grad", e.Message);
        Assert.Contains("Detach()", e.Message);
        Assert.Contains("B requires grad", Assert.Throws<InvalidOperationException>(() => Descent.Linalg.Lstsq(a, Tensor.From(new double[] { 1, 2, 3 }, requiresGrad: true))).Message);
        using (Tensor.NoGrad())
            Assert.Equal(Descent.Linalg.Lstsq(a, b).Solution.ToArray<double>(), Descent.Linalg.Lstsq(w, b).Solution.ToArray<double>());
        Assert.Equal(Descent.Linalg.Lstsq(a, b).Solution.ToArray<double>(), Descent.Linalg.Lstsq(w.Detach(), b).Solution.ToArray<double>());
    }

    [Fact]
    public void ExactFitHasZeroResidualAndRecoversCoefficients()
    {
        var a = Tensor.From(new double[,] { { 1, 2 }, { 3, 4 }, { 5, 7 }, { -1, 0.5 } });
        var w = Tensor.From(new double[,] { { 2 }, { -3 } });
        var result = Descent.Linalg.Lstsq(a, a.MatMul(w));
        Assert.Equal(2, result.Rank);
        Assert.Equal(2.0, result.Solution[0, 0].Item(), 12);
        Assert.Equal(-3.0, result.Solution[1, 0].Item(), 12);
        Assert.True(result.Residuals.Item() < 1e-20);
    }

    [Fact]
    public void RankDeficientGivesMinimumNormSplitAcrossRepeatedColumns()
    {
        // y = 4x fits with any w1 + w2 = 4; the minimum-norm choice splits it evenly.
        var a = Tensor.From(new double[,] { { 1, 1 }, { 2, 2 }, { 3, 3 } });
        var y = Tensor.From(new double[] { 4, 8, 12 });
        var result = Descent.Linalg.Lstsq(a, y);
        Assert.Equal(1, result.Rank);
        Assert.Equal(new[] { 2.0, 2.0 }, result.Solution.ToArray<double>().Select(v => Math.Round(v, 12)));
        Assert.Equal(0, result.Residuals.Numel());
    }

    [Fact]
    public void Float32InputsGiveFloat32ResultsComputedInFloat64()
    {
        var a = Tensor.From(new float[,] { { 73, 67, 43, 1 }, { 91, 88, 64, 1 }, { 87, 134, 58, 1 }, { 102, 43, 37, 1 }, { 69, 96, 70, 1 } });
        var y = Tensor.From(new float[,] { { 56 }, { 81 }, { 119 }, { 22 }, { 103 } });
        var x32 = Descent.Linalg.Lstsq(a, y).Solution;
        var x64 = Descent.Linalg.Lstsq(a.To(DType.Float64), y.To(DType.Float64)).Solution;
        Assert.Equal(DType.Float32, x32.DType);
        Assert.Equal(x64.To(DType.Float32).ToArray<float>(), x32.ToArray<float>());
    }

    [Theory]
    [InlineData(-540, -540, 6)] // squares of A's and B's entries underflow to zero
    [InlineData(540, 500, 6)] // and overflow to infinity
    [InlineData(-540, 0, 6)]
    [InlineData(540, 0, 6)]
    [InlineData(-535, -535, 6000)] // tall enough for the normal equations to be tried
    [InlineData(-530, 0, 6000)]
    [InlineData(540, 0, 6000)]
    public void HugeAndTinyEntriesGiveTheAnswerOfTheScaledProblem(int aExponent, int bExponent, int rows)
    {
        // NumPy and PyTorch (LAPACK) answer these as they answer the problem at scale 1, scaled back.
        var rng = new Random(5);
        var a = new double[rows, 3];
        var b = new double[rows, 2];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < 3; j++) a[i, j] = rng.NextDouble() - 0.5 + (i % 4 == j ? 1 : 0);
            for (int c = 0; c < 2; c++) b[i, c] = rng.NextDouble() - 0.5;
        }
        var expected = Descent.Linalg.Lstsq(Tensor.From(a), Tensor.From(b));
        var result = Descent.Linalg.Lstsq(Tensor.From(a) * Math.ScaleB(1.0, aExponent), Tensor.From(b) * Math.ScaleB(1.0, bExponent));

        Assert.Equal(3, result.Rank);
        var want = expected.Solution.ToArray<double>();
        var got = result.Solution.ToArray<double>();
        for (int i = 0; i < want.Length; i++)
        {
            double w = Math.ScaleB(want[i], bExponent - aExponent);
            Assert.True(Math.Abs(got[i] - w) <= 1e-12 * Math.Abs(w), $"solution[{i}]: {got[i]} vs {w}");
        }
        var residuals = result.Residuals.ToArray<double>();
        for (int c = 0; c < 2; c++)
        {
            double w = Math.ScaleB(expected.Residuals.ToArray<double>()[c], 2 * bExponent);
            Assert.True(Math.Abs(residuals[c] - w) <= 1e-12 * w, $"residual {c}: {residuals[c]} vs {w}");
        }
    }

    [Theory]
    [InlineData(double.NaN, "nan")]
    [InlineData(double.PositiveInfinity, "inf")]
    [InlineData(double.NegativeInfinity, "-inf")]
    public void NonFiniteEntryOfARaisesAndNamesItsPlace(double value, string shown)
    {
        // NumPy raises LinAlgError here; PyTorch's default driver returns NaN, or zeros with rank 0 for infinity.
        var a = new double[,] { { 1, 2 }, { 3, 1 }, { 5, 7 }, { 1, 1 } };
        a[2, 1] = value;
        var b = Tensor.From(new double[] { 1, 2, 3, 4 });
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var e = Assert.Throws<ArgumentException>(() => Descent.Linalg.Lstsq(Tensor.From(a).To(dtype), b.To(dtype)));
            Assert.Equal($"Lstsq: A has {shown} at row 2, column 1; least squares needs finite values in A", e.Message);
        }
    }

    [Fact]
    public void NonFiniteEntryOfBGivesNaNInItsColumnOfTheSolution()
    {
        // As NumPy and PyTorch: the other columns are solved as usual.
        var a = Tensor.From(new double[,] { { 1, 2 }, { 3, 1 }, { 5, 7 }, { 1, 1 } });
        var b = Tensor.From(new double[,] { { 1, 1 }, { 2, double.PositiveInfinity }, { 3, 3 }, { 4, 4 } });
        var x = (double[,])Descent.Linalg.Lstsq(a, b).Solution.ToArray();
        Assert.Equal(0.80602006688963, x[0, 0], 12); // numpy.linalg.lstsq
        Assert.True(double.IsNaN(x[0, 1]) && double.IsNaN(x[1, 1]));
    }

    [Fact]
    public void Float32YearsBesideAColumnOfOnesKeepFullRank()
    {
        // Years 1990..2010 and a bias column: independent to float64's precision, which the solve runs in. With
        // float32's epsilon in the rank threshold (PyTorch's float32 default) the ones column was dropped: rank 1 and
        // a sum of squares ten times the optimum. NumPy, solving float32 input in float64, finds rank 2.
        const int rows = 200;
        var a = new float[rows, 2];
        var y = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            a[i, 0] = 1990 + i * 7 % 21;
            a[i, 1] = 1;
            y[i] = 0.5f * (a[i, 0] - 2000) + 3 + 0.1f * (i * 13 % 7 - 3);
        }
        var result = Descent.Linalg.Lstsq(Tensor.From(a), Tensor.From(y));
        var x64 = Descent.Linalg.Lstsq(Tensor.From(a).To(DType.Float64), Tensor.From(y).To(DType.Float64)).Solution;
        Assert.Equal(2, result.Rank);
        Assert.Equal(x64.To(DType.Float32).ToArray<float>(), result.Solution.ToArray<float>());
        Assert.Equal(0.5f, result.Solution[0].Item<float>(), 1e-2f);
    }

    [Fact]
    public void RejectsMismatchedShapesAndDTypes()
    {
        var a = Tensor.Zeros([3, 2], DType.Float64);
        Assert.Contains("B has 4 rows", Assert.Throws<ShapeMismatchException>(() => Descent.Linalg.Lstsq(a, Tensor.Zeros([4], DType.Float64))).Message);
        Assert.Throws<ShapeMismatchException>(() => Descent.Linalg.Lstsq(Tensor.Zeros([3], DType.Float64), Tensor.Zeros([3], DType.Float64)));
        Assert.Throws<DTypeMismatchException>(() => Descent.Linalg.Lstsq(a, Tensor.Zeros([3])));
        Assert.Throws<DTypeMismatchException>(() => Descent.Linalg.Lstsq(Tensor.Zeros([3, 2], DType.Int64), Tensor.Zeros([3], DType.Int64)));
    }
}
