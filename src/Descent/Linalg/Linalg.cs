using System.Numerics.Tensors;

namespace Descent;

/// <summary>The result of <see cref="Linalg.Lstsq"/>, PyTorch's <c>torch.return_types.linalg_lstsq</c> without singular values.</summary>
/// <param name="Solution">X minimising ‖A X − B‖ with the smallest norm among all minimisers. Shape: (n, k), or (n) for a 1-D B.</param>
/// <param name="Residuals">The squared residual ‖A X − B‖² of each column of B when A is tall (m &gt; n) and of full rank; otherwise empty. This is what NumPy's <c>lstsq</c> and PyTorch's with the gelsd, gelss or gels drivers return; PyTorch's default CPU driver (gelsy) always returns an empty tensor. Shape: (k), (1) for a 1-D B, or (0).</param>
/// <param name="Rank">The effective rank of A: the number of diagonal entries of the pivoted R above <c>rcond</c> times the largest.</param>
public sealed record LstsqResult(Tensor Solution, Tensor Residuals, long Rank);

/// <summary>Linear algebra (PyTorch's <c>torch.linalg</c>). Computed in float64 whatever the input dtype; results come back in the input dtype.</summary>
public static class Linalg
{
    /// <summary>
    /// The least-squares solution of A X = B (PyTorch's <c>torch.linalg.lstsq</c> with its CPU default driver <c>gelsy</c>),
    /// in float64. When A has full column rank the solution is the unique minimiser; when it is rank-deficient (repeated or
    /// constant columns, fewer rows than columns) it is the minimiser of smallest norm, as NumPy's <c>lstsq</c> returns.
    /// Large tall problems first try the normal equations AᵀA X = AᵀB (one pass over A, a pivoted Cholesky factor and
    /// an iterative-refinement step); they are used only when the factor shows A to be of full rank by the rank rule
    /// below and well enough conditioned for the answer to be as accurate as the QR's. Otherwise, and for small or wide
    /// problems, Householder QR with column pivoting, then a second QR of the pivoted R's leading rows when A is
    /// rank-deficient (a complete orthogonal decomposition). A and B with entries beyond 2^±400 are scaled by powers of
    /// two first, as LAPACK does, so huge and tiny units give the same answer. See docs/notes/lstsq.md.
    /// Shape: A (m, n); B (m, k) or (m); solution (n, k) or (n).
    /// </summary>
    /// <param name="a">The coefficient matrix A, float32 or float64, no autograd.</param>
    /// <param name="b">The right-hand side B with the same dtype and number of rows as A.</param>
    /// <param name="rcond">Diagonal entries of the column-pivoted R at or below <c>rcond · |R₀₀|</c> count as zero when determining the rank. Default: the machine epsilon of float64, the precision the solve runs in, times max(m, n), as in NumPy for float32 input too (PyTorch, which solves float32 in float32, uses float32's epsilon).</param>
    /// <exception cref="ShapeMismatchException">A is not 2-D, B is not 1-D or 2-D, or their row counts differ.</exception>
    /// <exception cref="DTypeMismatchException">A and B differ in dtype or are not floating point.</exception>
    /// <exception cref="ArgumentException">A holds NaN or infinity (as NumPy, which raises; NaN or infinity in B gives NaN in the columns of the solution it belongs to).</exception>
    /// <exception cref="InvalidOperationException">A or B requires grad while gradients are recorded: Lstsq has no backward.</exception>
    public static LstsqResult Lstsq(Tensor a, Tensor b, double? rcond = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Dim != 2) throw new ShapeMismatchException($"Lstsq: A must be 2-D, got shape {Shapes.Format(a.Shape)}");
        if (b.Dim is not (1 or 2)) throw new ShapeMismatchException($"Lstsq: B must be 1-D or 2-D, got shape {Shapes.Format(b.Shape)}");
        if (a.DType != b.DType) throw new DTypeMismatchException($"Lstsq: A and B must have the same dtype, got {a.DType.Name()} and {b.DType.Name()}");
        if (!a.DType.IsFloatingPoint()) throw new DTypeMismatchException($"Lstsq: expected float32 or float64, got {a.DType.Name()}");
        int m = a.Size(0), n = a.Size(1), k = b.Dim == 1 ? 1 : b.Size(1);
        if (b.Size(0) != m) throw new ShapeMismatchException($"Lstsq: A is {m}x{n} but B has {b.Size(0)} rows");
        // The solution has no graph behind it: a gradient through it would silently be missing, so it is refused.
        if (Autograd.GradMode.IsEnabled && (a.RequiresGrad || b.RequiresGrad))
            throw new InvalidOperationException($"Lstsq: {(a.RequiresGrad ? "A" : "B")} requires grad, but Lstsq records no gradient (PyTorch's does); pass {(a.RequiresGrad ? "A" : "B")}.Detach(), or call it inside Tensor.NoGrad()");
        double tol = rcond ?? DefaultRcond(m, n);

        if (UsesNormalEquations(m, n) && NormalEquations.TrySolve(a.Contiguous(), b.Contiguous(), m, n, k, tol) is { } fast)
            return Result(fast.Solution, fast.Residuals, n, a.DType, b.Dim, n, k);
        // One contiguous copy (if any) for the checks, the scaling and the QR below.
        a = a.Contiguous();
        b = b.Contiguous();
        // The normal equations decline non-finite A; the QR would return NaN or, for infinity, a zero solution of rank 0.
        if (FirstNonFinite(a) is { } bad)
            throw new ArgumentException($"Lstsq: A has {(double.IsNaN(bad.Value) ? "nan" : bad.Value > 0 ? "inf" : "-inf")} at row {bad.Index / n}, column {bad.Index % n}; least squares needs finite values in A");
        // Solve A 2^-p X' = B 2^-q, so X = 2^(q-p) X' and the residuals are 2^(2q) times those of the scaled problem.
        int p = ScaleExponent(a), q = ScaleExponent(b);
        if (p != 0) a = a * Math.ScaleB(1.0, -p);
        if (q != 0) b = b * Math.ScaleB(1.0, -q);
        var (solution, residuals, rank) = SolveQr(a, b, m, n, k, tol);
        if (p != 0 || q != 0)
        {
            for (int i = 0; i < solution.Length; i++) solution[i] = Math.ScaleB(solution[i], q - p);
            if (residuals is not null)
                for (int i = 0; i < residuals.Length; i++) residuals[i] = Math.ScaleB(residuals[i], 2 * q);
        }
        return Result(solution, residuals, rank, a.DType, b.Dim, n, k);
    }

    /// <summary>The first NaN or infinity of a contiguous <paramref name="t"/>, with its flat index.</summary>
    private static (int Index, double Value)? FirstNonFinite(Tensor t)
    {
        if (t.DType == DType.Float32)
        {
            var values = t.Span<float>();
            for (int i = 0; i < values.Length; i++)
                if (!float.IsFinite(values[i])) return (i, values[i]);
        }
        else
        {
            var values = t.Span<double>();
            for (int i = 0; i < values.Length; i++)
                if (!double.IsFinite(values[i])) return (i, values[i]);
        }
        return null;
    }

    /// <summary>
    /// 0 when the largest |entry| of <paramref name="t"/> lies within 2^±400, where the QR's sums of squares can neither
    /// overflow nor underflow; otherwise the binary exponent of that entry, to scale it to about 1 by a power of two
    /// (exact), as LAPACK's least-squares drivers scale such inputs. Float32 values are always within range.
    /// </summary>
    internal static int ScaleExponent(Tensor t)
    {
        if (t.DType != DType.Float64 || t.Count == 0) return 0;
        double max = Math.Abs(TensorPrimitives.MaxMagnitude<double>(t.Contiguous().Span<double>()));
        if (!double.IsFinite(max) || max == 0 || Math.ILogB(max) is >= -400 and <= 400) return 0;
        return Math.ILogB(max);
    }

    /// <summary>
    /// The default <c>rcond</c>: float64's machine epsilon times max(m, n), whatever the input dtype, since the solve runs
    /// in float64 (NumPy's choice). Float32's epsilon would call float32 data with an offset rank-deficient, such as
    /// years and a column of ones (2000 ± 10 against 1) with a few hundred rows, and drop a column of a fit that float64
    /// determines well.
    /// </summary>
    internal static double DefaultRcond(int m, int n) => (Math.BitIncrement(1.0) - 1.0) * Math.Max(m, n);

    /// <summary>Whether <see cref="Lstsq"/> tries the normal equations before the QR: tall enough and big enough to pay.</summary>
    internal static bool UsesNormalEquations(int m, int n) => m >= n && n <= MaxNormalEquationsColumns && (long)m * n >= MinNormalEquationsElements;

    /// <summary>Smaller problems take the QR directly: it costs little there, and small tables keep their exact earlier answers.</summary>
    internal const long MinNormalEquationsElements = 1 << 14;

    private const int MaxNormalEquationsColumns = 2048;

    /// <summary>The pivoted QR path alone, on float64 copies of A and B (chunk by chunk first when A is very tall).</summary>
    internal static (double[] Solution, double[]? Residuals, int Rank) SolveQr(Tensor a, Tensor b, int m, int n, int k, double rcond, bool chunked = true)
    {
        if (chunked && TallQr.Applies(m, n)) return TallQr.Solve(a, b, m, n, k, rcond);
        var qr = new double[m * n];
        var rhs = new double[m * k];
        a.To(DType.Float64).Contiguous().Span<double>().CopyTo(qr);
        b.To(DType.Float64).Contiguous().Span<double>().CopyTo(rhs);
        return Solve(qr, rhs, m, n, k, rcond);
    }

    internal static LstsqResult Result(double[] solution, double[]? residuals, long rank, DType dtype, int bDim, int n, int k)
    {
        var x = Tensor.FromSpan<double>(solution, bDim == 1 ? [n] : [n, k]).To(dtype);
        var r = (residuals is null ? Tensor.Zeros([0], DType.Float64) : Tensor.FromSpan<double>(residuals, k)).To(dtype);
        return new LstsqResult(x, r, rank);
    }

    /// <summary>Solves in place on row-major copies: <paramref name="a"/> is m×n, <paramref name="b"/> m×k.</summary>
    internal static (double[] Solution, double[]? Residuals, int Rank) Solve(double[] a, double[] b, int m, int n, int k, double rcond)
    {
        var perm = new int[n];
        for (int j = 0; j < n; j++) perm[j] = j;
        int steps = Math.Min(m, n);
        var work = new double[Math.Max(n, k)];
        for (int j = 0; j < steps; j++)
        {
            // Pivot: the remaining column of largest norm below row j (recomputed, not downdated: n is small here).
            int best = j;
            double bestNorm = -1;
            for (int c = j; c < n; c++)
            {
                double s = 0;
                for (int i = j; i < m; i++) s += a[i * n + c] * a[i * n + c];
                if (s > bestNorm) (bestNorm, best) = (s, c);
            }
            if (best != j)
            {
                for (int i = 0; i < m; i++) (a[i * n + j], a[i * n + best]) = (a[i * n + best], a[i * n + j]);
                (perm[j], perm[best]) = (perm[best], perm[j]);
            }
            Reflect(a, m, n, j, a, n, j + 1, b, k, work);
        }

        int rank = 0;
        double r00 = steps > 0 ? Math.Abs(a[0]) : 0;
        while (rank < steps && Math.Abs(a[rank * n + rank]) > rcond * r00) rank++;

        var z = new double[n * k];
        double[]? residuals = null;
        if (rank == n)
        {
            BackSubstitute(a, n, b, k, z);
            if (m > n)
            {
                residuals = new double[k];
                for (int i = n; i < m; i++)
                    for (int c = 0; c < k; c++) residuals[c] += b[i * k + c] * b[i * k + c];
            }
        }
        else if (rank > 0)
            MinimumNorm(a, n, rank, b, k, z);

        var x = new double[n * k];
        for (int i = 0; i < n; i++)
            Array.Copy(z, i * k, x, perm[i] * k, k);
        return (x, residuals, rank);
    }

    // Householder reflection H = I - beta v vᵀ that zeroes column j of `a` below row j; applies it to the columns
    // from `firstCol` on of the same matrix and to every column of `other`. v is stored below the diagonal of `a`.
    // Returns v0 and beta (beta 0 when the column is already zero), which the stored column alone cannot give back.
    internal static (double V0, double Beta) Reflect(double[] a, int m, int n, int j, double[] same, int sameCols, int firstCol, double[] other, int otherCols, double[] work)
    {
        double norm = 0;
        for (int i = j; i < m; i++) norm += a[i * n + j] * a[i * n + j];
        norm = Math.Sqrt(norm);
        if (norm == 0) return (0, 0);
        double alpha = a[j * n + j] > 0 ? -norm : norm;
        double v0 = a[j * n + j] - alpha;
        a[j * n + j] = alpha;
        // v = (v0, a[j+1..m, j]); beta = 2 / (vᵀv) = -1 / (alpha v0).
        double beta = -1 / (alpha * v0);
        ApplyTo(a, m, n, j, v0, beta, same, sameCols, firstCol, work);
        ApplyTo(a, m, n, j, v0, beta, other, otherCols, 0, work);
        return (v0, beta);
    }

    private static void ApplyTo(double[] a, int m, int n, int j, double v0, double beta, double[] target, int cols, int firstCol, double[] work)
    {
        if (firstCol >= cols) return;
        var dot = work.AsSpan(0, cols);
        dot.Clear();
        for (int c = firstCol; c < cols; c++) dot[c] = v0 * target[j * cols + c];
        for (int i = j + 1; i < m; i++)
        {
            double vi = a[i * n + j];
            for (int c = firstCol; c < cols; c++) dot[c] += vi * target[i * cols + c];
        }
        for (int c = firstCol; c < cols; c++) target[j * cols + c] -= beta * dot[c] * v0;
        for (int i = j + 1; i < m; i++)
        {
            double vi = a[i * n + j];
            for (int c = firstCol; c < cols; c++) target[i * cols + c] -= beta * dot[c] * vi;
        }
    }

    private static void BackSubstitute(double[] r, int n, double[] b, int k, double[] z)
    {
        for (int c = 0; c < k; c++)
            for (int i = n - 1; i >= 0; i--)
            {
                double s = b[i * k + c];
                for (int p = i + 1; p < n; p++) s -= r[i * n + p] * z[p * k + c];
                z[i * k + c] = s / r[i * n + i];
            }
    }

    // The leading `rank` rows of R form T = [R11 R12] (rank x n); every least-squares solution satisfies T z = c with
    // c the leading rows of Qᵀb. The one of least norm lies in the row space of T: factor Tᵀ = Q2 R2, solve
    // R2ᵀ y = c by forward substitution and take z = Q2 [y; 0].
    private static void MinimumNorm(double[] r, int n, int rank, double[] b, int k, double[] z)
    {
        var t = new double[n * rank];
        for (int i = 0; i < rank; i++)
            for (int p = i; p < n; p++) t[p * rank + i] = r[i * n + p];
        var work = new double[Math.Max(rank, k)];
        var none = Array.Empty<double>();
        var reflections = new (double V0, double Beta)[rank];
        for (int j = 0; j < rank; j++) reflections[j] = Reflect(t, n, rank, j, t, rank, j + 1, none, 0, work);

        for (int c = 0; c < k; c++)
            for (int i = 0; i < rank; i++)
            {
                double s = b[i * k + c];
                for (int p = 0; p < i; p++) s -= t[p * rank + i] * z[p * k + c];
                z[i * k + c] = s / t[i * rank + i];
            }
        // Apply Q2 = H0 H1 ... H(rank-1) to [y; 0]: the reflections in reverse order, each stored under t's diagonal.
        for (int j = rank - 1; j >= 0; j--)
            if (reflections[j].Beta != 0) ApplyTo(t, n, rank, j, reflections[j].V0, reflections[j].Beta, z, k, 0, work);
    }
}
