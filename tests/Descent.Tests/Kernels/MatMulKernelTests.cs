using Descent.Kernels;
using Xunit;
using Strategy = Descent.Kernels.MatMulKernel.Strategy;

namespace Descent.Tests.Kernels;

public class MatMulKernelTests
{
    private static readonly int[] Sizes = [0, 1, 2, 3, 5, 7, 8, 11, 12, 13, 16, 17, 24, 31, 33, 40];

    /// <summary>A matrix of random values laid out by <paramref name="layout"/>: row-major, column-major (a transposed view) or every other element with an offset.</summary>
    private static MatrixRef<float> Make(Random rng, int rows, int cols, char layout, out float[,] values)
    {
        values = new float[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) values[i, j] = (float)(rng.NextDouble() * 2 - 1);
        const int off = 3;
        var data = new float[off + 2 * rows * cols + 5];
        Array.Fill(data, float.NaN);
        var m = layout switch
        {
            'r' => new MatrixRef<float>(data, off, cols, 1),
            'c' => new MatrixRef<float>(data, off, 1, rows),
            _ => new MatrixRef<float>(data, off, 2 * cols, 2),
        };
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) data[m.Offset + i * m.RowStride + j * m.ColStride] = values[i, j];
        return m;
    }

    /// <summary>C[i, j] against the float64 dot product of row i of A and column j of B, to float32 rounding.</summary>
    private static void AssertEntry(float[,] av, float[,] bv, int k, int i, int j, float got, string what)
    {
        double expected = 0, scale = 0;
        for (int p = 0; p < k; p++)
        {
            expected += (double)av[i, p] * bv[p, j];
            scale += Math.Abs((double)av[i, p] * bv[p, j]);
        }
        Assert.True(Math.Abs(got - expected) <= 1e-5 * scale + 1e-6, $"{what}: C[{i},{j}] = {got}, expected {expected}");
    }

    private static void Check(Strategy strategy, int m, int k, int n, char la, char lb, int seed)
    {
        var rng = new Random(seed);
        var a = Make(rng, m, k, la, out var av);
        var b = Make(rng, k, n, lb, out var bv);
        var c = new float[2 + m * n];
        Array.Fill(c, float.NaN);
        if (m * n > 0 && k == 0 || m * n == 0 || strategy == Strategy.Auto) MatMulKernel.Run(a, b, c, 2, m, k, n);
        else MatMulKernel.RunFloat(a, b, c, 2, m, k, n, strategy);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                AssertEntry(av, bv, k, i, j, c[2 + i * n + j], $"{strategy} {m}x{k} @ {k}x{n} ({la}{lb})");
        Assert.True(float.IsNaN(c[1]), "wrote before C");
    }

    [Theory]
    [InlineData("Auto")]
    [InlineData("Small")]
    [InlineData("Packed512")]
    [InlineData("Packed256")]
    [InlineData("Packed128")]
    public void SweepsSmallShapesInEveryLayout(string name)
    {
        var strategy = Enum.Parse<Strategy>(name);
        int seed = 0;
        foreach (int m in Sizes)
            foreach (int k in Sizes)
                foreach (int n in Sizes)
                {
                    // Every pair of layouts (row-major, column-major, strided) comes round in turn.
                    int pair = seed % 9;
                    Check(strategy, m, k, n, "rcs"[pair / 3], "rcs"[pair % 3], seed++);
                }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(5, 3, 2)]
    [InlineData(37, 16, 1)]
    [InlineData(1000, 16, 2)]
    [InlineData(301, 64, 4)]
    [InlineData(257, 3, 3)]
    [InlineData(9, 1000, 1)]
    [InlineData(128, 256, 10)]
    [InlineData(129, 784, 16)]
    [InlineData(33, 100, 13)]
    [InlineData(8, 24, 9)]
    [InlineData(20000, 64, 16)]
    public void RowDotsMatchesTheReference(int m, int k, int n)
    {
        foreach (char lb in "rcs")
            foreach (char la in "rs")
                if (la == 'r') Check(Strategy.RowDots, m, k, n, la, lb, m + k + n);
        foreach (char lb in "rcs") Check(Strategy.RowDots, m, k, n, 'r', lb, 7);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 2)]
    [InlineData(16, 1000, 1)]
    [InlineData(16, 1001, 2)]
    [InlineData(3, 777, 2)]
    [InlineData(64, 600, 4)]
    [InlineData(17, 1300, 3)]
    public void OuterSumMatchesTheReference(int m, int k, int n)
    {
        foreach (char lb in "rcs") Check(Strategy.OuterSum, m, k, n, 'c', lb, m * k + n);
    }

    /// <summary>
    /// Fewer than eight columns of A, eight rows at a time with a 256-bit load per row: A ends exactly where the
    /// array does (so the last rows take the scalar steps), or is followed by NaN, which must not reach C; and a row
    /// repeated by an expand (row stride 0).
    /// </summary>
    [Fact]
    public void RowDotsOverFewColumnsStayInsideTheRows()
    {
        var rng = new Random(21);
        foreach (int k in new[] { 1, 2, 3, 4, 5, 6, 7 })
            foreach (int m in new[] { 8, 9, 15, 16, 17, 33 })
                foreach (int n in new[] { 1, 2, 5 })
                    foreach (int off in new[] { 0, 3 })
                        foreach (int slack in new[] { 0, 9 })
                        {
                            var data = new float[off + m * k + slack];
                            Array.Fill(data, float.NaN);
                            var av = new float[m, k];
                            for (int i = 0; i < m; i++)
                                for (int p = 0; p < k; p++) data[off + i * k + p] = av[i, p] = (float)(rng.NextDouble() * 2 - 1);
                            var b = Make(rng, k, n, 'r', out var bv);
                            var c = new float[m * n];
                            MatMulKernel.RunFloat(new MatrixRef<float>(data, off, k, 1), b, c, 0, m, k, n, Strategy.RowDots);
                            for (int i = 0; i < m; i++)
                                for (int j = 0; j < n; j++)
                                    AssertEntry(av, bv, k, i, j, c[i * n + j], $"{m}x{k} @ {k}x{n}, offset {off}, {slack} floats after");
                        }
        // More columns of B than the strategy picker ever sends (the fused loss asks for one per output).
        foreach (int n in new[] { 17, 40 })
        {
            var a = Make(rng, 33, 3, 'r', out var av);
            var b = Make(rng, 3, n, 'r', out var bv);
            var c = new float[33 * n];
            MatMulKernel.RunFloat(a, b, c, 0, 33, 3, n, Strategy.RowDots);
            for (int i = 0; i < 33; i++)
                for (int j = 0; j < n; j++) AssertEntry(av, bv, 3, i, j, c[i * n + j], $"33x3 @ 3x{n}");
        }
        // One row of three values seen as 20 rows.
        var row = new float[] { 0.5f, -2f, 3f, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN };
        var w = Make(rng, 3, 2, 'r', out var wv);
        var r = new float[20 * 2];
        MatMulKernel.RunFloat(new MatrixRef<float>(row, 0, 0, 1), w, r, 0, 20, 3, 2, Strategy.RowDots);
        var rowValues = new float[20, 3];
        for (int i = 0; i < 20; i++)
            for (int p = 0; p < 3; p++) rowValues[i, p] = row[p];
        for (int i = 0; i < 20; i++)
            for (int j = 0; j < 2; j++) AssertEntry(rowValues, wv, 3, i, j, r[i * 2 + j], "expanded row");
    }

    [Fact]
    public void RowDotsGiveTheSameBitsOnAnyNumberOfThreads()
    {
        var rng = new Random(8);
        foreach (int m in new[] { 37, 301, 1003 })
            foreach (int k in new[] { 3, 5, 16, 24, 64 })
                foreach (int n in new[] { 1, 3 })
                {
                    var a = Make(rng, m, k, 'r', out _);
                    var b = Make(rng, k, n, 'c', out _);
                    var one = new float[m * n];
                    GemmRowDots.Run(a, b, one, 0, m, k, n, threads: 1);
                    foreach (int threads in new[] { 2, 3, 5 })
                    {
                        var many = new float[m * n];
                        GemmRowDots.Run(a, b, many, 0, m, k, n, threads);
                        Assert.Equal(one, many);
                    }
                }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 3, 5)]
    [InlineData(1, 16, 37)]
    [InlineData(2, 16, 1000)]
    [InlineData(4, 64, 301)]
    [InlineData(3, 3, 257)]
    [InlineData(1, 1000, 9)]
    public void RowDotsTransposedMatchesTheReference(int m, int k, int n)
    {
        foreach (char la in "rcs") Check(Strategy.RowDotsTransposed, m, k, n, la, 'c', m + k + n);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 5, 3)]
    [InlineData(1, 1000, 16)]
    [InlineData(2, 1001, 16)]
    [InlineData(2, 777, 3)]
    [InlineData(4, 600, 64)]
    [InlineData(3, 1300, 17)]
    public void OuterSumTransposedMatchesTheReference(int m, int k, int n)
    {
        foreach (char la in "rcs") Check(Strategy.OuterSumTransposed, m, k, n, la, 'r', m * k + n);
    }

    [Theory]
    [InlineData(50, 800, 70)]
    [InlineData(500, 9, 37)]
    [InlineData(13, 5, 3100)]
    [InlineData(130, 400, 129)]
    public void PackedCrossesBlockEdges(int m, int k, int n)
    {
        foreach (var s in new[] { Strategy.Packed512, Strategy.Packed256, Strategy.Packed128 })
            foreach (char la in "rc")
                foreach (char lb in "rc")
                    Check(s, m, k, n, la, lb, m + n);
    }

    /// <summary>
    /// The packed kernels called directly, on 1 to 3 threads and with packed B limited to a few slices at a time
    /// (or one), so edge tiles, uneven row blocks, shared packing and B packed in groups all meet small shapes.
    /// </summary>
    [Theory]
    [InlineData("Packed512")]
    [InlineData("Packed256")]
    [InlineData("Packed128")]
    public void PackedSweepsThreadsAndPackingGroups(string name)
    {
        var strategy = Enum.Parse<Strategy>(name);
        int[] ms = [1, 5, 12, 13, 31, 49, 100], ks = [1, 3, 64, 300, 777], ns = [1, 7, 16, 33, 65, 129];
        int seed = 0;
        foreach (int m in ms)
            foreach (int k in ks)
                foreach (int n in ns)
                {
                    int pair = seed % 9, threads = 1 + seed % 3;
                    // Budgets of one float (one slice per group), of two slices, and unlimited.
                    int budget = (seed / 3 % 3) switch { 0 => 1, 1 => 2 * 256 * 136, _ => int.MaxValue };
                    CheckPacked(strategy, m, k, n, "rcs"[pair / 3], "rcs"[pair % 3], threads, budget, seed++);
                }
    }

    /// <summary>Products big enough for several blocks of rows per thread, slices of the inner dim and panels of B.</summary>
    [Theory]
    [InlineData(257, 1000, 70, 2, int.MaxValue)]
    [InlineData(1000, 130, 45, 2, 4096)]
    [InlineData(37, 900, 3100, 2, 1 << 20)]
    [InlineData(500, 400, 300, 3, 1)]
    public void PackedLargerShapesOnThreads(int m, int k, int n, int threads, int budget)
    {
        foreach (var s in new[] { Strategy.Packed512, Strategy.Packed256, Strategy.Packed128 })
            CheckPacked(s, m, k, n, m % 2 == 0 ? 'c' : 'r', 's', threads, budget, m + k);
    }

    private static void CheckPacked(Strategy strategy, int m, int k, int n, char la, char lb, int threads, int budget, int seed)
    {
        var rng = new Random(seed);
        var a = Make(rng, m, k, la, out var av);
        var b = Make(rng, k, n, lb, out var bv);
        // C inside a wider matrix (row step n + 3, offset 2), so writes past a row's end or before C show up.
        int ldc = n + 3;
        var c = new float[2 + m * ldc + 3];
        Array.Fill(c, float.NaN);
        switch (strategy)
        {
            case Strategy.Packed512: GemmPacked<Kernel512>.Run(a, b, c, 2, ldc, m, k, n, threads, budget); break;
            case Strategy.Packed256: GemmPacked<Kernel256>.Run(a, b, c, 2, ldc, m, k, n, threads, budget); break;
            default: GemmPacked<Kernel128>.Run(a, b, c, 2, ldc, m, k, n, threads, budget); break;
        }
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
                AssertEntry(av, bv, k, i, j, c[2 + i * ldc + j], $"{strategy} {m}x{k} @ {k}x{n} ({la}{lb}, {threads} threads, budget {budget})");
            for (int j = n; j < ldc && 2 + i * ldc + j < c.Length; j++)
                Assert.True(float.IsNaN(c[2 + i * ldc + j]), $"{strategy} wrote past the end of row {i}");
        }
        Assert.True(float.IsNaN(c[1]), "wrote before C");
    }

    [Fact]
    public void LargeProductSplitAcrossThreadsMatches()
    {
        foreach (char la in "rc")
            foreach (char lb in "rc")
                Check(Strategy.Auto, 300, 200, 260, la, lb, 11);
    }

    [Fact]
    public void OuterSumStaysAccurateOverMillionsOfRows()
    {
        const int k = 3_000_000;
        var x = new float[k];
        Array.Fill(x, 0.1f);
        var g = new float[k];
        Array.Fill(g, 1f);
        var c = new float[1];
        MatMulKernel.RunFloat(new MatrixRef<float>(x, 0, 1, 1), new MatrixRef<float>(g, 0, 1, 1), c, 0, 1, k, 1, Strategy.OuterSum);
        double expected = k * (double)0.1f;
        Assert.True(Math.Abs(c[0] - expected) / expected < 1e-6, $"{c[0]} vs {expected}");
    }

    [Fact]
    public void PicksCheapPathsForTinyAndSkinnyProducts()
    {
        var rowMajor = new MatrixRef<float>([], 0, 3, 1);
        Assert.Equal(Strategy.Small, MatMulKernel.Pick(rowMajor, new MatrixRef<float>([], 0, 2, 1), 5, 3, 2));
        // x @ w.T and its weight gradient x.T @ g, for x 1,000,000 x 16.
        var x = new MatrixRef<float>([], 0, 16, 1);
        var xT = new MatrixRef<float>([], 0, 1, 16);
        Assert.Equal(Strategy.RowDots, MatMulKernel.Pick(x, new MatrixRef<float>([], 0, 1, 16), 1_000_000, 16, 1));
        Assert.Equal(Strategy.OuterSum, MatMulKernel.Pick(xT, new MatrixRef<float>([], 0, 2, 1), 16, 1_000_000, 2));
        // The same written the other way round: w @ x.T, and g.T @ x as a hand-written weight gradient.
        Assert.Equal(Strategy.RowDotsTransposed, MatMulKernel.Pick(new MatrixRef<float>([], 0, 16, 1), xT, 1, 16, 1_000_000));
        Assert.Equal(Strategy.OuterSumTransposed, MatMulKernel.Pick(new MatrixRef<float>([], 0, 1, 1), x, 1, 1_000_000, 16));
        // A classifier's output layer, 128 x 256 @ 256 x 10, takes dot products; 17 columns and more the packed kernel.
        var wT = new MatrixRef<float>([], 0, 1, 256);
        Assert.Equal(Strategy.RowDots, MatMulKernel.Pick(new MatrixRef<float>([], 0, 256, 1), wT, 128, 256, 10));
        Assert.NotEqual(Strategy.RowDots, MatMulKernel.Pick(new MatrixRef<float>([], 0, 256, 1), wT, 128, 256, 17));
    }
}
