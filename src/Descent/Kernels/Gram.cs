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
            WorkerPool.For(chunks, body);
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
