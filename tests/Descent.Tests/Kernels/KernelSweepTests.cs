using Descent;
using Descent.Tests.Ops;
using Xunit;

namespace Descent.Tests.Kernels;

/// <summary>
/// Every elementwise kernel, reduction and MatMul against a plain reference loop, for every length 0..256 (so each
/// SIMD width's tail is hit), for odd 2-D and 3-D shapes with transposed, sliced, strided and broadcast operands, and
/// once above <c>Strided.ParallelThreshold</c> (the multithreaded paths).
/// </summary>
public class KernelSweepTests
{
    private const int MaxLength = 256;
    private static readonly DType[] Floats = [DType.Float32, DType.Float64];
    private static readonly DType[] All = [DType.Float32, DType.Float64, DType.Int64];

    /// <summary>Odd shapes: a shape, and the layouts it is checked in.</summary>
    private static readonly int[][] OddShapes = [[7, 13], [13, 7], [1, 31], [31, 1], [17, 17], [3, 5, 7], [2, 1, 9]];

    private static readonly int[] Large = [400, 401]; // 160,400 elements, above Strided.ParallelThreshold (131,072)

    private sealed record BinaryKernel(string Name, Func<Tensor, Tensor, Tensor> Op, Func<double, double, double> Reference,
        bool PositiveLeft = false, bool Exact = true, bool Int64 = true);

    private static readonly BinaryKernel[] Binaries =
    [
        new("add", (a, b) => a + b, (a, b) => a + b),
        new("sub", (a, b) => a - b, (a, b) => a - b),
        new("mul", (a, b) => a * b, (a, b) => a * b),
        new("div", (a, b) => a / b, (a, b) => a / b, Int64: false),
        new("maximum", (a, b) => a.Maximum(b), Math.Max),
        new("minimum", (a, b) => a.Minimum(b), Math.Min),
        new("pow", (a, b) => a.Pow(b), Math.Pow, PositiveLeft: true, Exact: false, Int64: false),
        new("relu_grad", ReluGrad, (g, y) => y > 0 ? g : 0),
    ];

    /// <summary>ReLU's backward kernel on its own: the gradient <paramref name="g"/> where the output <paramref name="y"/> is positive.</summary>
    private static Tensor ReluGrad(Tensor g, Tensor y)
    {
        var (a, b) = Descent.Ops.Elementwise.Prepare(g, y, "ReluGrad", scalars: true);
        return Descent.Ops.Elementwise.Binary<Descent.Kernels.ReluGradOp>(a, b);
    }

    private sealed record UnaryKernel(string Name, Func<Tensor, Tensor> Op, Func<double, double> Reference,
        bool Positive = false, bool Exact = true, bool Int64 = true);

    private static readonly UnaryKernel[] Unaries =
    [
        new("neg", x => -x, x => -x),
        new("abs", x => x.Abs(), Math.Abs),
        new("sign", x => x.Sign(), x => Math.Sign(x)),
        new("relu", x => x.Relu(), x => Math.Max(x, 0)),
        new("clamp", x => x.Clamp(-0.5, 0.75), x => Math.Clamp(x, -0.5, 0.75), Int64: false),
        new("square", x => x.Square(), x => x * x),
        new("exp", x => x.Exp(), Math.Exp, Exact: false, Int64: false),
        new("log", x => x.Log(), Math.Log, Positive: true, Exact: false, Int64: false),
        new("sqrt", x => x.Sqrt(), Math.Sqrt, Positive: true, Exact: false, Int64: false),
        new("tanh", x => x.Tanh(), Math.Tanh, Exact: false, Int64: false),
        new("sigmoid", x => x.Sigmoid(), x => 1 / (1 + Math.Exp(-x)), Exact: false, Int64: false),
    ];

    public static TheoryData<string, DType> BinaryCases() => Cases(Binaries.Select(b => (b.Name, b.Int64)));

    public static TheoryData<string, DType> UnaryCases() => Cases(Unaries.Select(u => (u.Name, u.Int64)));

    private static TheoryData<string, DType> Cases(IEnumerable<(string Name, bool Int64)> kernels)
    {
        var data = new TheoryData<string, DType>();
        foreach (var (name, int64) in kernels)
            foreach (var dtype in int64 ? All : Floats) data.Add(name, dtype);
        return data;
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void BinaryEveryLength(string name, DType dtype)
    {
        var k = Binaries.Single(b => b.Name == name);
        var g = new Generator(11);
        for (int n = 0; n <= MaxLength; n++)
        {
            CheckBinary(k, dtype, g, [n], Layout.Contiguous, [n], Layout.Contiguous);
            CheckBinary(k, dtype, g, [n], Layout.Contiguous, [1], Layout.Contiguous); // tensor op scalar
            CheckBinary(k, dtype, g, [1], Layout.Contiguous, [n], Layout.Contiguous); // scalar op tensor
            CheckBinary(k, dtype, g, [n], Layout.Strided, [n], Layout.Contiguous);
            CheckBinary(k, dtype, g, [n], Layout.Contiguous, [n], Layout.Strided);
        }
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void BinaryOddShapesAndLayouts(string name, DType dtype)
    {
        var k = Binaries.Single(b => b.Name == name);
        var g = new Generator(12);
        foreach (var shape in OddShapes)
        {
            int[] row = [shape[^1]], column = [.. shape[..^1], 1];
            foreach (var la in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced, Layout.Strided })
            {
                foreach (var lb in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced })
                    CheckBinary(k, dtype, g, shape, la, shape, lb);
                CheckBinary(k, dtype, g, shape, la, row, Layout.Contiguous);
                CheckBinary(k, dtype, g, column, Layout.Contiguous, shape, la);
            }
        }
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void BinaryAboveTheParallelThreshold(string name, DType dtype)
    {
        var k = Binaries.Single(b => b.Name == name);
        var g = new Generator(13);
        CheckBinary(k, dtype, g, Large, Layout.Contiguous, Large, Layout.Contiguous);
        CheckBinary(k, dtype, g, Large, Layout.Transposed, Large, Layout.Contiguous);
        CheckBinary(k, dtype, g, Large, Layout.Contiguous, [Large[1]], Layout.Contiguous);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int64)]
    public void InPlaceIntoNonContiguousDestinations(DType dtype)
    {
        var g = new Generator(14);
        foreach (var shape in OddShapes.Append(Large))
        {
            foreach (var layout in new[] { Layout.Transposed, Layout.Sliced, Layout.Strided })
            {
                var va = Draw(g, shape, dtype);
                var vb = Draw(g, [shape[^1]], dtype);
                var a = OpTable.LayOut(Make(va, shape, dtype), layout);
                var b = Make(vb, [shape[^1]], dtype);
                a.AddInPlace(b).MulInPlace(b).SubInPlace(b);
                var expected = new double[va.Length];
                for (int i = 0; i < va.Length; i++)
                {
                    double y = vb[i % shape[^1]];
                    expected[i] = Round(Round(Round(va[i] + y, dtype) * y, dtype) - y, dtype);
                }
                AssertClose(expected, a, dtype, exact: true, $"in-place {Show(shape)} {layout}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(UnaryCases))]
    public void UnaryEveryLengthAndLayout(string name, DType dtype)
    {
        var k = Unaries.Single(u => u.Name == name);
        var g = new Generator(21);
        for (int n = 0; n <= MaxLength; n++)
        {
            CheckUnary(k, dtype, g, [n], Layout.Contiguous);
            CheckUnary(k, dtype, g, [n], Layout.Strided);
        }
        foreach (var shape in OddShapes)
            foreach (var layout in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced, Layout.Strided })
                CheckUnary(k, dtype, g, shape, layout);
        CheckUnary(k, dtype, g, Large, Layout.Contiguous);
        CheckUnary(k, dtype, g, Large, Layout.Transposed);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int64)]
    public void SumAndMeanEveryLength(DType dtype)
    {
        var g = new Generator(31);
        for (int n = 0; n <= MaxLength; n++)
        {
            foreach (var layout in new[] { Layout.Contiguous, Layout.Strided })
            {
                var v = Draw(g, [n], dtype);
                var x = OpTable.LayOut(Make(v, [n], dtype), layout);
                CheckSum(v, x.Sum(), dtype, $"sum of {n} ({layout})");
                if (dtype != DType.Int64 && n > 0)
                    AssertClose([Round(v.Sum() / n, dtype)], x.Mean(), dtype, exact: false, $"mean of {n}", SumTolerance(v, dtype) / n);
            }
        }
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int64)]
    public void SumOverDimsEveryLength(DType dtype)
    {
        var g = new Generator(32);
        for (int n = 0; n <= MaxLength; n++)
        {
            // Leading dims summed (column sums), trailing dims summed (row sums), and both through a transposed view.
            CheckSumDims(g, dtype, [3, n], Layout.Contiguous, 0);
            CheckSumDims(g, dtype, [3, n], Layout.Contiguous, 1);
            CheckSumDims(g, dtype, [n, 3], Layout.Transposed, 0);
            CheckSumDims(g, dtype, [n, 3], Layout.Transposed, 1);
        }
        foreach (var shape in OddShapes)
            foreach (var layout in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced })
                for (int d = 0; d < shape.Length; d++)
                    CheckSumDims(g, dtype, shape, layout, d);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int64)]
    public void SumAboveTheParallelThreshold(DType dtype)
    {
        var g = new Generator(33);
        foreach (var layout in new[] { Layout.Contiguous, Layout.Transposed })
        {
            var v = Draw(g, Large, dtype);
            var x = OpTable.LayOut(Make(v, Large, dtype), layout);
            CheckSum(v, x.Sum(), dtype, $"sum of {Show(Large)} ({layout})");
            CheckSumDims(g, dtype, Large, layout, 0);
            CheckSumDims(g, dtype, Large, layout, 1);
        }
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int64)]
    public void MaxMinAndArgMaxEveryLength(DType dtype)
    {
        var g = new Generator(34);
        for (int n = 1; n <= MaxLength; n++)
        {
            var v = Draw(g, [n], dtype);
            var x = OpTable.LayOut(Make(v, [n], dtype), n % 2 == 0 ? Layout.Strided : Layout.Contiguous);
            AssertClose([v.Max()], x.Max(), dtype, exact: true, $"max of {n}");
            AssertClose([v.Min()], x.Min(), dtype, exact: true, $"min of {n}");
            Assert.Equal(Array.IndexOf(v, v.Max()), x.ArgMax().Item<long>());
            Assert.Equal(Array.IndexOf(v, v.Min()), x.ArgMin().Item<long>());

            // Along a dim of length n, in rows of a (3, n) and a transposed (n, 3).
            var m = Draw(g, [3, n], dtype);
            var rows = Make(m, [3, n], dtype);
            var cols = OpTable.LayOut(Make(Transpose(m, 3, n), [n, 3], dtype), Layout.Transposed);
            var (values, indices) = rows.Max(1);
            var (cvalues, cindices) = cols.Min(0, keepDim: true);
            for (int r = 0; r < 3; r++)
            {
                var row = m.AsSpan(r * n, n).ToArray();
                Assert.Equal(Array.IndexOf(row, row.Max()), indices.ToArray<long>()[r]);
                Assert.Equal(row.Max(), values.To(DType.Float64).ToArray<double>()[r]);
                Assert.Equal(Array.IndexOf(row, row.Min()), cindices.ToArray<long>()[r]);
                Assert.Equal(row.Min(), cvalues.To(DType.Float64).ToArray<double>()[r]);
            }
        }
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int64)]
    public void MatMulEveryLength(DType dtype)
    {
        var g = new Generator(41);
        for (int len = 0; len <= MaxLength; len++)
        {
            // The inner length through both kernels: rows of B (B contiguous) and dot products (x @ w.T).
            CheckMatMul(g, dtype, [3, len], Layout.Contiguous, [len, 2], Layout.Contiguous);
            CheckMatMul(g, dtype, [3, len], Layout.Contiguous, [len, 2], Layout.Transposed);
            // The output width (the SIMD loop of the rows-of-B kernel) and the number of rows.
            CheckMatMul(g, dtype, [2, 3], Layout.Contiguous, [3, len], Layout.Contiguous);
            CheckMatMul(g, dtype, [len, 3], Layout.Transposed, [3, 2], Layout.Contiguous);
        }
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int64)]
    public void MatMulOddShapesAndLayouts(DType dtype)
    {
        var g = new Generator(42);
        var layouts = new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced };
        foreach (var la in layouts)
        {
            foreach (var lb in layouts)
            {
                CheckMatMul(g, dtype, [7, 13], la, [13, 5], lb);
                CheckMatMul(g, dtype, [1, 17], la, [17, 9], lb);
                CheckMatMul(g, dtype, [9, 1], la, [1, 9], lb);
                CheckMatMul(g, dtype, [3, 7, 13], la, [3, 13, 5], lb);
                CheckMatMul(g, dtype, [2, 1, 5, 6], la, [3, 6, 4], lb);
            }
            CheckMatMul(g, dtype, [13], Layout.Strided, [13, 5], la);
            CheckMatMul(g, dtype, [5, 13], la, [13], Layout.Strided);
        }
        // Above the parallel threshold (m*n*k >= 2^18), through both kernels.
        CheckMatMul(g, dtype, [80, 70], Layout.Contiguous, [70, 60], Layout.Contiguous);
        CheckMatMul(g, dtype, [80, 70], Layout.Contiguous, [70, 60], Layout.Transposed);
        CheckMatMul(g, dtype, [80, 70], Layout.Transposed, [70, 60], Layout.Sliced);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Int64)]
    public void ContiguousCopiesEveryLayout(DType dtype)
    {
        var g = new Generator(51);
        for (int n = 0; n <= MaxLength; n++)
        {
            var v = Draw(g, [n], dtype);
            AssertClose(v, OpTable.LayOut(Make(v, [n], dtype), Layout.Strided).Contiguous(), dtype, exact: true, $"copy of {n}");
        }
        foreach (var shape in OddShapes.Append(Large))
        {
            foreach (var layout in new[] { Layout.Transposed, Layout.Sliced, Layout.Strided })
            {
                var v = Draw(g, shape, dtype);
                var c = OpTable.LayOut(Make(v, shape, dtype), layout).Contiguous();
                Assert.True(c.IsContiguous);
                AssertClose(v, c, dtype, exact: true, $"copy of {Show(shape)} ({layout})");
            }
        }
    }

    // ---- checks against reference loops ----

    private static void CheckBinary(BinaryKernel k, DType dtype, Generator g, int[] sa, Layout la, int[] sb, Layout lb)
    {
        var va = Draw(g, sa, dtype, k.PositiveLeft);
        var vb = Draw(g, sb, dtype, avoidZero: k.Name == "div");
        var a = OpTable.LayOut(Make(va, sa, dtype), la);
        var b = OpTable.LayOut(Make(vb, sb, dtype), lb);
        var shape = Broadcast(sa, sb);
        var expected = new double[shape.Aggregate(1, (x, y) => x * y)];
        for (int i = 0; i < expected.Length; i++)
            expected[i] = Round(k.Reference(va[Source(i, shape, sa)], vb[Source(i, shape, sb)]), dtype);
        var result = k.Op(a, b);
        Assert.Equal(shape, result.Shape.ToArray());
        AssertClose(expected, result, dtype, k.Exact, $"{k.Name} {Show(sa)} {la} with {Show(sb)} {lb}");
    }

    private static void CheckUnary(UnaryKernel k, DType dtype, Generator g, int[] shape, Layout layout)
    {
        var v = Draw(g, shape, dtype, k.Positive, scale: 3);
        var x = OpTable.LayOut(Make(v, shape, dtype), layout);
        var result = k.Op(x);
        Assert.Equal(shape, result.Shape.ToArray());
        AssertClose(v.Select(e => Round(k.Reference(e), dtype)).ToArray(), result, dtype, k.Exact, $"{k.Name} {Show(shape)} {layout}");
    }

    private static void CheckSum(double[] v, Tensor sum, DType dtype, string what) =>
        AssertClose([Round(v.Sum(), dtype)], sum, dtype, dtype == DType.Int64, what, SumTolerance(v, dtype));

    private static void CheckSumDims(Generator g, DType dtype, int[] shape, Layout layout, int dim)
    {
        var v = Draw(g, shape, dtype);
        var x = OpTable.LayOut(Make(v, shape, dtype), layout);
        var result = x.Sum(dim, keepDim: true);
        var outShape = (int[])shape.Clone();
        outShape[dim] = 1;
        Assert.Equal(outShape, result.Shape.ToArray());
        var sums = new double[result.Count];
        var abs = new double[result.Count];
        for (int i = 0; i < v.Length; i++)
        {
            int o = Source(i, shape, outShape);
            sums[o] += v[i];
            abs[o] += Math.Abs(v[i]);
        }
        var actual = result.To(DType.Float64).ToArray<double>();
        for (int o = 0; o < sums.Length; o++)
        {
            double tol = dtype == DType.Int64 ? 0 : Eps(dtype) * (shape[dim] + 2) * abs[o];
            if (!(Math.Abs(actual[o] - sums[o]) <= tol))
                Assert.Fail($"sum over dim {dim} of {Show(shape)} ({layout}), element {o}: {actual[o]:R}, reference {sums[o]:R}");
        }
    }

    private static void CheckMatMul(Generator g, DType dtype, int[] sa, Layout la, int[] sb, Layout lb)
    {
        var va = Draw(g, sa, dtype);
        var vb = Draw(g, sb, dtype);
        var a = OpTable.LayOut(Make(va, sa, dtype), la);
        var b = OpTable.LayOut(Make(vb, sb, dtype), lb);
        var result = a.MatMul(b);

        // Reference: 1-D operands as a row / a column, leading dims broadcast, a triple loop in double.
        int[] a2 = sa.Length == 1 ? [1, sa[0]] : sa, b2 = sb.Length == 1 ? [sb[0], 1] : sb;
        int m = a2[^2], k = a2[^1], n = b2[^1];
        var batch = Broadcast(a2[..^2], b2[..^2]);
        int batches = batch.Aggregate(1, (x, y) => x * y);
        var expected = new double[batches * m * n];
        var bound = new double[expected.Length];
        for (int t = 0; t < batches; t++)
        {
            int ta = Source(t, batch, a2[..^2]), tb = Source(t, batch, b2[..^2]);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0, abs = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double prod = va[(ta * m + i) * k + p] * vb[(tb * k + p) * n + j];
                        s += prod;
                        abs += Math.Abs(prod);
                    }
                    expected[(t * m + i) * n + j] = s;
                    bound[(t * m + i) * n + j] = abs;
                }
        }
        Assert.Equal(expected.Length, result.Count);
        var actual = result.To(DType.Float64).ToArray<double>();
        for (int i = 0; i < expected.Length; i++)
        {
            double tol = dtype == DType.Int64 ? 0 : Eps(dtype) * (k + 2) * bound[i];
            if (!(Math.Abs(actual[i] - expected[i]) <= tol))
                Assert.Fail($"MatMul {Show(sa)} {la} by {Show(sb)} {lb}, element {i}: {actual[i]:R}, reference {expected[i]:R}");
        }
    }

    // ---- helpers ----

    private static double Eps(DType dtype) => dtype == DType.Float32 ? Math.ScaleB(1.0, -24) : Math.ScaleB(1.0, -53);

    private static double SumTolerance(double[] v, DType dtype) =>
        dtype == DType.Int64 ? 0 : Eps(dtype) * (v.Length + 2) * v.Sum(Math.Abs);

    /// <summary>Values exactly representable in <paramref name="dtype"/>: small whole numbers for int64.</summary>
    private static double[] Draw(Generator g, int[] shape, DType dtype, bool positive = false, double scale = 1, bool avoidZero = false)
    {
        var v = new double[shape.Aggregate(1, (x, y) => x * y)];
        for (int i = 0; i < v.Length; i++)
        {
            double x = dtype == DType.Int64 ? g.NextInt64(positive ? 1 : -50, 50)
                : positive ? 0.5 + 1.5 * g.NextDouble() : scale * g.NextNormal();
            if (avoidZero && Math.Abs(x) < 1e-3) x = 1;
            v[i] = Round(x, dtype);
        }
        return v;
    }

    private static Tensor Make(double[] values, int[] shape, DType dtype) => Tensor.FromSpan<double>(values, shape).To(dtype);

    private static double Round(double x, DType dtype) => dtype switch
    {
        DType.Float32 => (float)x,
        DType.Int64 => Math.Truncate(x),
        _ => x,
    };

    private static double[] Transpose(double[] v, int rows, int cols)
    {
        var t = new double[v.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = v[r * cols + c];
        return t;
    }

    private static int[] Broadcast(int[] a, int[] b)
    {
        int n = Math.Max(a.Length, b.Length);
        var r = new int[n];
        for (int i = 0; i < n; i++)
        {
            int da = i < n - a.Length ? 1 : a[i - (n - a.Length)], db = i < n - b.Length ? 1 : b[i - (n - b.Length)];
            r[i] = da == 1 ? db : da;
        }
        return r;
    }

    /// <summary>The flat index in an operand of shape <paramref name="from"/> that broadcasts to element <paramref name="i"/> of <paramref name="shape"/>.</summary>
    private static int Source(int i, int[] shape, int[] from)
    {
        int src = 0, stride = 1;
        for (int d = shape.Length - 1, e = from.Length - 1; d >= 0; d--, e--)
        {
            int index = i % shape[d];
            i /= shape[d];
            if (e < 0) continue;
            if (from[e] != 1) src += index * stride;
            stride *= from[e];
        }
        return src;
    }

    private static string Show(int[] shape) => "[" + string.Join(", ", shape) + "]";

    private static void AssertClose(double[] expected, Tensor actual, DType dtype, bool exact, string what, double? absolute = null)
    {
        Assert.Equal(dtype, actual.DType);
        var a = actual.To(DType.Float64).ToArray<double>();
        Assert.Equal(expected.Length, a.Length);
        // Transcendental kernels: a few ulp of the result.
        double rel = exact ? 0 : 4 * Eps(dtype) * 2;
        for (int i = 0; i < a.Length; i++)
        {
            double e = expected[i], tol = absolute ?? rel * Math.Abs(e);
            bool ok = a[i] == e || Math.Abs(a[i] - e) <= tol || (double.IsNaN(e) && double.IsNaN(a[i]));
            if (!ok) Assert.Fail($"{what}, element {i}: {a[i]:R}, reference {e:R}");
        }
    }
}
