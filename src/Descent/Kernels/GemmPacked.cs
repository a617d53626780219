using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    /// <summary>Most floats of B packed at once (16 MiB): up to this, all of B is packed before any tile is computed.</summary>
    private const int BPackBudget = 1 << 22;

    /// <summary>
    /// <c>C = A @ B</c> with C row-major at <paramref name="cOff"/>, row step <paramref name="ldc"/>, on up to
    /// <paramref name="threads"/> threads; <paramref name="bPackBudget"/> (floats of packed B at once) is lowered only by tests.
    /// </summary>
    public static void Run(MatrixRef<float> a, MatrixRef<float> b, float[] c, int cOff, int ldc, int m, int k, int n, int threads,
        int bPackBudget = BPackBudget)
    {
        int mr = TK.MR, nr = TK.NR;
        // Even slices of the inner dim: 1024 = 3 x 342, not 384 + 384 + 256, so no slice runs short.
        int slices = (k + TK.KC - 1) / TK.KC;
        int kc = (k + slices - 1) / slices;
        // Rows go out in blocks of at most MC, several per thread, taken as threads come free: a core slowed by
        // other work on the machine then takes fewer blocks instead of holding the others up.
        int rowsPer = threads <= 1 ? TK.MC : Math.Min(TK.MC, RoundUp((m + threads * 4 - 1) / (threads * 4), mr));
        rowsPer = Math.Min(rowsPer, RoundUp(m, mr));
        int blocks = (m + rowsPer - 1) / rowsPer;
        threads = Math.Max(1, Math.Min(threads, blocks));
        int ncMax = Math.Min(TK.NC, RoundUp(n, nr));
        int sliceFloats = kc * ncMax;
        int group = Math.Clamp(bPackBudget / sliceFloats, 1, slices);
        var job = new Job(a, b, c, cOff, ldc, m, k, kc, rowsPer, blocks, sliceFloats);
        using var bPack = new AlignedBuffer(group * sliceFloats);
        job.BPack = bPack.Array;
        job.BBase = bPack.Start;
        for (int jc = 0; jc < n; jc += TK.NC)
        {
            for (int s0 = 0; s0 < slices; s0 += group)
            {
                job.Begin(jc, Math.Min(TK.NC, n - jc), s0, Math.Min(slices, s0 + group), threads);
                if (threads == 1) job.Work(false);
                else WorkerPool.For(threads, _ => job.Work(true));
            }
        }
    }

    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;

    /// <summary>
    /// One panel of B and a group of its slices, shared by the threads: each packs pieces of B as it claims them,
    /// waits until all of B's group is packed, then claims blocks of rows of C, packing its own A for each.
    /// </summary>
    private sealed class Job(MatrixRef<float> a, MatrixRef<float> b, float[] c, int cOff, int ldc, int m, int k,
        int kc, int rowsPer, int blocks, int sliceFloats)
    {
        public float[] BPack = [];
        public int BBase;
        private int jc, nc, s0, s1, panels, panelsPerPiece, piecesPerSlice, packPieces, nextPiece, packedPieces, nextBlock;

        public void Begin(int jc0, int nc0, int first, int last, int threads)
        {
            jc = jc0;
            nc = nc0;
            s0 = first;
            s1 = last;
            panels = (nc + TK.NR - 1) / TK.NR;
            // A piece of packing is up to 8 micro-panels of one slice, small enough that every thread gets a few.
            panelsPerPiece = Math.Clamp(panels * (s1 - s0) / (threads * 4), 1, Math.Min(8, panels));
            piecesPerSlice = (panels + panelsPerPiece - 1) / panelsPerPiece;
            packPieces = (s1 - s0) * piecesPerSlice;
            nextPiece = 0;
            packedPieces = 0;
            nextBlock = 0;
        }

        public void Work(bool shared)
        {
            int piece;
            while ((piece = shared ? Interlocked.Increment(ref nextPiece) - 1 : nextPiece++) < packPieces)
            {
                int s = piece / piecesPerSlice, q0 = piece % piecesPerSlice * panelsPerPiece;
                int pc = (s0 + s) * kc, kcs = Math.Min(kc, k - pc);
                PackB(b, pc, jc, kcs, nc, q0, Math.Min(panels, q0 + panelsPerPiece), BPack, BBase + s * sliceFloats);
                if (shared) Interlocked.Increment(ref packedPieces);
            }
            if (shared)
            {
                var spin = new SpinWait();
                while (Volatile.Read(ref packedPieces) < packPieces) spin.SpinOnce(sleep1Threshold: -1);
            }
            using var aPack = new AlignedBuffer(Math.Min(rowsPer, RoundUp(m, TK.MR)) * kc);
            int block;
            while ((block = shared ? Interlocked.Increment(ref nextBlock) - 1 : nextBlock++) < blocks)
            {
                int r0 = block * rowsPer, r1 = Math.Min(m, r0 + rowsPer);
                for (int s = s0; s < s1; s++)
                {
                    int pc = s * kc, kcs = Math.Min(kc, k - pc);
                    PackA(a, r0, pc, r1 - r0, kcs, aPack.Array, aPack.Start);
                    Compute(c, cOff, ldc, r0, r1, jc, nc, kcs, s > 0, aPack.Array, aPack.Start, BPack, BBase + (s - s0) * sliceFloats);
                }
            }
        }
    }

    /// <summary>A rented array pinned for the length of one product, with a 64-byte aligned start, so no vector load of a packed panel straddles two cache lines.</summary>
    private readonly struct AlignedBuffer : IDisposable
    {
        private readonly GCHandle handle;

        public AlignedBuffer(int length)
        {
            Array = ArrayPool<float>.Shared.Rent(length + 16);
            handle = GCHandle.Alloc(Array, GCHandleType.Pinned);
            Start = (int)((64 - (handle.AddrOfPinnedObject() & 63)) & 63) / sizeof(float);
        }

        public float[] Array { get; }

        public int Start { get; }

        public void Dispose()
        {
            handle.Free();
            ArrayPool<float>.Shared.Return(Array);
        }
    }

    /// <summary>Floats of packed B (512 KiB) that one pass over a block of A's micro-panels reads: they stay in L2.</summary>
    private const int BChunkFloats = 1 << 17;

    /// <summary>
    /// Rows <paramref name="ic"/>..<paramref name="r1"/> of C (their A packed) for one packed slice of B. The slice
    /// goes by chunks of columns that fit in L2; within a chunk each A micro-panel (MR x kc) stays in L1 while the
    /// chunk's B micro-panels stream past it, as in BLIS.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Compute(float[] c, int cOff, int ldc, int ic, int r1,
        int jc, int nc, int kc, bool add, float[] aPack, int aBase, float[] bPack, int bBase)
    {
        int mr = TK.MR, nr = TK.NR;
        int mc = r1 - ic;
        int chunk = Math.Max(nr, BChunkFloats / kc / nr * nr);
        for (int j0 = 0; j0 < nc; j0 += chunk)
        {
            int j1 = Math.Min(nc, j0 + chunk);
            for (int ir = 0; ir < mc; ir += mr)
                for (int jr = j0; jr < j1; jr += nr)
                    Tile(c, cOff + (ic + ir) * ldc + jc + jr, ldc, Math.Min(mr, mc - ir), Math.Min(nr, nc - jr), kc, add,
                        ref aPack[aBase + ir / mr * kc * mr], ref bPack[bBase + jr / nr * kc * nr]);
        }
    }

    /// <summary>One tile of C, <paramref name="rows"/> x <paramref name="cols"/> at <paramref name="ci"/>; an edge tile is computed whole aside and only its part inside C kept.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(float[] c, int ci, int ldc, int rows, int cols, int kc, bool add, ref float ap, ref float bp)
    {
        if (rows == TK.MR && cols == TK.NR)
        {
            TK.Run(kc, ref ap, ref bp, ref c[ci], ldc, add);
            return;
        }
        EdgeTile(c, ci, ldc, rows, cols, kc, add, ref ap, ref bp);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void EdgeTile(float[] c, int ci, int ldc, int rows, int cols, int kc, bool add, ref float ap, ref float bp)
    {
        Span<float> tile = stackalloc float[TK.MR * TK.NR];
        TK.Run(kc, ref ap, ref bp, ref tile[0], TK.NR, false);
        for (int i = 0; i < rows; i++)
        {
            var src = tile.Slice(i * TK.NR, cols);
            var dst = c.AsSpan(ci + i * ldc, cols);
            if (add) System.Numerics.Tensors.TensorPrimitives.Add(dst, src, dst);
            else src.CopyTo(dst);
        }
    }

    /// <summary>Packs A[i0 .. i0+mc, p0 .. p0+kc] as MR-tall micro-panels, <c>[panel][p * MR + r]</c>, zero-padding the last.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(MatrixRef<float> a, int i0, int p0, int mc, int kc, float[] dst, int dBase)
    {
        int mr = TK.MR;
        var src = a.Data;
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            int d0 = dBase + ir / mr * kc * mr;
            int s0 = a.Offset + (i0 + ir) * a.RowStride + p0 * a.ColStride;
            if (a.ColStride == 1)
                Transpose(ref src[s0], a.RowStride, rows, kc, ref dst[d0], mr);
            else if (a.RowStride == 1)
            {
                for (int p = 0; p < kc; p++) src.AsSpan(s0 + p * a.ColStride, rows).CopyTo(dst.AsSpan(d0 + p * mr, rows));
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    int s = s0 + p * a.ColStride;
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
    private static void PackB(MatrixRef<float> b, int p0, int j0, int kc, int nc, int q0, int q1, float[] dst, int dBase)
    {
        int nr = TK.NR;
        var src = b.Data;
        if (b.ColStride == 1)
        {
            // Whole panels go row by row, so each row of B is read as one run; panel by panel, every read of NR
            // floats jumped a row, a page apart for wide B, and packing took half as long again.
            int whole = Math.Min(q1, nc / nr);
            if (whole > q0)
            {
                // Both ranges were checked by these spans; the copies inside them are of NR floats, a constant.
                var from = src.AsSpan(b.Offset + p0 * b.RowStride + j0 + q0 * nr, (kc - 1) * b.RowStride + (whole - q0) * nr);
                var to = dst.AsSpan(dBase + q0 * kc * nr, (whole - q0) * kc * nr);
                for (int p = 0; p < kc; p++)
                {
                    ref byte s = ref Unsafe.As<float, byte>(ref Unsafe.Add(ref MemoryMarshal.GetReference(from), p * b.RowStride));
                    ref byte d = ref Unsafe.As<float, byte>(ref Unsafe.Add(ref MemoryMarshal.GetReference(to), p * nr));
                    for (int q = 0; q < whole - q0; q++)
                        Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref d, q * kc * nr * sizeof(float)), ref Unsafe.Add(ref s, q * nr * sizeof(float)), (uint)(nr * sizeof(float)));
                }
            }
            q0 = Math.Max(q0, whole);
        }
        for (int q = q0; q < q1; q++)
        {
            int jr = q * nr;
            int cols = Math.Min(nr, nc - jr);
            int d0 = dBase + q * kc * nr;
            int s0 = b.Offset + p0 * b.RowStride + (j0 + jr) * b.ColStride;
            if (b.ColStride == 1)
            {
                for (int p = 0; p < kc; p++) src.AsSpan(s0 + p * b.RowStride, cols).CopyTo(dst.AsSpan(d0 + p * nr, cols));
            }
            else if (b.RowStride == 1)
                Transpose(ref src[s0], b.ColStride, cols, kc, ref dst[d0], nr);
            else
            {
                for (int j = 0; j < cols; j++)
                {
                    int s = s0 + j * b.ColStride;
                    ref float d = ref dst[d0 + j];
                    for (int p = 0; p < kc; p++) Unsafe.Add(ref d, p * nr) = src[s + p * b.RowStride];
                }
            }
            if (cols < nr)
                for (int p = 0; p < kc; p++) dst.AsSpan(d0 + p * nr + cols, nr - cols).Clear();
        }
    }

    /// <summary>
    /// <c>dst[p * width + r] = src[r * ld + p]</c> for <paramref name="count"/> rows of <paramref name="len"/>
    /// contiguous floats (the callers have checked both ranges): 4 x 4 blocks go through SSE shuffles, the rest one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(ref float src, int ld, int count, int len, ref float dst, int width)
    {
        int r = 0;
        if (Sse.IsSupported)
        {
            for (; r + 4 <= count; r += 4)
            {
                ref float s = ref Unsafe.Add(ref src, (nint)r * ld);
                ref float d = ref Unsafe.Add(ref dst, r);
                int p = 0;
                for (; p + 4 <= len; p += 4)
                {
                    var x0 = Vector128.LoadUnsafe(ref s, (nuint)p);
                    var x1 = Vector128.LoadUnsafe(ref s, (nuint)(ld + p));
                    var x2 = Vector128.LoadUnsafe(ref s, (nuint)(2 * ld + p));
                    var x3 = Vector128.LoadUnsafe(ref s, (nuint)(3 * ld + p));
                    var t0 = Sse.UnpackLow(x0, x1);
                    var t1 = Sse.UnpackLow(x2, x3);
                    var t2 = Sse.UnpackHigh(x0, x1);
                    var t3 = Sse.UnpackHigh(x2, x3);
                    Sse.MoveLowToHigh(t0, t1).StoreUnsafe(ref d, (nuint)(p * width));
                    Sse.MoveHighToLow(t1, t0).StoreUnsafe(ref d, (nuint)((p + 1) * width));
                    Sse.MoveLowToHigh(t2, t3).StoreUnsafe(ref d, (nuint)((p + 2) * width));
                    Sse.MoveHighToLow(t3, t2).StoreUnsafe(ref d, (nuint)((p + 3) * width));
                }
                for (; p < len; p++)
                    for (int i = 0; i < 4; i++)
                        Unsafe.Add(ref d, (nint)p * width + i) = Unsafe.Add(ref s, (nint)i * ld + p);
            }
        }
        for (; r < count; r++)
        {
            ref float s = ref Unsafe.Add(ref src, (nint)r * ld);
            ref float d = ref Unsafe.Add(ref dst, r);
            for (int p = 0; p < len; p++) Unsafe.Add(ref d, (nint)p * width) = Unsafe.Add(ref s, p);
        }
    }
}
