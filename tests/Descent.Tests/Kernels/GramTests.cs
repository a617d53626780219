using Descent.Kernels;
using Xunit;

namespace Descent.Tests.Kernels;

/// <summary>The float64 sums of <see cref="Gram"/> against plain loops, over a sweep of widths and row counts.</summary>
public class GramTests
{
    private static T[] Values<T>(int count, int seed, Func<double, T> make)
    {
        var rng = new Random(seed);
        var v = new T[count];
        for (int i = 0; i < count; i++) v[i] = make(rng.NextDouble() * 4 - 1);
        return v;
    }

    private static void Check<T>(Func<double, T> make, Func<T, double> read) where T : unmanaged
    {
        int[] rowCounts = [0, 1, 3, 17, 130, 300];
        foreach (int m in rowCounts)
            for (int n = 1; n <= 37; n += m > 100 ? 3 : 1)
                foreach (int k in new[] { 1, 2, 5, 9 })
                {
                    const int off = 3;
                    var a = Values(off + m * n + 1, m * 1000 + n, make);
                    var b = Values(off + m * k + 1, m * 77 + k, make);
                    var w = Values(n * k, n + k, v => v);
                    var g = new double[n * n];
                    var c = new double[n * k];
                    var btb = new double[k];
                    Gram.Products(a, off, b, off, m, n, k, g, c, btb);
                    var atr = new double[n * k];
                    var rtr = new double[k];
                    Gram.Residuals(a, off, b, off, m, n, k, w, atr, rtr);

                    var r = new double[m * k];
                    for (int i = 0; i < m; i++)
                        for (int q = 0; q < k; q++)
                        {
                            double s = read(b[off + i * k + q]);
                            for (int j = 0; j < n; j++) s -= read(a[off + i * n + j]) * w[j * k + q];
                            r[i * k + q] = s;
                        }
                    for (int p = 0; p < n; p++)
                    {
                        for (int j = 0; j < n; j++)
                        {
                            double s = 0;
                            for (int i = 0; i < m; i++) s += read(a[off + i * n + p]) * read(a[off + i * n + j]);
                            Assert.True(Math.Abs(g[p * n + j] - s) <= 1e-12 * (1 + Math.Abs(s)), $"G m={m} n={n} k={k} [{p},{j}]: {g[p * n + j]} vs {s}");
                        }
                        for (int q = 0; q < k; q++)
                        {
                            double s = 0, t = 0;
                            for (int i = 0; i < m; i++)
                            {
                                s += read(a[off + i * n + p]) * read(b[off + i * k + q]);
                                t += read(a[off + i * n + p]) * r[i * k + q];
                            }
                            Assert.True(Math.Abs(c[p * k + q] - s) <= 1e-12 * (1 + Math.Abs(s)), $"AtB m={m} n={n} k={k} [{p},{q}]");
                            Assert.True(Math.Abs(atr[p * k + q] - t) <= 1e-11 * (1 + Math.Abs(t)), $"AtR m={m} n={n} k={k} [{p},{q}]");
                        }
                    }
                    for (int q = 0; q < k; q++)
                    {
                        double s = 0, t = 0;
                        for (int i = 0; i < m; i++)
                        {
                            s += r[i * k + q] * r[i * k + q];
                            t += read(b[off + i * k + q]) * read(b[off + i * k + q]);
                        }
                        Assert.True(Math.Abs(rtr[q] - s) <= 1e-11 * (1 + s), $"RtR m={m} n={n} k={k} [{q}]");
                        Assert.True(Math.Abs(btb[q] - t) <= 1e-12 * (1 + t), $"BtB m={m} n={n} k={k} [{q}]");
                    }
                }
    }

    [Fact]
    public void Float64SumsMatchPlainLoops() => Check(v => v, v => v);

    [Fact]
    public void Float32SumsMatchPlainLoopsInFloat64() => Check(v => (float)v, v => v);

    [Fact]
    public void ResultsDoNotDependOnThreads()
    {
        int m = 300_001, n = 16, k = 2;
        var a = Values(m * n, 1, v => (float)v);
        var b = Values(m * k, 2, v => (float)v);
        var g1 = new double[n * n];
        var c1 = new double[n * k];
        var s1 = new double[k];
        var s2 = new double[k];
        var g2 = new double[n * n];
        var c2 = new double[n * k];
        Gram.Products(a, 0, b, 0, m, n, k, g1, c1, s1);
        Gram.Products(a, 0, b, 0, m, n, k, g2, c2, s2, parallel: false);
        Assert.Equal(g1, g2);
        Assert.Equal(c1, c2);
        Assert.Equal(s1, s2);
        var w = Values(n * k, 3, v => v);
        var atr1 = new double[n * k];
        var rtr1 = new double[k];
        var atr2 = new double[n * k];
        var rtr2 = new double[k];
        Gram.Residuals(a, 0, b, 0, m, n, k, w, atr1, rtr1);
        Gram.Residuals(a, 0, b, 0, m, n, k, w, atr2, rtr2, parallel: false);
        Assert.Equal(atr1, atr2);
        Assert.Equal(rtr1, rtr2);
    }
}
