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
            {
                double expected = 0, scale = 0;
                for (int p = 0; p < k; p++)
                {
                    expected += (double)av[i, p] * bv[p, j];
                    scale += Math.Abs((double)av[i, p] * bv[p, j]);
                }
                float got = c[2 + i * n + j];
                Assert.True(Math.Abs(got - expected) <= 1e-5 * scale + 1e-6,
                    $"{strategy} {m}x{k} @ {k}x{n} ({la}{lb}): C[{i},{j}] = {got}, expected {expected}");
            }
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
        Assert.Equal(Strategy.Small, MatMulKernel.Pick(rowMajor, 5, 3, 2));
        Assert.Equal(Strategy.RowDots, MatMulKernel.Pick(new MatrixRef<float>([], 0, 16, 1), 1_000_000, 16, 1));
        Assert.Equal(Strategy.OuterSum, MatMulKernel.Pick(new MatrixRef<float>([], 0, 1, 16), 16, 1_000_000, 2));
        // A classifier's output layer, 128 x 256 @ 256 x 10, takes dot products; 17 columns and more the packed kernel.
        Assert.Equal(Strategy.RowDots, MatMulKernel.Pick(new MatrixRef<float>([], 0, 256, 1), 128, 256, 10));
        Assert.NotEqual(Strategy.RowDots, MatMulKernel.Pick(new MatrixRef<float>([], 0, 256, 1), 128, 256, 17));
    }
}
