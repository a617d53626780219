namespace Descent.Kernels;

/// <summary>A loop body over one row: <c>n</c> elements at offsets <c>a, b, d</c> stepping by <c>sa, sb, sd</c>.</summary>
internal interface IRowKernel
{
    void Row(int a, int b, int d, int n, int sa, int sb, int sd);
}

/// <summary>
/// Walks up to three operands of one shape with their own strides, coalescing dimensions that are contiguous in
/// all of them, and hands the innermost run to a row kernel. Large walks are split across threads.
/// </summary>
internal static class Strided
{
    /// <summary>Below this many elements a walk stays on the calling thread.</summary>
    public const int ParallelThreshold = 1 << 17;

    private const int MinChunk = 1 << 15;

    public static void Run<TK>(TK kernel, ReadOnlySpan<int> shape,
        ReadOnlySpan<int> sa, int oa, ReadOnlySpan<int> sb, int ob, ReadOnlySpan<int> sd, int od)
        where TK : struct, IRowKernel
    {
        // Coalesce: drop size-1 dims, merge a dim into the next when every operand steps through both as one.
        Span<int> size = stackalloc int[Math.Max(shape.Length, 1)];
        Span<int> s0 = stackalloc int[size.Length];
        Span<int> s1 = stackalloc int[size.Length];
        Span<int> s2 = stackalloc int[size.Length];
        int rank = 0;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1) continue;
            if (shape[i] == 0) return;
            if (rank > 0 && s0[rank - 1] == sa[i] * shape[i] && s1[rank - 1] == sb[i] * shape[i] && s2[rank - 1] == sd[i] * shape[i])
            {
                size[rank - 1] *= shape[i];
                s0[rank - 1] = sa[i];
                s1[rank - 1] = sb[i];
                s2[rank - 1] = sd[i];
                continue;
            }
            size[rank] = shape[i];
            s0[rank] = sa[i];
            s1[rank] = sb[i];
            s2[rank] = sd[i];
            rank++;
        }
        if (rank == 0)
        {
            kernel.Row(oa, ob, od, 1, 0, 0, 0);
            return;
        }
        int inner = size[rank - 1];
        int ia = s0[rank - 1], ib = s1[rank - 1], id = s2[rank - 1];
        int rows = 1;
        for (int i = 0; i < rank - 1; i++) rows *= size[i];
        long total = (long)rows * inner;

        if (total < ParallelThreshold || Environment.ProcessorCount == 1)
        {
            Rows(kernel, size[..(rank - 1)], s0, s1, s2, oa, ob, od, 0, rows, inner, ia, ib, id);
            return;
        }

        int chunks = (int)Math.Min(Environment.ProcessorCount * 4, Math.Max(1, total / MinChunk));
        if (rows == 1)
        {
            // One long run: split it.
            int per = (inner + chunks - 1) / chunks;
            WorkerPool.For(chunks, c =>
            {
                int start = c * per, n = Math.Min(per, inner - start);
                if (n > 0) kernel.Row(oa + start * ia, ob + start * ib, od + start * id, n, ia, ib, id);
            });
            return;
        }
        var outer = size[..(rank - 1)].ToArray();
        var a0 = s0[..rank].ToArray();
        var b0 = s1[..rank].ToArray();
        var d0 = s2[..rank].ToArray();
        int rowsPer = (rows + chunks - 1) / chunks;
        WorkerPool.For(chunks, c =>
        {
            int r0 = c * rowsPer, r1 = Math.Min(rows, r0 + rowsPer);
            if (r0 < r1) Rows(kernel, outer, a0, b0, d0, oa, ob, od, r0, r1, inner, ia, ib, id);
        });
    }

    private static void Rows<TK>(TK kernel, ReadOnlySpan<int> outer, ReadOnlySpan<int> s0, ReadOnlySpan<int> s1, ReadOnlySpan<int> s2,
        int oa, int ob, int od, int r0, int r1, int inner, int ia, int ib, int id)
        where TK : struct, IRowKernel
    {
        int k = outer.Length;
        Span<int> idx = stackalloc int[Math.Max(k, 1)];
        int a = oa, b = ob, d = od;
        int rem = r0;
        for (int i = k - 1; i >= 0; i--)
        {
            idx[i] = rem % outer[i];
            rem /= outer[i];
            a += idx[i] * s0[i];
            b += idx[i] * s1[i];
            d += idx[i] * s2[i];
        }
        for (int r = r0; r < r1; r++)
        {
            kernel.Row(a, b, d, inner, ia, ib, id);
            for (int i = k - 1; i >= 0; i--)
            {
                a += s0[i];
                b += s1[i];
                d += s2[i];
                if (++idx[i] < outer[i]) break;
                a -= s0[i] * outer[i];
                b -= s1[i] * outer[i];
                d -= s2[i] * outer[i];
                idx[i] = 0;
            }
        }
    }
}
