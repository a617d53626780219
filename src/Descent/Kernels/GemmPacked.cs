using System.Buffers;
using System.Runtime.CompilerServices;

namespace Descent.Kernels;

/// <summary>A matrix operand: element (i, j) sits at <c>Data[Offset + i * RowStride + j * ColStride]</c>.</summary>
internal readonly record struct MatrixRef<T>(T[] Data, int Offset, int RowStride, int ColStride)
{
    public T this[int i, int j] => Data[Offset + i * RowStride + j * ColStride];
}

/// <summary>
/// Packed, cache-blocked SGEMM in the GotoBLAS/BLIS loop order (see docs/notes/gemm.md): for each NC-wide panel of
/// B and each KC-deep slice, B is packed once into NR-wide micro-panels shared by all threads; each thread owns a
/// range of rows of C, packs MC x KC blocks of A into MR-tall micro-panels, and runs the <typeparamref name="TK"/>
/// micro-kernel over the tiles. Any strides are accepted: transposed operands are read through their strides
/// while packing, never copied as a whole.
/// </summary>
internal static class GemmPacked<TK> where TK : struct, IMicroKernel
{
    /// <summary><c>C = A @ B</c> with C row-major at <paramref name="cOff"/>, row step <paramref name="ldc"/>.</summary>
    public static void Run(MatrixRef<float> a, MatrixRef<float> b, float[] c, int cOff, int ldc, int m, int k, int n, int threads)
    {
        int mr = TK.MR, nr = TK.NR;
        // With threads, rows go out in several blocks per thread, taken as threads come free: a core slowed by
        // other work on the machine then takes fewer blocks instead of holding the others up.
        int blocks = threads <= 1 ? 1 : Math.Clamp((m + mr - 1) / mr, 1, threads * 4);
        int rowsPer = RoundUp((m + blocks - 1) / blocks, mr);
        blocks = (m + rowsPer - 1) / rowsPer;
        int kcMax = Math.Min(TK.KC, k);
        int ncMax = Math.Min(TK.NC, RoundUp(n, nr));
        int mcMax = Math.Min(TK.MC, rowsPer);
        var bPack = ArrayPool<float>.Shared.Rent(kcMax * ncMax);
        try
        {
            for (int jc = 0; jc < n; jc += TK.NC)
            {
                int nc = Math.Min(TK.NC, n - jc);
                int panels = (nc + nr - 1) / nr;
                for (int pc = 0; pc < k; pc += TK.KC)
                {
                    int kc = Math.Min(TK.KC, k - pc);
                    bool add = pc > 0;
                    if (blocks == 1)
                    {
                        PackB(b, pc, jc, kc, nc, 0, panels, bPack);
                        WithAPack(mcMax * kcMax, aPack => Compute(a, c, cOff, ldc, 0, m, jc, nc, pc, kc, add, aPack, bPack));
                        continue;
                    }
                    int panelBlocks = Math.Min(panels, blocks), panelsPer = (panels + panelBlocks - 1) / panelBlocks;
                    int jc0 = jc, pc0 = pc;
                    Parallel.For(0, panelBlocks, t => PackB(b, pc0, jc0, kc, nc, t * panelsPer, Math.Min(panels, (t + 1) * panelsPer), bPack));
                    Parallel.For(0, blocks, t => WithAPack(mcMax * kcMax, aPack =>
                        Compute(a, c, cOff, ldc, t * rowsPer, Math.Min(m, (t + 1) * rowsPer), jc0, nc, pc0, kc, add, aPack, bPack)));
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(bPack);
        }
    }

    private static void WithAPack(int length, Action<float[]> body)
    {
        var aPack = ArrayPool<float>.Shared.Rent(length);
        try
        {
            body(aPack);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(aPack);
        }
    }

    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;

    /// <summary>Rows <paramref name="r0"/>..<paramref name="r1"/> of C for one packed slice of B.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Compute(MatrixRef<float> a, float[] c, int cOff, int ldc, int r0, int r1,
        int jc, int nc, int pc, int kc, bool add, float[] aPack, float[] bPack)
    {
        int mr = TK.MR, nr = TK.NR;
        Span<float> tile = stackalloc float[TK.MR * TK.NR];
        for (int ic = r0; ic < r1; ic += TK.MC)
        {
            int mc = Math.Min(TK.MC, r1 - ic);
            PackA(a, ic, pc, mc, kc, aPack);
            for (int jr = 0; jr < nc; jr += nr)
            {
                int nLeft = Math.Min(nr, nc - jr);
                ref float bp = ref bPack[jr / nr * kc * nr];
                for (int ir = 0; ir < mc; ir += mr)
                {
                    int mLeft = Math.Min(mr, mc - ir);
                    ref float ap = ref aPack[ir / mr * kc * mr];
                    int ci = cOff + (ic + ir) * ldc + jc + jr;
                    if (mLeft == mr && nLeft == nr)
                    {
                        TK.Run(kc, ref ap, ref bp, ref c[ci], ldc, add);
                        continue;
                    }
                    // Edge tile: compute the full tile aside, keep the part inside C.
                    TK.Run(kc, ref ap, ref bp, ref tile[0], nr, false);
                    for (int i = 0; i < mLeft; i++)
                    {
                        var src = tile.Slice(i * nr, nLeft);
                        var dst = c.AsSpan(ci + i * ldc, nLeft);
                        if (add) System.Numerics.Tensors.TensorPrimitives.Add(dst, src, dst);
                        else src.CopyTo(dst);
                    }
                }
            }
        }
    }

    /// <summary>Packs A[i0 .. i0+mc, p0 .. p0+kc] as MR-tall micro-panels, <c>[panel][p * MR + r]</c>, zero-padding the last.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(MatrixRef<float> a, int i0, int p0, int mc, int kc, float[] dst)
    {
        int mr = TK.MR;
        var src = a.Data;
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            int d0 = ir / mr * kc * mr;
            if (a.ColStride == 1)
            {
                for (int r = 0; r < rows; r++)
                {
                    int s = a.Offset + (i0 + ir + r) * a.RowStride + p0;
                    ref float d = ref dst[d0 + r];
                    for (int p = 0; p < kc; p++) Unsafe.Add(ref d, p * mr) = src[s + p];
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    int s = a.Offset + (i0 + ir) * a.RowStride + (p0 + p) * a.ColStride;
                    int d = d0 + p * mr;
                    for (int r = 0; r < rows; r++) dst[d + r] = src[s + r * a.RowStride];
                }
            }
            if (rows < mr)
                for (int p = 0; p < kc; p++) dst.AsSpan(d0 + p * mr + rows, mr - rows).Clear();
        }
    }

    /// <summary>Packs panels <paramref name="q0"/>..<paramref name="q1"/> of B[p0 .. p0+kc, j0 .. j0+nc] as NR-wide micro-panels, <c>[panel][p * NR + j]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB(MatrixRef<float> b, int p0, int j0, int kc, int nc, int q0, int q1, float[] dst)
    {
        int nr = TK.NR;
        var src = b.Data;
        for (int q = q0; q < q1; q++)
        {
            int jr = q * nr;
            int cols = Math.Min(nr, nc - jr);
            int d0 = q * kc * nr;
            if (b.ColStride == 1)
            {
                for (int p = 0; p < kc; p++)
                {
                    int s = b.Offset + (p0 + p) * b.RowStride + j0 + jr;
                    src.AsSpan(s, cols).CopyTo(dst.AsSpan(d0 + p * nr, cols));
                    if (cols < nr) dst.AsSpan(d0 + p * nr + cols, nr - cols).Clear();
                }
            }
            else
            {
                for (int j = 0; j < cols; j++)
                {
                    int s = b.Offset + p0 * b.RowStride + (j0 + jr + j) * b.ColStride;
                    ref float d = ref dst[d0 + j];
                    for (int p = 0; p < kc; p++) Unsafe.Add(ref d, p * nr) = src[s + p * b.RowStride];
                }
                if (cols < nr)
                    for (int p = 0; p < kc; p++) dst.AsSpan(d0 + p * nr + cols, nr - cols).Clear();
            }
        }
    }
}
