using System.Numerics.Tensors;

namespace Descent;

/// <summary>
/// The QR path of <see cref="Linalg.Lstsq"/> for very tall A (docs/notes/lstsq.md): each chunk of rows is reduced by
/// an unpivoted Householder QR to its n x n triangle and the leading n rows of Qᵀ B, on all cores, and the pivoted QR
/// then runs on the stacked triangles. The chunks' reflections are orthogonal, so the stack has A's column norms and
/// A's least-squares problem: in exact arithmetic the pivoted R, the rank and the (minimum-norm) solution are the ones
/// the pivoted QR of A gives, at a fraction of its cost and memory.
/// </summary>
internal static class TallQr
{
    private const int ChunkRows = 4096;

    /// <summary>Whether <see cref="Linalg.SolveQr"/> reduces A chunk by chunk first: many chunks, each much taller than wide.</summary>
    public static bool Applies(int m, int n) => n <= 256 && m >= 4 * ChunkRows;

    public static (double[] Solution, double[]? Residuals, int Rank) Solve(Tensor a, Tensor b, int m, int n, int k, double rcond)
    {
        a = a.Contiguous();
        b = b.Contiguous();
        int chunks = (m + ChunkRows - 1) / ChunkRows;
        var stackA = new double[chunks * n * n];
        var stackB = new double[chunks * n * k];
        var tails = new double[chunks * k];
        void Chunk(int c)
        {
            int r0 = c * ChunkRows, rows = Math.Min(ChunkRows, m - r0);
            var qa = new double[rows * n];
            var qb = new double[rows * k];
            Widen(a, r0 * n, rows * n, qa);
            Widen(b, r0 * k, rows * k, qb);
            if (rows <= n)
            {
                qa.CopyTo(stackA, c * n * n);
                qb.CopyTo(stackB, c * n * k);
                return;
            }
            var work = new double[Math.Max(n, k)];
            for (int j = 0; j < n; j++) Linalg.Reflect(qa, rows, n, j, qa, n, j + 1, qb, k, work);
            for (int i = 0; i < n; i++)
                for (int j = i; j < n; j++) stackA[c * n * n + i * n + j] = qa[i * n + j];
            Array.Copy(qb, 0, stackB, c * n * k, n * k);
            for (int i = n; i < rows; i++)
                for (int q = 0; q < k; q++) tails[c * k + q] += qb[i * k + q] * qb[i * k + q];
        }
        if ((long)m * n < Kernels.Strided.ParallelThreshold || Environment.ProcessorCount == 1)
            for (int c = 0; c < chunks; c++) Chunk(c);
        else
            Kernels.WorkerPool.For(chunks, Chunk);

        var (x, stackResiduals, rank) = Linalg.Solve(stackA, stackB, chunks * n, n, k, rcond);
        if (rank < n || m <= n) return (x, null, rank);
        var residuals = new double[k];
        for (int c = 0; c < chunks; c++)
            for (int q = 0; q < k; q++) residuals[q] += tails[c * k + q];
        if (stackResiduals is not null)
            for (int q = 0; q < k; q++) residuals[q] += stackResiduals[q];
        return (x, residuals, rank);
    }

    private static void Widen(Tensor t, int offset, int count, double[] dst)
    {
        if (t.DType == DType.Float32) TensorPrimitives.ConvertTruncating<float, double>(t.Data<float>().AsSpan(t.Offset + offset, count), dst);
        else t.Data<double>().AsSpan(t.Offset + offset, count).CopyTo(dst);
    }
}
