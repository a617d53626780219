using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Descent.Kernels;

/// <summary>
/// <c>C = A @ B</c> for one pair of matrices given by strides, into a contiguous C: the one place that picks a
/// strategy by shape, layout, element type and machine (see docs/notes/gemm.md).
/// </summary>
internal static class MatMulKernel
{
    /// <summary>At or below this many multiply-adds, plain loops win over any set-up.</summary>
    public const long SmallWork = 1024;

    /// <summary>From this many multiply-adds on, a product is split across threads.</summary>
    public const long ParallelWork = 1 << 21;

    /// <summary>The float32 strategies, for tests that pin one.</summary>
    internal enum Strategy { Auto, Small, RowDots, OuterSum, RowDotsTransposed, OuterSumTransposed, Packed512, Packed256, Packed128 }

    public static void Run<T>(MatrixRef<T> a, MatrixRef<T> b, T[] c, int cOff, int m, int k, int n) where T : unmanaged, INumber<T>
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            c.AsSpan(cOff, m * n).Clear();
            return;
        }
        if (typeof(T) == typeof(float))
            RunFloat(Unsafe.As<MatrixRef<T>, MatrixRef<float>>(ref a), Unsafe.As<MatrixRef<T>, MatrixRef<float>>(ref b),
                Unsafe.As<float[]>(c), cOff, m, k, n, Strategy.Auto);
        else if ((long)m * n * k <= SmallWork) GemmSmall.Run(a, b, c, cOff, m, k, n);
        else GemmSimple.Run(a, b, c, cOff, m, k, n);
    }

    internal static Strategy Pick(MatrixRef<float> a, MatrixRef<float> b, int m, int k, int n)
    {
        long work = (long)m * n * k;
        if (work <= SmallWork) return Strategy.Small;
        // Dot products read B by columns: gathered into columns first unless they are contiguous, which pays only
        // over enough rows of A (for a single row, 1 x N @ N x 16, the gather would be the whole product again).
        if (n <= GemmRowDots.MaxN && a.ColStride == 1 && (b.RowStride == 1 || m >= 16)) return Strategy.RowDots;
        if (n <= GemmOuterSum.MaxN && m <= GemmOuterSum.MaxM && a.RowStride == 1 && k >= 4 * m) return Strategy.OuterSum;
        // The same two shapes the other way round (a row vector times a matrix, g.T @ x): run Cᵀ = Bᵀ @ Aᵀ.
        if (m <= GemmRowDots.MaxN && b.RowStride == 1) return Strategy.RowDotsTransposed;
        if (m <= GemmOuterSum.MaxN && n <= GemmOuterSum.MaxM && b.ColStride == 1 && k >= 4 * n) return Strategy.OuterSumTransposed;
        if (Kernel512.IsSupported) return Strategy.Packed512;
        if (Kernel256.IsSupported && Fma.IsSupported) return Strategy.Packed256;
        return Strategy.Packed128;
    }

    internal static void RunFloat(MatrixRef<float> a, MatrixRef<float> b, float[] c, int cOff, int m, int k, int n, Strategy strategy)
    {
        if (strategy == Strategy.Auto) strategy = Pick(a, b, m, k, n);
        int threads = (long)m * n * k >= ParallelWork ? Environment.ProcessorCount : 1;
        switch (strategy)
        {
            case Strategy.Small: GemmSmall.Run(a, b, c, cOff, m, k, n); break;
            case Strategy.RowDots: GemmRowDots.Run(a, b, c, cOff, m, k, n, threads); break;
            case Strategy.OuterSum: GemmOuterSum.Run(a, b, c, cOff, m, k, n, threads); break;
            case Strategy.RowDotsTransposed:
            case Strategy.OuterSumTransposed:
                Transposed(a, b, c, cOff, m, k, n, threads, strategy == Strategy.RowDotsTransposed); break;
            case Strategy.Packed512: GemmPacked<Kernel512>.Run(a, b, c, cOff, n, m, k, n, threads); break;
            case Strategy.Packed256: GemmPacked<Kernel256>.Run(a, b, c, cOff, n, m, k, n, threads); break;
            default: GemmPacked<Kernel128>.Run(a, b, c, cOff, n, m, k, n, threads); break;
        }
    }

    /// <summary>
    /// <c>C = A @ B</c> as <c>Cᵀ = Bᵀ @ Aᵀ</c> with the skinny kernels (C has only a few rows): for one row,
    /// Cᵀ has C's layout already; otherwise Cᵀ goes to a buffer and is transposed into C.
    /// </summary>
    private static void Transposed(MatrixRef<float> a, MatrixRef<float> b, float[] c, int cOff, int m, int k, int n, int threads, bool rowDots)
    {
        var bt = new MatrixRef<float>(b.Data, b.Offset, b.ColStride, b.RowStride);
        var at = new MatrixRef<float>(a.Data, a.Offset, a.ColStride, a.RowStride);
        float[] dst = m == 1 ? c : new float[n * m];
        int off = m == 1 ? cOff : 0;
        if (rowDots) GemmRowDots.Run(bt, at, dst, off, n, k, m, threads);
        else GemmOuterSum.Run(bt, at, dst, off, n, k, m, threads);
        if (m == 1) return;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[cOff + i * n + j] = dst[j * m + i];
    }
}

/// <summary>
/// The simpler path for float64 and int64: rows of C built from rows of B with SIMD multiply-adds, or dot products
/// when A's rows and B's columns are contiguous; B in any other layout is gathered into rows once. The k loop is
/// blocked so a block of B stays in cache while it is reused; rows of C are split across threads for large products.
/// </summary>
internal static class GemmSimple
{
    private const int KBlock = 256;

    public static void Run<T>(MatrixRef<T> a, MatrixRef<T> b, T[] c, int cOff, int m, int k, int n) where T : unmanaged, INumber<T>
    {
        bool parallel = (long)m * n * k >= MatMulKernel.ParallelWork && m > 1 && Environment.ProcessorCount > 1;
        if (a.ColStride == 1 && b.RowStride == 1 && k > 1)
        {
            if (!parallel) Dots(a, b, c, cOff, 0, m, k, n);
            else ParallelRows(m, (r0, r1) => Dots(a, b, c, cOff, r0, r1, k, n));
            return;
        }
        if (b.ColStride != 1 && n > 1)
        {
            var rows = new T[k * n];
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++) rows[p * n + j] = b[p, j];
            b = new MatrixRef<T>(rows, 0, n, 1);
        }
        if (!parallel) RowsOfB(a, b, c, cOff, 0, m, k, n);
        else ParallelRows(m, (r0, r1) => RowsOfB(a, b, c, cOff, r0, r1, k, n));
    }

    private static void ParallelRows(int m, Action<int, int> body)
    {
        int chunks = Math.Min(m, Environment.ProcessorCount * 4), per = (m + chunks - 1) / chunks;
        WorkerPool.For(chunks, ch =>
        {
            int r0 = ch * per, r1 = Math.Min(m, r0 + per);
            if (r0 < r1) body(r0, r1);
        });
    }

    private static void RowsOfB<T>(MatrixRef<T> a, MatrixRef<T> b, T[] c, int cOff, int r0, int r1, int k, int n) where T : unmanaged, INumber<T>
    {
        if (n == 1)
        {
            for (int i = r0; i < r1; i++)
            {
                T acc = T.Zero;
                for (int p = 0; p < k; p++) acc += a[i, p] * b[p, 0];
                c[cOff + i] = acc;
            }
            return;
        }
        c.AsSpan(cOff + r0 * n, (r1 - r0) * n).Clear();
        for (int k0 = 0; k0 < k; k0 += KBlock)
        {
            int k1 = Math.Min(k, k0 + KBlock);
            for (int i = r0; i < r1; i++)
            {
                var ci = c.AsSpan(cOff + i * n, n);
                for (int p = k0; p < k1; p++)
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(b.Data.AsSpan(b.Offset + p * b.RowStride, n), a[i, p], ci, ci);
            }
        }
    }

    private static void Dots<T>(MatrixRef<T> a, MatrixRef<T> b, T[] c, int cOff, int r0, int r1, int k, int n) where T : unmanaged, INumber<T>
    {
        for (int i = r0; i < r1; i++)
        {
            var ai = a.Data.AsSpan(a.Offset + i * a.RowStride, k);
            for (int j = 0; j < n; j++)
                c[cOff + i * n + j] = System.Numerics.Tensors.TensorPrimitives.Dot(ai, b.Data.AsSpan(b.Offset + j * b.ColStride, k));
        }
    }
}
