using System.Numerics;
using System.Runtime.CompilerServices;

namespace Descent.Kernels;

/// <summary>
/// <c>C = A @ B</c> by one dot product per element of C, for few columns (<c>n</c> at most <see cref="MaxN"/>) and
/// rows of A contiguous: a tall input times a thin weight, <c>x @ w.T</c> of a linear model, or a matrix times a
/// vector. Reads A once, without packing; B's columns are gathered once when they are not contiguous already.
/// </summary>
internal static class GemmRowDots
{
    public const int MaxN = 4;

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
        int chunks = threads * 4, per = (m + chunks - 1) / chunks;
        Parallel.For(0, chunks, t =>
        {
            int r0 = t * per, r1 = Math.Min(m, r0 + per);
            if (r0 < r1) Rows(a, bt, bOff, bStep, c, cOff, r0, r1, k, n);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows(MatrixRef<float> a, float[] bt, int bOff, int bStep, float[] c, int cOff, int r0, int r1, int k, int n)
    {
        for (int i = r0; i < r1; i++)
        {
            ref float ai = ref a.Data[a.Offset + i * a.RowStride];
            for (int j = 0; j < n; j++)
                c[cOff + i * n + j] = Dot(ref ai, ref bt[bOff + j * bStep], k);
        }
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
            Parallel.For(0, chunks, t =>
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
    private static void Range(MatrixRef<float> a, MatrixRef<float> b, int m, int n, int p0, int p1, double[] sums)
    {
        int w = Vector<float>.Count, v = (m + w - 1) / w, set = v * n;
        // Whole vectors may read past row m of a column; stop the vector loop where that would leave the array.
        long lastSafe = ((long)a.Data.Length - a.Offset - (long)v * w) / Math.Max(1, a.ColStride);
        int pVec = (int)Math.Clamp(lastSafe + 1, p0, p1);
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
        for (int p = pVec; p < p1; p++)
            for (int i = 0; i < m; i++)
            {
                double x = a[i, p];
                for (int j = 0; j < n; j++) sums[i * n + j] += x * b[p, j];
            }
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
