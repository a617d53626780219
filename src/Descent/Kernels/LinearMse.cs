using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
        if (chunks > 1 && Environment.ProcessorCount > 1) Parallel.For(0, chunks, Chunk);
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Rows(float[] x, int xOff, int d, float[] w, int wOff, float[]? b, float[] y, int yOff, int k, int r0, int r1,
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
