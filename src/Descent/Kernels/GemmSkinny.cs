using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Descent.Kernels;

/// <summary>
/// <c>C = A @ B</c> by one dot product per element of C, for few columns (<c>n</c> at most <see cref="MaxN"/>) and
/// rows of A contiguous: a tall input times a thin weight, <c>x @ w.T</c> of a linear model or a classifier's output
/// layer, or a matrix times a vector. Reads A once, without packing; B's columns are gathered once when they are not contiguous already.
/// </summary>
internal static class GemmRowDots
{
    /// <summary>
    /// Up to here dot products beat the packed kernel, whose register tile is at least 16 columns wide and would be
    /// mostly padding (a 10-class output layer: 128 x 256 @ 256 x 10 takes a third of the packed kernel's time).
    /// </summary>
    public const int MaxN = 16;

    public static void Run(MatrixRef<float> a, MatrixRef<float> b, float[] c, int cOff, int m, int k, int n, int threads)
    {
        float[] bt;
        int bOff, bStep;
        if (b.RowStride == 1)
        {
            (bt, bOff, bStep) = (b.Data, b.Offset, b.ColStride);
        }
        else
        {
            bt = new float[n * k];
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++) bt[j * k + p] = b[p, j];
            (bOff, bStep) = (0, k);
        }
        if (threads <= 1)
        {
            Rows(a, bt, bOff, bStep, c, cOff, 0, m, k, n);
            return;
        }
        // Chunks of whole groups of eight rows: each row is then summed the same way, in the same group, on any
        // number of threads.
        int chunks = threads * 4, per = ((m + chunks - 1) / chunks + 7) & ~7;
        WorkerPool.For(chunks, t =>
        {
            int r0 = t * per, r1 = Math.Min(m, r0 + per);
            if (r0 < r1) Rows(a, bt, bOff, bStep, c, cOff, r0, r1, k, n);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows(MatrixRef<float> a, float[] bt, int bOff, int bStep, float[] c, int cOff, int r0, int r1, int k, int n)
    {
        if (Avx.IsSupported && Vector512.IsHardwareAccelerated && k % 16 == 0)
            r0 = EightWholeRows(a, bt, bOff, bStep, c, cOff, r0, r1, k, n);
        else if (Avx.IsSupported && k % 8 == 0)
            r0 = EightRows(a, bt, bOff, bStep, c, cOff, r0, r1, k, n);
        else if (Avx.IsSupported && k < 8)
            r0 = ShortRows(a, bt, bOff, bStep, c, cOff, r0, r1, k, n);
        for (int i = r0; i < r1; i++)
        {
            ref float ai = ref a.Data[a.Offset + i * a.RowStride];
            for (int j = 0; j < n; j++)
                c[cOff + i * n + j] = Dot(ref ai, ref bt[bOff + j * bStep], k);
        }
    }

    /// <summary>
    /// Eight rows at a time with 512-bit vectors, each row's dot product taken whole before the next row's, so A is
    /// read in address order (the column-by-column order of <see cref="EightRows"/> jumps between eight rows, which
    /// the hardware prefetcher follows less well: 10^6 x 64 @ 64 x 1 took 12-13 ms that way, 9-10 ms this way, and
    /// 15.9 against 9.8 ms at 256 columns); the eight folded sums go through one horizontal-add tree.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int EightWholeRows(MatrixRef<float> a, float[] bt, int bOff, int bStep, float[] c, int cOff, int r0, int r1, int k, int n)
    {
        int i = r0;
        int lda = a.RowStride;
        for (; i + 8 <= r1; i += 8)
        {
            ref float a0 = ref a.Data[a.Offset + i * lda];
            for (int j = 0; j < n; j++)
            {
                ref float bj = ref bt[bOff + j * bStep];
                var sums = RowVectors.Sum8(
                    RowDot(ref a0, ref bj, k), RowDot(ref Unsafe.Add(ref a0, lda), ref bj, k),
                    RowDot(ref Unsafe.Add(ref a0, 2 * lda), ref bj, k), RowDot(ref Unsafe.Add(ref a0, 3 * lda), ref bj, k),
                    RowDot(ref Unsafe.Add(ref a0, 4 * lda), ref bj, k), RowDot(ref Unsafe.Add(ref a0, 5 * lda), ref bj, k),
                    RowDot(ref Unsafe.Add(ref a0, 6 * lda), ref bj, k), RowDot(ref Unsafe.Add(ref a0, 7 * lda), ref bj, k));
                Store(sums, c, cOff, i, n, j);
            }
        }
        return i;
    }

    /// <summary>Eight rows' results for column <paramref name="j"/> of C, rows <paramref name="i"/> to i + 7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> sums, float[] c, int cOff, int i, int n, int j)
    {
        if (n == 1) sums.StoreUnsafe(ref c[cOff + i]);
        else
            for (int r = 0; r < 8; r++) c[cOff + (i + r) * n + j] = sums.GetElement(r);
    }

    /// <summary>One row's products with one column of B, summed in 512-bit lanes and folded to 256 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> RowDot(ref float row, ref float column, int k)
    {
        var acc = Vector512<float>.Zero;
        for (int q = 0; q < k; q += 16)
            acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref row, (nuint)q), Vector512.LoadUnsafe(ref column, (nuint)q), acc);
        return acc.GetLower() + acc.GetUpper();
    }

    /// <summary>
    /// Eight rows at a time with 256-bit vectors: eight dot-product accumulators, then one horizontal-add tree that
    /// turns them into the eight results, instead of a horizontal sum per row. Returns the first row not done.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int EightRows(MatrixRef<float> a, float[] bt, int bOff, int bStep, float[] c, int cOff, int r0, int r1, int k, int n)
    {
        int i = r0;
        int lda = a.RowStride;
        for (; i + 8 <= r1; i += 8)
        {
            ref float a0 = ref a.Data[a.Offset + i * lda];
            for (int j = 0; j < n; j++)
            {
                ref float bj = ref bt[bOff + j * bStep];
                Vector256<float> p0 = default, p1 = default, p2 = default, p3 = default, p4 = default, p5 = default, p6 = default, p7 = default;
                for (int q = 0; q < k; q += 8)
                {
                    var w = Vector256.LoadUnsafe(ref bj, (nuint)q);
                    p0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a0, (nuint)q), w, p0);
                    p1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a0, (nuint)(lda + q)), w, p1);
                    p2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a0, (nuint)(2 * lda + q)), w, p2);
                    p3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a0, (nuint)(3 * lda + q)), w, p3);
                    p4 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a0, (nuint)(4 * lda + q)), w, p4);
                    p5 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a0, (nuint)(5 * lda + q)), w, p5);
                    p6 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a0, (nuint)(6 * lda + q)), w, p6);
                    p7 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a0, (nuint)(7 * lda + q)), w, p7);
                }
                var sums = RowVectors.Sum8(p0, p1, p2, p3, p4, p5, p6, p7);
                Store(sums, c, cOff, i, n, j);
            }
        }
        return i;
    }

    /// <summary>
    /// Eight rows at a time for fewer than eight columns of A (<c>x @ w.T</c> over a few features): each row is one
    /// 256-bit load with the lanes past its k values cleared (they hold the next row, or anything), and the eight
    /// rows' products go through one horizontal-add tree, in place of a scalar dot product per row. Rows whose load
    /// would pass the end of A's array are left to the caller. Returns the first row not done.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int ShortRows(MatrixRef<float> a, float[] bt, int bOff, int bStep, float[] c, int cOff, int r0, int r1, int k, int n)
    {
        int lda = a.RowStride;
        var keep = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(k)).AsSingle();
        // B's columns padded to eight lanes with zeros: a whole-vector load of each stays inside this buffer. The
        // fused loss asks for as many columns as a layer has outputs, which may be more than MaxN.
        Span<float> padded = n <= MaxN ? stackalloc float[MaxN * 8] : new float[n * 8];
        for (int j = 0; j < n; j++)
            for (int p = 0; p < 8; p++) padded[j * 8 + p] = p < k ? bt[bOff + j * bStep + p] : 0f;
        // A row repeated by an expand (stride 0) fits wherever its first row does.
        int end = lda == 0
            ? (a.Data.Length - a.Offset >= 8 ? r1 : r0)
            : (int)RowVectors.VectorRowsEnd(a.Data.Length, a.Offset, 8, lda, r1);
        int i = r0;
        fixed (float* pa = a.Data)
        fixed (float* w = padded)
        {
            for (; i + 8 <= end; i += 8)
            {
                float* a0 = pa + a.Offset + (long)i * lda;
                var x0 = Vector256.Load(a0) & keep;
                var x1 = Vector256.Load(a0 + lda) & keep;
                var x2 = Vector256.Load(a0 + 2 * lda) & keep;
                var x3 = Vector256.Load(a0 + 3 * lda) & keep;
                var x4 = Vector256.Load(a0 + 4 * lda) & keep;
                var x5 = Vector256.Load(a0 + 5 * lda) & keep;
                var x6 = Vector256.Load(a0 + 6 * lda) & keep;
                var x7 = Vector256.Load(a0 + 7 * lda) & keep;
                for (int j = 0; j < n; j++)
                {
                    var wj = Vector256.Load(w + j * 8);
                    var sums = RowVectors.Sum8(x0 * wj, x1 * wj, x2 * wj, x3 * wj, x4 * wj, x5 * wj, x6 * wj, x7 * wj);
                    Store(sums, c, cOff, i, n, j);
                }
            }
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(ref float x, ref float y, int k)
    {
        int w = Vector<float>.Count, p = 0;
        float s = 0;
        if (k >= w)
        {
            Vector<float> acc0 = default, acc1 = default;
            for (; p + 2 * w <= k; p += 2 * w)
            {
                acc0 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref x, (nuint)p), Vector.LoadUnsafe(ref y, (nuint)p), acc0);
                acc1 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref x, (nuint)(p + w)), Vector.LoadUnsafe(ref y, (nuint)(p + w)), acc1);
            }
            if (p + w <= k)
            {
                acc0 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref x, (nuint)p), Vector.LoadUnsafe(ref y, (nuint)p), acc0);
                p += w;
            }
            s = Vector.Sum(acc0 + acc1);
        }
        for (; p < k; p++) s += Unsafe.Add(ref x, p) * Unsafe.Add(ref y, p);
        return s;
    }
}

/// <summary>
/// <c>C = A @ B = sum over p of A[:, p] B[p, :]</c> for a long inner dim and a small C (at most <see cref="MaxM"/> x
/// <see cref="MaxN"/>) with the columns of A contiguous: the weight gradient <c>x.T @ g</c> of a linear model over
/// many rows. Reads A once; sums in float over short blocks and across blocks in double, so the result stays
/// accurate over ten million rows; threads take ranges of the inner dim and their partial sums are added at the end.
/// </summary>
internal static class GemmOuterSum
{
    public const int MaxM = 64;
    public const int MaxN = 4;
    private const int Block = 256;
    private const int Unroll = 4;

    public static void Run(MatrixRef<float> a, MatrixRef<float> b, float[] c, int cOff, int m, int k, int n, int threads)
    {
        var sums = new double[m * n];
        if (threads <= 1) Range(a, b, m, n, 0, k, sums);
        else
        {
            int chunks = threads * 2, per = (k + chunks - 1) / chunks;
            var partial = new double[chunks][];
            WorkerPool.For(chunks, t =>
            {
                int p0 = t * per, p1 = Math.Min(k, p0 + per);
                partial[t] = new double[m * n];
                if (p0 < p1) Range(a, b, m, n, p0, p1, partial[t]);
            });
            foreach (var part in partial)
                for (int i = 0; i < sums.Length; i++) sums[i] += part[i];
        }
        for (int i = 0; i < m * n; i++) c[cOff + i] = (float)sums[i];
    }

    /// <summary>Adds the products over inner indices <paramref name="p0"/>..<paramref name="p1"/> into <paramref name="sums"/> (<c>[i * n + j]</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Range(MatrixRef<float> a, MatrixRef<float> b, int m, int n, int p0, int p1, double[] sums)
    {
        int w = Vector<float>.Count, v = (m + w - 1) / w, set = v * n;
        // Whole vectors may read past row m of a column; stop the vector loop where that would leave the array.
        long lastSafe = ((long)a.Data.Length - a.Offset - (long)v * w) / Math.Max(1, a.ColStride);
        int pVec = (int)Math.Clamp(lastSafe + 1, p0, p1);
        if (v <= 2 && n <= 2)
        {
            Narrow(a, b, m, n, p0, pVec, sums);
            Tail(a, b, m, n, pVec, p1, sums);
            return;
        }
        Span<Vector<float>> acc = stackalloc Vector<float>[Unroll * set];
        Span<float> lanes = stackalloc float[w];
        for (int start = p0; start < pVec; start += Block)
        {
            int end = Math.Min(pVec, start + Block);
            acc.Clear();
            for (int p = start; p < end; p++)
            {
                ref float col = ref a.Data[a.Offset + p * a.ColStride];
                int u = (p & (Unroll - 1)) * set;
                for (int j = 0; j < n; j++)
                {
                    var bj = new Vector<float>(b[p, j]);
                    for (int q = 0; q < v; q++)
                    {
                        ref var s = ref acc[u + j * v + q];
                        s = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref col, (nuint)(q * w)), bj, s);
                    }
                }
            }
            for (int j = 0; j < n; j++)
                for (int q = 0; q < v; q++)
                {
                    var total = acc[j * v + q];
                    for (int r = 1; r < Unroll; r++) total += acc[r * set + j * v + q];
                    total.CopyTo(lanes);
                    for (int l = 0; l < w && q * w + l < m; l++) sums[(q * w + l) * n + j] += lanes[l];
                }
        }
        Tail(a, b, m, n, pVec, p1, sums);
    }

    private static void Tail(MatrixRef<float> a, MatrixRef<float> b, int m, int n, int p0, int p1, double[] sums)
    {
        for (int p = p0; p < p1; p++)
            for (int i = 0; i < m; i++)
            {
                double x = a[i, p];
                for (int j = 0; j < n; j++) sums[i * n + j] += x * b[p, j];
            }
    }

    /// <summary>
    /// The common case of at most two vectors per column of A and two columns of B (a linear model with few
    /// features and outputs) with every accumulator in a register, two inner indices per step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Narrow(MatrixRef<float> a, MatrixRef<float> b, int m, int n, int p0, int p1, double[] sums)
    {
        int w = Vector<float>.Count;
        bool two = m > w, twoCols = n > 1;
        ref float ad = ref a.Data[0];
        ref float bd = ref b.Data[0];
        int ac = a.ColStride, br = b.RowStride, bc = b.ColStride;
        for (int start = p0; start < p1; start += Block)
        {
            int end = Math.Min(p1, start + Block);
            Vector<float> s00 = default, s01 = default, s10 = default, s11 = default;
            Vector<float> t00 = default, t01 = default, t10 = default, t11 = default;
            int p = start;
            for (; p + 1 < end; p += 2)
            {
                int ai = a.Offset + p * ac, bi = b.Offset + p * br;
                var x0 = Vector.LoadUnsafe(ref ad, (nuint)ai);
                var y0 = Vector.LoadUnsafe(ref ad, (nuint)(ai + ac));
                var g0 = new Vector<float>(Unsafe.Add(ref bd, bi));
                var h0 = new Vector<float>(Unsafe.Add(ref bd, bi + br));
                s00 = Vector.FusedMultiplyAdd(x0, g0, s00);
                t00 = Vector.FusedMultiplyAdd(y0, h0, t00);
                if (two)
                {
                    var x1 = Vector.LoadUnsafe(ref ad, (nuint)(ai + w));
                    var y1 = Vector.LoadUnsafe(ref ad, (nuint)(ai + ac + w));
                    s01 = Vector.FusedMultiplyAdd(x1, g0, s01);
                    t01 = Vector.FusedMultiplyAdd(y1, h0, t01);
                    if (twoCols)
                    {
                        var g1 = new Vector<float>(Unsafe.Add(ref bd, bi + bc));
                        var h1 = new Vector<float>(Unsafe.Add(ref bd, bi + br + bc));
                        s11 = Vector.FusedMultiplyAdd(x1, g1, s11);
                        t11 = Vector.FusedMultiplyAdd(y1, h1, t11);
                        s10 = Vector.FusedMultiplyAdd(x0, g1, s10);
                        t10 = Vector.FusedMultiplyAdd(y0, h1, t10);
                    }
                }
                else if (twoCols)
                {
                    s10 = Vector.FusedMultiplyAdd(x0, new Vector<float>(Unsafe.Add(ref bd, bi + bc)), s10);
                    t10 = Vector.FusedMultiplyAdd(y0, new Vector<float>(Unsafe.Add(ref bd, bi + br + bc)), t10);
                }
            }
            if (p < end)
            {
                int ai = a.Offset + p * ac, bi = b.Offset + p * br;
                var x0 = Vector.LoadUnsafe(ref ad, (nuint)ai);
                var g0 = new Vector<float>(Unsafe.Add(ref bd, bi));
                s00 = Vector.FusedMultiplyAdd(x0, g0, s00);
                if (two) s01 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref ad, (nuint)(ai + w)), g0, s01);
                if (twoCols)
                {
                    var g1 = new Vector<float>(Unsafe.Add(ref bd, bi + bc));
                    s10 = Vector.FusedMultiplyAdd(x0, g1, s10);
                    if (two) s11 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref ad, (nuint)(ai + w)), g1, s11);
                }
            }
            Flush(s00 + t00, 0, 0, m, n, sums);
            if (two) Flush(s01 + t01, 1, 0, m, n, sums);
            if (twoCols)
            {
                Flush(s10 + t10, 0, 1, m, n, sums);
                if (two) Flush(s11 + t11, 1, 1, m, n, sums);
            }
        }
    }

    private static void Flush(Vector<float> acc, int q, int j, int m, int n, double[] sums)
    {
        int w = Vector<float>.Count;
        for (int l = 0; l < w && q * w + l < m; l++) sums[(q * w + l) * n + j] += acc[l];
    }
}

/// <summary>Plain loops for tiny products (the lesson's 5x3 @ 3x2), where packing or SIMD set-up would cost more than the work.</summary>
internal static class GemmSmall
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T>(MatrixRef<T> a, MatrixRef<T> b, T[] c, int cOff, int m, int k, int n) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                T acc = T.Zero;
                int ai = a.Offset + i * a.RowStride, bj = b.Offset + j * b.ColStride;
                for (int p = 0; p < k; p++) acc += a.Data[ai + p * a.ColStride] * b.Data[bj + p * b.RowStride];
                c[cOff + i * n + j] = acc;
            }
    }
}
