using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Descent.Kernels;

/// <summary>
/// The sums behind a linear model's squared error, in one pass over X: with <c>e = X @ Wᵀ + b - Y</c> (X n x d,
/// W k x d, Y n x k, all contiguous), returns <c>Σ e²</c> and, when asked, <c>Σ_i e_ik x_i</c> (k x d) and
/// <c>Σ_i e_ik</c> (k) — the weight and bias gradients up to the loss's scale. Rows go in blocks of
/// <see cref="Block"/>: the block's predictions are row dots, then the block, still in cache, is read again for the
/// gradient sums; X leaves memory once. Sums are float within a block and double across blocks, so 10^7 rows stay
/// accurate, and large inputs are cut into a fixed number of chunks combined in order, so the result does not
/// depend on which thread ran which chunk.
/// </summary>
internal static class LinearMse
{
    private const int Block = 256;
    private const int MaxChunks = 64;
    private const long ParallelElements = 1 << 18;

    public static double Run(float[] x, int xOff, int n, int d, float[] w, int wOff, float[]? b, float[] y, int yOff, int k,
        double[]? gw, double[]? gb)
    {
        int blocks = (n + Block - 1) / Block;
        // The chunks depend on the shape alone, so the sums come out the same on any number of cores.
        int chunks = (long)n * d >= ParallelElements ? Math.Min(MaxChunks, blocks) : 1;
        int blocksPer = (blocks + chunks - 1) / chunks;
        chunks = blocks == 0 ? 0 : (blocks + blocksPer - 1) / blocksPer;
        var loss = new double[Math.Max(chunks, 1)];
        double[]? gwParts = gw is null ? null : new double[Math.Max(chunks, 1) * k * d];
        double[]? gbParts = gb is null ? null : new double[Math.Max(chunks, 1) * k];
        void Chunk(int c)
        {
            int r0 = c * blocksPer * Block, r1 = Math.Min(n, r0 + blocksPer * Block);
            loss[c] = Rows(x, xOff, d, w, wOff, b, y, yOff, k, r0, r1,
                gwParts is null ? default : gwParts.AsSpan(c * k * d, k * d), gbParts is null ? default : gbParts.AsSpan(c * k, k));
        }
        if (chunks > 1 && Environment.ProcessorCount > 1) WorkerPool.For(chunks, Chunk);
        else
            for (int c = 0; c < chunks; c++) Chunk(c);
        double total = 0;
        for (int c = 0; c < chunks; c++)
        {
            total += loss[c];
            if (gwParts is not null)
                for (int i = 0; i < k * d; i++) gw![i] += gwParts[c * k * d + i];
            if (gbParts is not null)
                for (int i = 0; i < k; i++) gb![i] += gbParts[c * k + i];
        }
        return total;
    }

    private static double Rows(float[] x, int xOff, int d, float[] w, int wOff, float[]? b, float[] y, int yOff, int k, int r0, int r1,
        Span<double> gw, Span<double> gb)
    {
        if (k <= 2 && r1 > r0 && (long)xOff + (long)r1 * d <= x.Length && (long)yOff + (long)r1 * k <= y.Length && wOff + k * d <= w.Length)
        {
            if (d > SmallD && d <= 16 && Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Avx2.IsSupported)
                return MidRows(x, xOff, d, w, wOff, b, y, yOff, k, r0, r1, gw, gb);
            if (d <= SmallD && Vector256.IsHardwareAccelerated && Avx2.IsSupported) return SmallRows(x, xOff, d, w, wOff, b, y, yOff, k, r0, r1, gw, gb);
            if (Vector512.IsHardwareAccelerated && d % 16 == 0 && d is >= 32 and <= 64) return WideRows(x, xOff, d, w, wOff, b, y, yOff, k, r0, r1, gw, gb);
        }
        return BlockRows(x, xOff, d, w, wOff, b, y, yOff, k, r0, r1, gw, gb);
    }

    /// <summary>Up to this many features a row fits one 256-bit vector.</summary>
    private const int SmallD = 8;

    /// <summary>
    /// One or two outputs over at most <see cref="SmallD"/> features, eight rows at a time in one pass: each row is
    /// one 256-bit load with the lanes past the row cleared, the eight rows' dots come out of one horizontal-add tree,
    /// and the block's gradient sums stay in registers. The rows left over in a block (fewer than eight) and those
    /// whose load would pass the end of X take scalar steps.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe double SmallRows(float[] x, int xOff, int d, float[] w, int wOff, float[]? b, float[] y, int yOff, int k, int r0, int r1,
        Span<double> gw, Span<double> gb)
    {
        bool grads = !gw.IsEmpty, two = k == 2;
        float b0 = b is null ? 0f : b[0], b1 = b is null || !two ? 0f : b[1];
        var lanes = stackalloc float[2 * 8];
        for (int p = 0; p < 2 * 8; p++) lanes[p] = 0;
        for (int p = 0; p < d; p++)
        {
            lanes[p] = w[wOff + p];
            if (two) lanes[8 + p] = w[wOff + d + p];
        }
        var wa = Vector256.Load(lanes);
        var wb = Vector256.Load(lanes + 8);
        // The lanes past the row are cleared, so that what follows it (the next row, or other data of a view's
        // storage, NaN included) adds exactly nothing.
        var keep = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(d)).AsSingle();
        // The last row whose 8-float load stays inside X.
        long vectorEnd = RowVectors.VectorRowsEnd(x.Length, xOff, 8, d, r1);
        double loss = 0;
        fixed (float* px = x)
        fixed (float* py = y)
        {
            for (int i0 = r0; i0 < r1; i0 += Block)
            {
                int end = Math.Min(r1, i0 + Block), vend = (int)Math.Clamp(vectorEnd, i0, end);
                Vector256<float> ga = default, gb2 = default;
                int i = i0;
                // Eight rows at a time: their dots in one horizontal-add tree, their residuals, squares and sums
                // as vectors, so no chain of scalar adds runs from row to row.
                Vector256<float> sqv = default, sv0 = default, sv1 = default;
                var vb0 = Vector256.Create(b0);
                var vb1 = Vector256.Create(b1);
                for (; i + 8 <= vend; i += 8)
                {
                    float* xr = px + xOff + (long)i * d;
                    var x0 = Vector256.Load(xr) & keep;
                    var x1 = Vector256.Load(xr + d) & keep;
                    var x2 = Vector256.Load(xr + 2 * d) & keep;
                    var x3 = Vector256.Load(xr + 3 * d) & keep;
                    var x4 = Vector256.Load(xr + 4 * d) & keep;
                    var x5 = Vector256.Load(xr + 5 * d) & keep;
                    var x6 = Vector256.Load(xr + 6 * d) & keep;
                    var x7 = Vector256.Load(xr + 7 * d) & keep;
                    Vector256<float> ya, yb = default;
                    float* yr = py + yOff + (long)i * k;
                    if (!two) ya = Vector256.Load(yr);
                    else (ya, yb) = Deinterleave(Vector256.Load(yr), Vector256.Load(yr + 8));
                    var ea = RowVectors.Sum8(x0 * wa, x1 * wa, x2 * wa, x3 * wa, x4 * wa, x5 * wa, x6 * wa, x7 * wa) + (vb0 - ya);
                    sqv = Vector256.FusedMultiplyAdd(ea, ea, sqv);
                    sv0 += ea;
                    if (grads) ga = AddRows(ga, ea, x0, x1, x2, x3, x4, x5, x6, x7);
                    if (!two) continue;
                    var eb = RowVectors.Sum8(x0 * wb, x1 * wb, x2 * wb, x3 * wb, x4 * wb, x5 * wb, x6 * wb, x7 * wb) + (vb1 - yb);
                    sqv = Vector256.FusedMultiplyAdd(eb, eb, sqv);
                    sv1 += eb;
                    if (grads) gb2 = AddRows(gb2, eb, x0, x1, x2, x3, x4, x5, x6, x7);
                }
                float sq = Vector256.Sum(sqv), s0 = Vector256.Sum(sv0), s1 = Vector256.Sum(sv1);
                ga.Store(lanes);
                gb2.Store(lanes + 8);
                ScalarRows(px + xOff, py + yOff, d, w, wOff, b0, b1, k, i, end, lanes, 8, ref sq, ref s0, ref s1);
                loss += sq;
                AddBlock(gw, gb, lanes, 8, d, two, s0, s1);
            }
        }
        return loss;
    }

    /// <summary>
    /// Rows <paramref name="i0"/>..<paramref name="i1"/> in scalar steps (the few left over after a block's groups of
    /// eight, and those whose vector load would pass the end of X), adding to the block's sums; the gradient sums go to <c>lanes[p]</c> and <c>lanes[stride + p]</c>.
    /// </summary>
    private static unsafe void ScalarRows(float* x, float* y, int d, float[] w, int wOff, float b0, float b1, int k, int i0, int i1,
        float* lanes, int stride, ref float sq, ref float s0, ref float s1)
    {
        bool two = k == 2;
        for (int i = i0; i < i1; i++)
        {
            float* xi = x + (long)i * d;
            float* yi = y + (long)i * k;
            float e0 = 0, e1 = 0;
            for (int p = 0; p < d; p++)
            {
                e0 = MathF.FusedMultiplyAdd(xi[p], w[wOff + p], e0);
                if (two) e1 = MathF.FusedMultiplyAdd(xi[p], w[wOff + d + p], e1);
            }
            e0 += b0 - yi[0];
            sq = MathF.FusedMultiplyAdd(e0, e0, sq);
            s0 += e0;
            if (two)
            {
                e1 += b1 - yi[1];
                sq = MathF.FusedMultiplyAdd(e1, e1, sq);
                s1 += e1;
            }
            for (int p = 0; p < d; p++)
            {
                lanes[p] = MathF.FusedMultiplyAdd(e0, xi[p], lanes[p]);
                if (two) lanes[stride + p] = MathF.FusedMultiplyAdd(e1, xi[p], lanes[stride + p]);
            }
        }
    }

    /// <summary>
    /// One or two outputs over 9 to 16 features: <see cref="SmallRows"/> with one 512-bit load per row, each row's
    /// products folded to 256 bits before the eight rows' horizontal-add tree.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe double MidRows(float[] x, int xOff, int d, float[] w, int wOff, float[]? b, float[] y, int yOff, int k, int r0, int r1,
        Span<double> gw, Span<double> gb)
    {
        bool grads = !gw.IsEmpty, two = k == 2;
        float b0 = b is null ? 0f : b[0], b1 = b is null || !two ? 0f : b[1];
        var lanes = stackalloc float[2 * 16];
        for (int p = 0; p < 2 * 16; p++) lanes[p] = 0;
        for (int p = 0; p < d; p++)
        {
            lanes[p] = w[wOff + p];
            if (two) lanes[16 + p] = w[wOff + d + p];
        }
        var wa = Vector512.Load(lanes);
        var wb = Vector512.Load(lanes + 16);
        var keep = Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(d)).AsSingle();
        long vectorEnd = RowVectors.VectorRowsEnd(x.Length, xOff, 16, d, r1);
        double loss = 0;
        fixed (float* px = x)
        fixed (float* py = y)
        {
            for (int i0 = r0; i0 < r1; i0 += Block)
            {
                int end = Math.Min(r1, i0 + Block), vend = (int)Math.Clamp(vectorEnd, i0, end);
                Vector512<float> ga = default, gb2 = default;
                Vector256<float> sqv = default, sv0 = default, sv1 = default;
                var vb0 = Vector256.Create(b0);
                var vb1 = Vector256.Create(b1);
                int i = i0;
                for (; i + 8 <= vend; i += 8)
                {
                    float* xr = px + xOff + (long)i * d;
                    var x0 = Vector512.Load(xr) & keep;
                    var x1 = Vector512.Load(xr + d) & keep;
                    var x2 = Vector512.Load(xr + 2 * d) & keep;
                    var x3 = Vector512.Load(xr + 3 * d) & keep;
                    var x4 = Vector512.Load(xr + 4 * d) & keep;
                    var x5 = Vector512.Load(xr + 5 * d) & keep;
                    var x6 = Vector512.Load(xr + 6 * d) & keep;
                    var x7 = Vector512.Load(xr + 7 * d) & keep;
                    Vector256<float> ya, yb = default;
                    float* yr = py + yOff + (long)i * k;
                    if (!two) ya = Vector256.Load(yr);
                    else (ya, yb) = Deinterleave(Vector256.Load(yr), Vector256.Load(yr + 8));
                    var ea = RowVectors.Sum8(Fold(x0 * wa), Fold(x1 * wa), Fold(x2 * wa), Fold(x3 * wa), Fold(x4 * wa), Fold(x5 * wa), Fold(x6 * wa), Fold(x7 * wa)) + (vb0 - ya);
                    sqv = Vector256.FusedMultiplyAdd(ea, ea, sqv);
                    sv0 += ea;
                    if (grads) ga = AddRows(ga, ea, x0, x1, x2, x3, x4, x5, x6, x7);
                    if (!two) continue;
                    var eb = RowVectors.Sum8(Fold(x0 * wb), Fold(x1 * wb), Fold(x2 * wb), Fold(x3 * wb), Fold(x4 * wb), Fold(x5 * wb), Fold(x6 * wb), Fold(x7 * wb)) + (vb1 - yb);
                    sqv = Vector256.FusedMultiplyAdd(eb, eb, sqv);
                    sv1 += eb;
                    if (grads) gb2 = AddRows(gb2, eb, x0, x1, x2, x3, x4, x5, x6, x7);
                }
                float sq = Vector256.Sum(sqv), s0 = Vector256.Sum(sv0), s1 = Vector256.Sum(sv1);
                ga.Store(lanes);
                gb2.Store(lanes + 16);
                ScalarRows(px + xOff, py + yOff, d, w, wOff, b0, b1, k, i, end, lanes, 16, ref sq, ref s0, ref s1);
                loss += sq;
                AddBlock(gw, gb, lanes, 16, d, two, s0, s1);
            }
        }
        return loss;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fold(Vector512<float> v) => v.GetLower() + v.GetUpper();

    /// <summary><c>acc + Σ_r e[r] x_r</c> over eight rows of 512 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> AddRows(Vector512<float> acc, Vector256<float> e, Vector512<float> x0, Vector512<float> x1,
        Vector512<float> x2, Vector512<float> x3, Vector512<float> x4, Vector512<float> x5, Vector512<float> x6, Vector512<float> x7)
    {
        var e5 = e.ToVector512Unsafe();
        var a = Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32(e5, Vector512.Create(0)), x0, acc);
        var b = Avx512F.PermuteVar16x32(e5, Vector512.Create(1)) * x1;
        a = Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32(e5, Vector512.Create(2)), x2, a);
        b = Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32(e5, Vector512.Create(3)), x3, b);
        a = Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32(e5, Vector512.Create(4)), x4, a);
        b = Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32(e5, Vector512.Create(5)), x5, b);
        a = Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32(e5, Vector512.Create(6)), x6, a);
        b = Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32(e5, Vector512.Create(7)), x7, b);
        return a + b;
    }

    /// <summary><c>acc + Σ_r e[r] x_r</c> over eight rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> AddRows(Vector256<float> acc, Vector256<float> e, Vector256<float> x0, Vector256<float> x1,
        Vector256<float> x2, Vector256<float> x3, Vector256<float> x4, Vector256<float> x5, Vector256<float> x6, Vector256<float> x7)
    {
        var a = Vector256.FusedMultiplyAdd(Avx2.PermuteVar8x32(e, Vector256.Create(0)), x0, acc);
        var b = Avx2.PermuteVar8x32(e, Vector256.Create(1)) * x1;
        a = Vector256.FusedMultiplyAdd(Avx2.PermuteVar8x32(e, Vector256.Create(2)), x2, a);
        b = Vector256.FusedMultiplyAdd(Avx2.PermuteVar8x32(e, Vector256.Create(3)), x3, b);
        a = Vector256.FusedMultiplyAdd(Avx2.PermuteVar8x32(e, Vector256.Create(4)), x4, a);
        b = Vector256.FusedMultiplyAdd(Avx2.PermuteVar8x32(e, Vector256.Create(5)), x5, b);
        a = Vector256.FusedMultiplyAdd(Avx2.PermuteVar8x32(e, Vector256.Create(6)), x6, a);
        b = Vector256.FusedMultiplyAdd(Avx2.PermuteVar8x32(e, Vector256.Create(7)), x7, b);
        return a + b;
    }

    /// <summary>Eight rows of two targets, <c>[a0 b0 a1 b1 ...]</c>, split into the a's and the b's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> A, Vector256<float> B) Deinterleave(Vector256<float> lo, Vector256<float> hi)
    {
        // Within each 128-bit lane the shuffle takes a0 a1 a4 a5 | a2 a3 a6 a7; the 64-bit permute puts them in order.
        var a = Avx.Shuffle(lo, hi, 0b10_00_10_00).AsDouble();
        var b = Avx.Shuffle(lo, hi, 0b11_01_11_01).AsDouble();
        return (Avx2.Permute4x64(a, 0b11_01_10_00).AsSingle(), Avx2.Permute4x64(b, 0b11_01_10_00).AsSingle());
    }

    /// <summary>
    /// One or two outputs over 32, 48 or 64 features, row by row in one pass with 512-bit vectors: the weights and
    /// the block's gradient sums stay in registers, each row is loaded once, dotted, and multiplied back in. (At 16
    /// features the horizontal sum per row costs more than the block path's second read from cache.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe double WideRows(float[] x, int xOff, int d, float[] w, int wOff, float[]? b, float[] y, int yOff, int k, int r0, int r1,
        Span<double> gw, Span<double> gb)
    {
        int v = d / 16;
        bool grads = !gw.IsEmpty, two = k == 2;
        float b0 = b is null ? 0f : b[0], b1 = b is null || !two ? 0f : b[1];
        var lanes = stackalloc float[2 * 64];
        double loss = 0;
        fixed (float* px = x)
        fixed (float* pw = w)
        fixed (float* py = y)
        {
            float* w0 = pw + wOff, w1 = w0 + d;
            // d is 32, 48 or 64: two to four vectors. Unused vectors stay zero and are never loaded from X.
            var wa0 = Vector512.Load(w0);
            var wa1 = Vector512.Load(w0 + 16);
            var wa2 = v > 2 ? Vector512.Load(w0 + 32) : default;
            var wa3 = v > 3 ? Vector512.Load(w0 + 48) : default;
            var wb0 = two ? Vector512.Load(w1) : default;
            var wb1 = two ? Vector512.Load(w1 + 16) : default;
            var wb2 = two && v > 2 ? Vector512.Load(w1 + 32) : default;
            var wb3 = two && v > 3 ? Vector512.Load(w1 + 48) : default;
            for (int i0 = r0; i0 < r1; i0 += Block)
            {
                int end = Math.Min(r1, i0 + Block);
                float sq = 0, s0 = 0, s1 = 0;
                Vector512<float> ga0 = default, ga1 = default, ga2 = default, ga3 = default;
                Vector512<float> gb0 = default, gb1 = default, gb2 = default, gb3 = default;
                for (int i = i0; i < end; i++)
                {
                    float* xi = px + xOff + (long)i * d;
                    float* yi = py + yOff + (long)i * k;
                    var x0 = Vector512.Load(xi);
                    var x1 = Vector512.Load(xi + 16);
                    var x2 = v > 2 ? Vector512.Load(xi + 32) : default;
                    var x3 = v > 3 ? Vector512.Load(xi + 48) : default;
                    var da = Vector512.FusedMultiplyAdd(x1, wa1, x0 * wa0) + Vector512.FusedMultiplyAdd(x3, wa3, x2 * wa2);
                    float e0 = Vector512.Sum(da) + (b0 - yi[0]);
                    sq = MathF.FusedMultiplyAdd(e0, e0, sq);
                    s0 += e0;
                    float e1 = 0;
                    if (two)
                    {
                        var db = Vector512.FusedMultiplyAdd(x1, wb1, x0 * wb0) + Vector512.FusedMultiplyAdd(x3, wb3, x2 * wb2);
                        e1 = Vector512.Sum(db) + (b1 - yi[1]);
                        sq = MathF.FusedMultiplyAdd(e1, e1, sq);
                        s1 += e1;
                    }
                    if (!grads) continue;
                    var ve0 = Vector512.Create(e0);
                    ga0 = Vector512.FusedMultiplyAdd(ve0, x0, ga0);
                    ga1 = Vector512.FusedMultiplyAdd(ve0, x1, ga1);
                    ga2 = Vector512.FusedMultiplyAdd(ve0, x2, ga2);
                    ga3 = Vector512.FusedMultiplyAdd(ve0, x3, ga3);
                    if (two)
                    {
                        var ve1 = Vector512.Create(e1);
                        gb0 = Vector512.FusedMultiplyAdd(ve1, x0, gb0);
                        gb1 = Vector512.FusedMultiplyAdd(ve1, x1, gb1);
                        gb2 = Vector512.FusedMultiplyAdd(ve1, x2, gb2);
                        gb3 = Vector512.FusedMultiplyAdd(ve1, x3, gb3);
                    }
                }
                loss += sq;
                ga0.Store(lanes);
                ga1.Store(lanes + 16);
                ga2.Store(lanes + 32);
                ga3.Store(lanes + 48);
                gb0.Store(lanes + 64);
                gb1.Store(lanes + 80);
                gb2.Store(lanes + 96);
                gb3.Store(lanes + 112);
                AddBlock(gw, gb, lanes, 64, d, two, s0, s1);
            }
        }
        return loss;
    }

    /// <summary>
    /// Adds a block's residual sums to <paramref name="gb"/> and its gradient sums, <c>lanes[p]</c> for the first
    /// output and <c>lanes[stride + p]</c> for the second, to <paramref name="gw"/> (either may be empty: not wanted).
    /// </summary>
    private static unsafe void AddBlock(Span<double> gw, Span<double> gb, float* lanes, int stride, int d, bool two, float s0, float s1)
    {
        if (!gb.IsEmpty)
        {
            gb[0] += s0;
            if (two) gb[1] += s1;
        }
        if (gw.IsEmpty) return;
        for (int p = 0; p < d; p++)
        {
            gw[p] += lanes[p];
            if (two) gw[d + p] += lanes[stride + p];
        }
    }

    /// <summary>The general case: the block's row dots, then its gradient sums, with the block still in cache.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double BlockRows(float[] x, int xOff, int d, float[] w, int wOff, float[]? b, float[] y, int yOff, int k, int r0, int r1,
        Span<double> gw, Span<double> gb)
    {
        var e = new float[Block * k];
        var colSums = new float[k];
        float[]? biasLanes = null;
        if (Vector.IsHardwareAccelerated && Vector<float>.Count % k == 0)
        {
            biasLanes = new float[Vector<float>.Count];
            for (int l = 0; l < biasLanes.Length; l++) biasLanes[l] = b is null ? 0f : b[l % k];
        }
        // Few features and outputs: the weight-gradient kernel's own loop, accumulators in registers ([p * k + j]);
        // otherwise row-by-row multiply-adds into a float block sum.
        bool fits = d <= GemmOuterSum.MaxM && k <= GemmOuterSum.MaxN;
        var outerSum = !gw.IsEmpty && fits ? new double[d * k] : null;
        var acc = !gw.IsEmpty && !fits ? new float[k * d] : null;
        var wt = new MatrixRef<float>(w, wOff, 1, d);
        double loss = 0;
        for (int i0 = r0; i0 < r1; i0 += Block)
        {
            int rows = Math.Min(Block, r1 - i0);
            GemmRowDots.Run(new MatrixRef<float>(x, xOff + i0 * d, d, 1), wt, e, 0, rows, d, k, threads: 1);
            float sq = 0;
            ref float yb = ref y[yOff + i0 * k];
            ref float e0 = ref e[0];
            Array.Clear(colSums);
            int t = 0, count = rows * k;
            if (biasLanes is not null && count >= Vector<float>.Count)
            {
                // The residuals as one flat run: k divides the vector width, so every vector holds whole rows and
                // the same bias lanes; the lanes keep separate running sums instead of one chain of dependent adds.
                Vector<float> vb = new(biasLanes), vsq = default, vsum = default;
                for (; t <= count - Vector<float>.Count; t += Vector<float>.Count)
                {
                    var v = Vector.LoadUnsafe(ref e0, (nuint)t) + vb - Vector.LoadUnsafe(ref yb, (nuint)t);
                    v.StoreUnsafe(ref e0, (nuint)t);
                    vsq += v * v;
                    vsum += v;
                }
                sq = Vector.Sum(vsq);
                for (int l = 0; l < Vector<float>.Count; l++) colSums[l % k] += vsum[l];
            }
            // What the vectors left: whole rows, as the vector width is a multiple of k.
            for (int i = t / k; i < rows; i++)
                for (int j = 0; j < k; j++)
                {
                    ref float ei = ref Unsafe.Add(ref e0, i * k + j);
                    float v = ei + (b is null ? 0f : b[j]) - Unsafe.Add(ref yb, i * k + j);
                    ei = v;
                    sq += v * v;
                    colSums[j] += v;
                }
            if (!gb.IsEmpty)
                for (int j = 0; j < k; j++) gb[j] += colSums[j];
            loss += sq;
            if (outerSum is not null)
                GemmOuterSum.Range(new MatrixRef<float>(x, xOff + i0 * d, 1, d), new MatrixRef<float>(e, 0, k, 1), d, k, 0, rows, outerSum);
            if (acc is null) continue;
            Array.Clear(acc);
            ref float xb = ref x[xOff + i0 * d];
            ref float a0 = ref acc[0];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < k; j++)
                    MultiplyAdd(ref Unsafe.Add(ref xb, i * d), e[i * k + j], ref Unsafe.Add(ref a0, j * d), d);
            for (int i = 0; i < k * d; i++) gw[i] += acc[i];
        }
        if (outerSum is not null)
            for (int p = 0; p < d; p++)
                for (int j = 0; j < k; j++) gw[j * d + p] += outerSum[p * k + j];
        return loss;
    }

    /// <summary><c>acc += s * x</c> over one row of <paramref name="d"/> floats; bounds are the caller's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAdd(ref float x, float s, ref float acc, int d)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated && d >= Vector512<float>.Count)
        {
            var vs = Vector512.Create(s);
            for (; i <= d - Vector512<float>.Count; i += Vector512<float>.Count)
                Vector512.StoreUnsafe(Vector512.FusedMultiplyAdd(vs, Vector512.LoadUnsafe(ref x, (nuint)i), Vector512.LoadUnsafe(ref acc, (nuint)i)), ref acc, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated && d - i >= Vector256<float>.Count)
        {
            var vs = Vector256.Create(s);
            for (; i <= d - Vector256<float>.Count; i += Vector256<float>.Count)
                Vector256.StoreUnsafe(Vector256.FusedMultiplyAdd(vs, Vector256.LoadUnsafe(ref x, (nuint)i), Vector256.LoadUnsafe(ref acc, (nuint)i)), ref acc, (nuint)i);
        }
        if (Vector128.IsHardwareAccelerated && d - i >= Vector128<float>.Count)
        {
            var vs = Vector128.Create(s);
            for (; i <= d - Vector128<float>.Count; i += Vector128<float>.Count)
                Vector128.StoreUnsafe(Vector128.FusedMultiplyAdd(vs, Vector128.LoadUnsafe(ref x, (nuint)i), Vector128.LoadUnsafe(ref acc, (nuint)i)), ref acc, (nuint)i);
        }
        for (; i < d; i++) Unsafe.Add(ref acc, i) += s * Unsafe.Add(ref x, i);
    }
}
