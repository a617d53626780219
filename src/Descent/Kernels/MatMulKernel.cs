using System.Numerics;
using System.Numerics.Tensors;

namespace Descent.Kernels;

/// <summary>
/// <c>C = A @ B</c> for one pair of matrices given by strides. Two strategies: rows of C built from rows of B
/// (when B's rows are contiguous; A may have any strides), and dot products (when A's rows and B's columns are
/// contiguous, as in <c>x @ w.T</c>). Rows of C are split across threads for large products, and the k loop
/// is blocked so a block of B stays in cache while it is reused.
/// </summary>
internal static class MatMulKernel
{
    private const int KBlock = 256;
    private const long ParallelFlops = 1 << 18;

    public static void Run<T>(
        T[] a, int aOff, int aRow, int aCol,
        T[] b, int bOff, int bRow, int bCol,
        T[] c, int cOff, int m, int k, int n) where T : unmanaged, INumber<T>
    {
        bool parallel = (long)m * n * k >= ParallelFlops && m > 1 && Environment.ProcessorCount > 1;
        if (aCol == 1 && bRow == 1 && k > 1)
        {
            if (!parallel) Dots(a, aOff, aRow, b, bOff, bCol, c, cOff, 0, m, k, n);
            else ParallelRows(m, (r0, r1) => Dots(a, aOff, aRow, b, bOff, bCol, c, cOff, r0, r1, k, n));
        }
        else if (bCol == 1 || n == 1)
        {
            if (!parallel) RowsOfB(a, aOff, aRow, aCol, b, bOff, bRow, c, cOff, 0, m, k, n);
            else ParallelRows(m, (r0, r1) => RowsOfB(a, aOff, aRow, aCol, b, bOff, bRow, c, cOff, r0, r1, k, n));
        }
        else throw new InvalidOperationException("MatMulKernel: caller must make B row-contiguous");
    }

    private static void ParallelRows(int m, Action<int, int> body)
    {
        int chunks = Math.Min(m, Environment.ProcessorCount * 4), per = (m + chunks - 1) / chunks;
        Parallel.For(0, chunks, ch =>
        {
            int r0 = ch * per, r1 = Math.Min(m, r0 + per);
            if (r0 < r1) body(r0, r1);
        });
    }

    private static void RowsOfB<T>(T[] a, int aOff, int aRow, int aCol, T[] b, int bOff, int bRow,
        T[] c, int cOff, int r0, int r1, int k, int n) where T : unmanaged, INumber<T>
    {
        c.AsSpan(cOff + r0 * n, (r1 - r0) * n).Clear();
        if (n == 1)
        {
            for (int i = r0; i < r1; i++)
            {
                T acc = T.Zero;
                int ai = aOff + i * aRow, bi = bOff;
                for (int p = 0; p < k; p++, ai += aCol, bi += bRow) acc += a[ai] * b[bi];
                c[cOff + i] = acc;
            }
            return;
        }
        for (int k0 = 0; k0 < k; k0 += KBlock)
        {
            int k1 = Math.Min(k, k0 + KBlock);
            for (int i = r0; i < r1; i++)
            {
                var ci = c.AsSpan(cOff + i * n, n);
                int ai = aOff + i * aRow;
                for (int p = k0; p < k1; p++)
                {
                    T s = a[ai + p * aCol];
                    TensorPrimitives.MultiplyAdd(b.AsSpan(bOff + p * bRow, n), s, ci, ci);
                }
            }
        }
    }

    private static void Dots<T>(T[] a, int aOff, int aRow, T[] b, int bOff, int bCol,
        T[] c, int cOff, int r0, int r1, int k, int n) where T : unmanaged, INumber<T>
    {
        for (int i = r0; i < r1; i++)
        {
            var ai = a.AsSpan(aOff + i * aRow, k);
            for (int j = 0; j < n; j++)
                c[cOff + i * n + j] = TensorPrimitives.Dot(ai, b.AsSpan(bOff + j * bCol, k));
        }
    }
}
