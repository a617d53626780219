using Xunit;

namespace Descent.Tests.Kernels;

/// <summary>The short-row and one-value broadcast paths of the binary kernels, and the column sums, against plain loops.</summary>
public class BroadcastAndReduceTests
{
    private static float[] Values(int n, int seed)
    {
        var rng = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 4 - 2);
        return v;
    }

    private static readonly int[] RowCounts = [1, 3, 17, 300, 2500, 5000];

    [Fact]
    public void ShortRowBroadcastMatchesLoopsForEveryPeriod()
    {
        foreach (int rows in RowCounts)
            for (int len = 1; len <= 70; len += rows > 1000 ? 9 : 1)
            {
                // 5000 rows of one value: a tile of 4096 and a shorter last one.
                var xv = Values(rows * len, rows + len);
                var bv = Values(len, len);
                var x = Tensor.FromSpan<float>(xv, rows, len);
                var b = Tensor.FromSpan<float>(bv, len);
                var sum = (x + b).ToArray<float>();
                var diff = (b - x).ToArray<float>();
                var quot = (x / b.Reshape(1, len)).ToArray<float>();
                for (int i = 0; i < rows * len; i++)
                {
                    float bj = bv[i % len];
                    Assert.Equal(xv[i] + bj, sum[i]);
                    Assert.Equal(bj - xv[i], diff[i]);
                    Assert.Equal(xv[i] / bj, quot[i]);
                }
            }
    }

    [Fact]
    public void BroadcastAgainstATransposedOperandTakesTheStridedPath()
    {
        var xv = Values(40 * 9, 1);
        var x = Tensor.FromSpan<float>(xv, 40, 9).T; // 9 x 40, not contiguous
        var bv = Values(40, 2);
        var r = (x * Tensor.FromSpan<float>(bv, 40)).ToArray<float>();
        for (int i = 0; i < 9; i++)
            for (int j = 0; j < 40; j++) Assert.Equal(xv[j * 9 + i] * bv[j], r[i * 40 + j]);
    }

    [Fact]
    public void NumbersBroadcastOverEveryLength()
    {
        for (int n = 0; n <= 300; n++)
        {
            var xv = Values(n, n);
            var x = Tensor.FromSpan<float>(xv, n);
            var times = (x * 2.5).ToArray<float>();
            var over = (2.5 / x).ToArray<float>();
            var minus = (Tensor.Scalar(1.5) - x).ToArray<float>();
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(xv[i] * 2.5f, times[i]);
                Assert.Equal(2.5f / xv[i], over[i]);
                Assert.Equal(1.5f - xv[i], minus[i]);
            }
        }
    }

    [Fact]
    public void ColumnSumsMatchLoopsForEveryWidth()
    {
        foreach (int rows in new[] { 0, 1, 5, 257, 1000, 20000 })
            for (int len = 1; len <= 70; len += rows > 10000 ? 7 : 1)
            {
                var xv = Values(rows * len, rows * 7 + len);
                var s = Tensor.FromSpan<float>(xv, rows, len).Sum(0).ToArray<float>();
                for (int j = 0; j < len; j++)
                {
                    double expected = 0, scale = 0;
                    for (int r = 0; r < rows; r++)
                    {
                        expected += xv[r * len + j];
                        scale += Math.Abs(xv[r * len + j]);
                    }
                    Assert.True(Math.Abs(s[j] - expected) <= 1e-6 * scale + 1e-6, $"{rows}x{len} column {j}: {s[j]} vs {expected}");
                }
            }
    }

    [Fact]
    public void OneColumnSumsAsOneRun()
    {
        foreach (int rows in new[] { 0, 1, 7, 4096, 4097, 300_001 })
        {
            var xv = Values(rows, rows);
            double expected = 0, scale = 0;
            foreach (var v in xv)
            {
                expected += v;
                scale += Math.Abs(v);
            }
            var x = Tensor.FromSpan<float>(xv, rows, 1);
            var s = x.Sum(0);
            Assert.Equal([1], s.Shape.ToArray());
            Assert.True(Math.Abs(s.Item() - expected) <= 1e-6 * scale + 1e-6, $"{rows} rows: {s.Item()} vs {expected}");
            // A view that starts past the storage's first element.
            if (rows > 1)
            {
                var tail = x.Narrow(0, 1, rows - 1).Sum(0).Item();
                Assert.True(Math.Abs(tail - (expected - xv[0])) <= 1e-6 * scale + 1e-6, $"{rows} rows from 1: {tail}");
            }
        }
    }

    [Fact]
    public void Int64SumsStayExactOverManyElements()
    {
        // 2^40 + 1 times 300,001 needs 59 bits: a sum through double would round it.
        const long value = (1L << 40) + 1;
        const int n = 300_001;
        var x = Tensor.Full([n], (double)value, DType.Int64);
        Assert.Equal(value * n, x.Sum().Item<long>());
        Assert.Equal(value * n, x.Reshape(n, 1).Sum(0).Item<long>());
        // Wrapping on overflow, as PyTorch's int64 sum.
        var big = Tensor.Full([n], (double)(1L << 62), DType.Int64);
        Assert.Equal(unchecked((1L << 62) * n), big.Sum().Item<long>());
    }

    [Fact]
    public void ColumnSumsStayAccurateOverMillionsOfRows()
    {
        const int rows = 4_000_000;
        var x = Tensor.Full([rows, 2], 0.1);
        var s = x.Sum(0).ToArray<float>();
        double expected = rows * (double)0.1f;
        foreach (var v in s) Assert.True(Math.Abs(v - expected) / expected < 1e-6, $"{v} vs {expected}");
    }

    /// <summary>
    /// float32 values far from zero (10 000 plus a fraction) sum to within one float32 step of the exact sum, at every
    /// length from a few elements to the parallel path, whole and along the last dim; with one float accumulator per
    /// vector lane 1000 of them came out two steps off.
    /// </summary>
    [Fact]
    public void Float32SumsFarFromZeroAreWithinOneStepOfTheExactSum()
    {
        var rng = new Random(7);
        int[] lengths = [.. Enumerable.Range(0, 258), 1000, 4095, 4097, 100_003, 2_000_003];
        foreach (int n in lengths)
        {
            var v = new float[n];
            for (int i = 0; i < n; i++) v[i] = 10000f + rng.NextSingle();
            double exact = v.Sum(x => (double)x);
            float expected = (float)exact;
            float step = MathF.BitIncrement(expected) - expected;
            float whole = Tensor.From(v).Sum().Item<float>();
            Assert.True(Math.Abs(whole - exact) <= step, $"n={n}: {whole} vs exact {exact}");
            if (n == 0 || n > 4097) continue;
            float row = Tensor.From(v).Reshape(1, n).Sum(1).Item<float>();
            Assert.True(Math.Abs(row - exact) <= step, $"n={n} along a dim: {row} vs exact {exact}");
        }
    }

    /// <summary>Column sums (a sum over the leading dim) of values far from zero are within one float32 step too, narrow or wide, few rows or many.</summary>
    [Fact]
    public void Float32ColumnSumsFarFromZeroAreWithinOneStepOfTheExactSums()
    {
        var rng = new Random(3);
        foreach (var (rows, cols) in new[] { (1000, 3), (1000, 64), (100_000, 16), (20_000, 200), (10, 1000), (37, 129), (3, 5000) })
        {
            var v = new float[rows * cols];
            for (int i = 0; i < v.Length; i++) v[i] = 10000f + rng.NextSingle();
            var sums = Tensor.From(v).Reshape(rows, cols).Sum(0).ToArray<float>();
            for (int j = 0; j < cols; j++)
            {
                double exact = 0;
                for (int r = 0; r < rows; r++) exact += v[r * cols + j];
                float e = (float)exact;
                Assert.True(Math.Abs(sums[j] - exact) <= MathF.BitIncrement(e) - e, $"{rows}x{cols}, column {j}: {sums[j]} vs exact {exact}");
            }
        }
    }

    /// <summary>Mean and variance of data far from zero follow from those sums: 1000 values in [10000, 10000.01).</summary>
    [Fact]
    public void MeanAndVarianceOfFloat32DataFarFromZeroStayAccurate()
    {
        var rng = new Random(1);
        var v = new float[1000];
        for (int i = 0; i < v.Length; i++) v[i] = 10000f + rng.NextSingle() * 0.01f;
        double mean = v.Average(x => (double)x);
        double variance = v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1);
        var t = Tensor.From(v);
        Assert.Equal((float)mean, t.Mean().Item<float>(), tolerance: 0.001f);
        // The variance (about 8.5e-6) is a sum of squares of deviations of about 0.003: a mean one float32 step off
        // (0.001) changes it by about 1e-6; three steps off doubled it.
        Assert.Equal(variance, t.Var().Item<float>(), tolerance: 1e-7);
    }

    [Fact]
    public void ColumnSumsInDoubleAndInt64()
    {
        var d = Tensor.From(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } }).Sum(0).ToArray<double>();
        Assert.Equal([5.0, 7.0, 9.0], d);
        var l = Tensor.From(new long[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }).Sum(0).ToArray<long>();
        Assert.Equal([9L, 12L], l);
    }
}
