using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Descent.Kernels;

/// <summary>
/// The sums behind the normal equations of least squares (see docs/notes/lstsq.md), in float64 over row-major float32
/// or float64 inputs: <c>AᵀA</c> and <c>AᵀB</c> in one pass over A, and the residual pass <c>R = B − A W</c> with
/// <c>AᵀR</c> and <c>RᵀR</c>. Rows go through in blocks converted to float64 in an L1-sized buffer; each block's sums
/// start from zero in registers and are then added to the running total, so long inputs stay accurate. The rows are
/// cut into chunks that depend only on the shape, one partial sum per chunk, and the partials are added in chunk
/// order: the result is the same bit for bit whatever the number of threads or their timing.
/// </summary>
internal static class Gram
{
    private const int ChunkRows = 1 << 15;
    private const int MaxChunks = 32;
    private const long MaxPartialDoubles = 1 << 22;

    /// <summary>
    /// <paramref name="g"/> (n x n) = AᵀA and <paramref name="c"/> (n x k) = AᵀB, A m x n and B m x k contiguous from
    /// the offsets, and <paramref name="btb"/> (k) the squared norm of each column of B. <paramref name="parallel"/> false keeps every chunk on the calling thread (same result).
    /// </summary>
    public static void Products<T>(T[] a, int aOff, T[] b, int bOff, int m, int n, int k, double[] g, double[] c, double[] btb, bool parallel = true) where T : unmanaged
    {
        if (Vector512.IsHardwareAccelerated) Products<T, Tile512>(a, aOff, b, bOff, m, n, k, g, c, btb, parallel);
        else Products<T, TileVector>(a, aOff, b, bOff, m, n, k, g, c, btb, parallel);
    }

    /// <summary>
    /// With R = B − A W (W n x k, row-major): <paramref name="atr"/> (n x k) = AᵀR and <paramref name="rtr"/> (k) the
    /// squared norm of each column of R.
    /// </summary>
    public static void Residuals<T>(T[] a, int aOff, T[] b, int bOff, int m, int n, int k, double[] w, double[] atr, double[] rtr, bool parallel = true) where T : unmanaged
    {
        if (Vector512.IsHardwareAccelerated) Residuals<T, Tile512>(a, aOff, b, bOff, m, n, k, w, atr, rtr, parallel);
        else Residuals<T, TileVector>(a, aOff, b, bOff, m, n, k, w, atr, rtr, parallel);
    }

    private readonly record struct Layout(int M, int N, int K, int W)
    {
        public int N4 => (N + 3) & ~3;
        public int P => (N + W - 1) / W * W;
        public int PK => (K + W - 1) / W * W;
        public int GSize => N4 * P;
        public int K4 => (K + 3) & ~3;

        // AᵀB by tiles over B's columns (rows of BᵀA) when that takes fewer vector steps: one target (k = 1) and 16
        // features need 2 instead of 4.
        public bool CrossTransposed => (K + 3) / 4 * ((N + W - 1) / W) < (N + 3) / 4 * ((K + W - 1) / W);

        public int CSize => CrossTransposed ? K4 * P : N4 * PK;

        /// <summary>Where element (i, j) of AᵀB (i &lt; n, j &lt; k) sits in a chunk's partial sums.</summary>
        public int CIndex(int i, int j) => CrossTransposed ? j * P + i : i * PK + j;
        public int BlockRows => Math.Clamp(2048 / Math.Max(N, K), 16, 256);
        public int Slack => 2 * W + 4;

        // Depends on the shape only, never on the machine, so that the sums come out the same everywhere.
        public int Chunks
        {
            get
            {
                int byRows = Math.Clamp((M + ChunkRows - 1) / ChunkRows, 1, MaxChunks);
                long perChunk = (long)GSize + CSize + K;
                return (int)Math.Max(1, Math.Min(byRows, MaxPartialDoubles / perChunk));
            }
        }

        public (int R0, int R1) Rows(int chunk, int chunks)
        {
            long per = ((long)M + chunks - 1) / chunks;
            return ((int)Math.Min(M, chunk * per), (int)Math.Min(M, (chunk + 1) * per));
        }
    }

    private static void Products<T, TV>(T[] a, int aOff, T[] b, int bOff, int m, int n, int k, double[] g, double[] c, double[] btb, bool parallel)
        where T : unmanaged where TV : struct, ITile
    {
        var l = new Layout(m, n, k, TV.Width);
        int chunks = l.Chunks, stride = l.GSize + l.CSize + k;
        var partial = new double[(long)chunks * stride];
        ForChunks(chunks, parallel ? (long)m * n : 0, chunk =>
        {
            var (r0, r1) = l.Rows(chunk, chunks);
            var xb = new double[l.BlockRows * n + l.Slack];
            var yb = new double[l.BlockRows * k + l.Slack];
            var gs = partial.AsSpan(chunk * stride, l.GSize);
            var cs = partial.AsSpan(chunk * stride + l.GSize, l.CSize);
            var ss = partial.AsSpan(chunk * stride + l.GSize + l.CSize, k);
            for (int i0 = r0; i0 < r1; i0 += l.BlockRows)
            {
                int rows = Math.Min(l.BlockRows, r1 - i0);
                Widen(a, aOff + i0 * n, rows * n, xb);
                Widen(b, bOff + i0 * k, rows * k, yb);
                Upper<TV>(rows, xb, n, l, gs);
                Cross<TV>(rows, xb, n, yb, k, l, cs);
                for (int j = 0; j < k; j++)
                {
                    double s = 0;
                    for (int i = 0; i < rows; i++) s += yb[i * k + j] * yb[i * k + j];
                    ss[j] += s;
                }
            }
        });
        g.AsSpan(0, n * n).Clear();
        c.AsSpan(0, n * k).Clear();
        btb.AsSpan(0, k).Clear();
        for (int t = 0; t < chunks; t++)
        {
            int o = t * stride;
            for (int i = 0; i < n; i++)
            {
                for (int j = i; j < n; j++) g[i * n + j] += partial[o + i * l.P + j];
                for (int j = 0; j < k; j++) c[i * k + j] += partial[o + l.GSize + l.CIndex(i, j)];
            }
            for (int j = 0; j < k; j++) btb[j] += partial[o + l.GSize + l.CSize + j];
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) g[i * n + j] = g[j * n + i];
    }

    private static void Residuals<T, TV>(T[] a, int aOff, T[] b, int bOff, int m, int n, int k, double[] w, double[] atr, double[] rtr, bool parallel)
        where T : unmanaged where TV : struct, ITile
    {
        var l = new Layout(m, n, k, TV.Width);
        int chunks = l.Chunks, stride = l.CSize + k;
        var partial = new double[(long)chunks * stride];
        var wt = new double[k * n + l.Slack];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++) wt[j * n + i] = w[i * k + j];
        ForChunks(chunks, parallel ? (long)m * n : 0, chunk =>
        {
            var (r0, r1) = l.Rows(chunk, chunks);
            var xb = new double[l.BlockRows * n + l.Slack];
            var yb = new double[l.BlockRows * k + l.Slack];
            var cs = partial.AsSpan(chunk * stride, l.CSize);
            var ss = partial.AsSpan(chunk * stride + l.CSize, k);
            for (int i0 = r0; i0 < r1; i0 += l.BlockRows)
            {
                int rows = Math.Min(l.BlockRows, r1 - i0);
                Widen(a, aOff + i0 * n, rows * n, xb);
                Widen(b, bOff + i0 * k, rows * k, yb);
                for (int j = 0; j < k; j++)
                    ss[j] += TV.Residuals(rows, ref xb[0], n, ref wt[j * n], ref yb[j], k);
                Cross<TV>(rows, xb, n, yb, k, l, cs);
            }
        });
        atr.AsSpan(0, n * k).Clear();
        rtr.AsSpan(0, k).Clear();
        for (int t = 0; t < chunks; t++)
        {
            int o = t * stride;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < k; j++) atr[i * k + j] += partial[o + l.CIndex(i, j)];
            for (int j = 0; j < k; j++) rtr[j] += partial[o + l.CSize + j];
        }
    }

    private static void ForChunks(int chunks, long work, Action<int> body)
    {
        if (chunks == 1 || work < Strided.ParallelThreshold || Environment.ProcessorCount == 1)
            for (int t = 0; t < chunks; t++) body(t);
        else
            Parallel.For(0, chunks, body);
    }

    private static void Widen<T>(T[] src, int offset, int count, double[] dst) where T : unmanaged
    {
        if (typeof(T) != typeof(float))
        {
            Unsafe.As<double[]>(src).AsSpan(offset, count).CopyTo(dst);
            return;
        }
        ref float s = ref Unsafe.As<float[]>(src)[offset];
        ref double d = ref MemoryMarshal.GetArrayDataReference(dst);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= count - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref s, (nuint)i);
                Vector512.WidenLower(v).StoreUnsafe(ref d, (nuint)i);
                Vector512.WidenUpper(v).StoreUnsafe(ref d, (nuint)i + 8);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= count - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref s, (nuint)i);
                Vector256.WidenLower(v).StoreUnsafe(ref d, (nuint)i);
                Vector256.WidenUpper(v).StoreUnsafe(ref d, (nuint)i + 4);
            }
        for (; i < count; i++) Unsafe.Add(ref d, i) = Unsafe.Add(ref s, i);
    }

    // The upper triangle of xbᵀxb added to gs (row step P), by tiles of 4 rows of G and one or two vectors of columns;
    // a tile starts at the vector holding its diagonal. Rows and columns past n hold sums of padding and are ignored.
    private static void Upper<TV>(int rows, double[] xb, int n, in Layout l, Span<double> gs) where TV : struct, ITile
    {
        ref double x = ref MemoryMarshal.GetArrayDataReference(xb);
        ref double d = ref MemoryMarshal.GetReference(gs);
        for (int j0 = 0; j0 < n; j0 += 4)
            for (int c0 = j0 / TV.Width * TV.Width; c0 < n; c0 += 2 * TV.Width)
                TV.Tile(rows, ref Unsafe.Add(ref x, j0), n, ref Unsafe.Add(ref x, c0), n, ref Unsafe.Add(ref d, j0 * l.P + c0), l.P, c0 + TV.Width < n);
    }

    // xbᵀyb added to cs (row step PK), or ybᵀxb (row step P) when the layout says so.
    private static void Cross<TV>(int rows, double[] xb, int n, double[] yb, int k, in Layout l, Span<double> cs) where TV : struct, ITile
    {
        ref double x = ref MemoryMarshal.GetArrayDataReference(xb);
        ref double y = ref MemoryMarshal.GetArrayDataReference(yb);
        ref double d = ref MemoryMarshal.GetReference(cs);
        if (l.CrossTransposed)
        {
            for (int j0 = 0; j0 < k; j0 += 4)
                for (int c0 = 0; c0 < n; c0 += 2 * TV.Width)
                    TV.Tile(rows, ref Unsafe.Add(ref y, j0), k, ref Unsafe.Add(ref x, c0), n, ref Unsafe.Add(ref d, j0 * l.P + c0), l.P, c0 + TV.Width < n);
            return;
        }
        for (int j0 = 0; j0 < n; j0 += 4)
            for (int c0 = 0; c0 < k; c0 += 2 * TV.Width)
                TV.Tile(rows, ref Unsafe.Add(ref x, j0), n, ref Unsafe.Add(ref y, c0), k, ref Unsafe.Add(ref d, j0 * l.PK + c0), l.PK, c0 + TV.Width < k);
    }
}

/// <summary>The register tile of <see cref="Gram"/> at one vector width.</summary>
internal interface ITile
{
    /// <summary>Doubles per vector.</summary>
    static abstract int Width { get; }

    /// <summary>
    /// <c>d[r * ldd + c] += Σ_i a[i * lda + r] · b[i * ldb + c]</c> over <paramref name="rows"/> rows, for r &lt; 4 and
    /// c below one vector, or two when <paramref name="two"/>.
    /// </summary>
    static abstract void Tile(int rows, ref double a, nint lda, ref double b, nint ldb, ref double d, nint ldd, bool two);

    /// <summary>
    /// <c>y[i * ldy] −= x[i * n ..] · w</c> for each of <paramref name="rows"/> rows of x (n doubles each); returns the
    /// sum of the squared results.
    /// </summary>
    static abstract double Residuals(int rows, ref double x, int n, ref double w, ref double y, int ldy);
}

/// <summary>4 x 16 tiles in eight <see cref="Vector512{T}"/> accumulators (AVX-512).</summary>
internal struct Tile512 : ITile
{
    public static int Width => 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int rows, ref double a, nint lda, ref double b, nint ldb, ref double d, nint ldd, bool two)
    {
        Vector512<double> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        ref double pa = ref a;
        ref double pb = ref b;
        if (two)
        {
            for (int i = 0; i < rows; i++)
            {
                var b0 = Vector512.LoadUnsafe(ref pb);
                var b1 = Vector512.LoadUnsafe(ref pb, 8);
                var x = Vector512.Create(pa);
                c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
                x = Vector512.Create(Unsafe.Add(ref pa, 1));
                c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
                x = Vector512.Create(Unsafe.Add(ref pa, 2));
                c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
                x = Vector512.Create(Unsafe.Add(ref pa, 3));
                c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
                pa = ref Unsafe.Add(ref pa, lda);
                pb = ref Unsafe.Add(ref pb, ldb);
            }
            Add(c01, ref Unsafe.Add(ref d, 8));
            Add(c11, ref Unsafe.Add(ref d, ldd + 8));
            Add(c21, ref Unsafe.Add(ref d, 2 * ldd + 8));
            Add(c31, ref Unsafe.Add(ref d, 3 * ldd + 8));
        }
        else
        {
            for (int i = 0; i < rows; i++)
            {
                var b0 = Vector512.LoadUnsafe(ref pb);
                c00 = Vector512.FusedMultiplyAdd(Vector512.Create(pa), b0, c00);
                c10 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pa, 1)), b0, c10);
                c20 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pa, 2)), b0, c20);
                c30 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pa, 3)), b0, c30);
                pa = ref Unsafe.Add(ref pa, lda);
                pb = ref Unsafe.Add(ref pb, ldb);
            }
        }
        Add(c00, ref d);
        Add(c10, ref Unsafe.Add(ref d, ldd));
        Add(c20, ref Unsafe.Add(ref d, 2 * ldd));
        Add(c30, ref Unsafe.Add(ref d, 3 * ldd));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(Vector512<double> v, ref double d) => (Vector512.LoadUnsafe(ref d) + v).StoreUnsafe(ref d);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Residuals(int rows, ref double x, int n, ref double w, ref double y, int ldy)
    {
        double sum = 0;
        int i = 0;
        // Four rows at a time, so that four independent sums are in flight.
        for (; i <= rows - 4; i += 4)
        {
            ref double x0 = ref Unsafe.Add(ref x, i * n);
            Vector512<double> a0 = default, a1 = default, a2 = default, a3 = default;
            int j = 0;
            for (; j <= n - 8; j += 8)
            {
                var wv = Vector512.LoadUnsafe(ref w, (nuint)j);
                a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x0, (nuint)j), wv, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x0, (nuint)(n + j)), wv, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x0, (nuint)(2 * n + j)), wv, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x0, (nuint)(3 * n + j)), wv, a3);
            }
            double s0 = Vector512.Sum(a0), s1 = Vector512.Sum(a1), s2 = Vector512.Sum(a2), s3 = Vector512.Sum(a3);
            for (; j < n; j++)
            {
                double wj = Unsafe.Add(ref w, j);
                s0 += Unsafe.Add(ref x0, j) * wj;
                s1 += Unsafe.Add(ref x0, n + j) * wj;
                s2 += Unsafe.Add(ref x0, 2 * n + j) * wj;
                s3 += Unsafe.Add(ref x0, 3 * n + j) * wj;
            }
            sum += Store(ref Unsafe.Add(ref y, i * ldy), s0) + Store(ref Unsafe.Add(ref y, (i + 1) * ldy), s1)
                + Store(ref Unsafe.Add(ref y, (i + 2) * ldy), s2) + Store(ref Unsafe.Add(ref y, (i + 3) * ldy), s3);
        }
        for (; i < rows; i++)
        {
            ref double xi = ref Unsafe.Add(ref x, i * n);
            var acc = Vector512<double>.Zero;
            int j = 0;
            for (; j <= n - 8; j += 8)
                acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xi, (nuint)j), Vector512.LoadUnsafe(ref w, (nuint)j), acc);
            double s = Vector512.Sum(acc);
            for (; j < n; j++) s += Unsafe.Add(ref xi, j) * Unsafe.Add(ref w, j);
            sum += Store(ref Unsafe.Add(ref y, i * ldy), s);
        }
        return sum;
    }

    // y −= s; returns the new y squared.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double Store(ref double y, double s)
    {
        double r = y - s;
        y = r;
        return r * r;
    }
}

/// <summary>4 x 2W tiles in <see cref="Vector{T}"/> accumulators: 256-bit on AVX2, 128-bit on Arm64.</summary>
internal struct TileVector : ITile
{
    public static int Width => Vector<double>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int rows, ref double a, nint lda, ref double b, nint ldb, ref double d, nint ldd, bool two)
    {
        Vector<double> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        int w = Vector<double>.Count;
        ref double pa = ref a;
        ref double pb = ref b;
        for (int i = 0; i < rows; i++)
        {
            var b0 = Vector.LoadUnsafe(ref pb);
            var b1 = two ? Vector.LoadUnsafe(ref pb, (nuint)w) : default;
            var x = new Vector<double>(pa);
            c00 = Vector.FusedMultiplyAdd(x, b0, c00); c01 = Vector.FusedMultiplyAdd(x, b1, c01);
            x = new Vector<double>(Unsafe.Add(ref pa, 1));
            c10 = Vector.FusedMultiplyAdd(x, b0, c10); c11 = Vector.FusedMultiplyAdd(x, b1, c11);
            x = new Vector<double>(Unsafe.Add(ref pa, 2));
            c20 = Vector.FusedMultiplyAdd(x, b0, c20); c21 = Vector.FusedMultiplyAdd(x, b1, c21);
            x = new Vector<double>(Unsafe.Add(ref pa, 3));
            c30 = Vector.FusedMultiplyAdd(x, b0, c30); c31 = Vector.FusedMultiplyAdd(x, b1, c31);
            pa = ref Unsafe.Add(ref pa, lda);
            pb = ref Unsafe.Add(ref pb, ldb);
        }
        Add(c00, ref d);
        Add(c10, ref Unsafe.Add(ref d, ldd));
        Add(c20, ref Unsafe.Add(ref d, 2 * ldd));
        Add(c30, ref Unsafe.Add(ref d, 3 * ldd));
        if (!two) return;
        Add(c01, ref Unsafe.Add(ref d, w));
        Add(c11, ref Unsafe.Add(ref d, ldd + w));
        Add(c21, ref Unsafe.Add(ref d, 2 * ldd + w));
        Add(c31, ref Unsafe.Add(ref d, 3 * ldd + w));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(Vector<double> v, ref double d) => (Vector.LoadUnsafe(ref d) + v).StoreUnsafe(ref d);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Residuals(int rows, ref double x, int n, ref double w, ref double y, int ldy)
    {
        double sum = 0;
        int width = Vector<double>.Count;
        for (int i = 0; i < rows; i++)
        {
            ref double xi = ref Unsafe.Add(ref x, i * n);
            var acc = Vector<double>.Zero;
            int j = 0;
            for (; j <= n - width; j += width)
                acc = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref xi, (nuint)j), Vector.LoadUnsafe(ref w, (nuint)j), acc);
            double s = Vector.Sum(acc);
            for (; j < n; j++) s += Unsafe.Add(ref xi, j) * Unsafe.Add(ref w, j);
            sum += Tile512.Store(ref Unsafe.Add(ref y, i * ldy), s);
        }
        return sum;
    }
}
