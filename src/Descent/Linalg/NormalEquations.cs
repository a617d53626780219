using Descent.Kernels;

namespace Descent;

/// <summary>
/// The fast path of <see cref="Linalg.Lstsq"/> for tall problems of full rank (docs/notes/lstsq.md): the normal
/// equations AᵀA X = AᵀB summed in float64 in one pass over A, a pivoted Cholesky factor of AᵀA, and one step of
/// iterative refinement on the residual computed from A itself. It declines (returns null) whenever the pivoted QR
/// would call A rank-deficient or the factor is too badly conditioned for the refined answer to be as accurate as QR's,
/// and the caller then runs the QR.
/// </summary>
internal static class NormalEquations
{
    /// <summary>Largest accepted bound on the condition number of A with its columns scaled to unit norm.</summary>
    public const double MaxCondition = 1e5;

    /// <summary>Every diagonal entry of the factor must exceed the QR's rank threshold by this factor.</summary>
    public const double RankMargin = 1.1;

    /// <summary>
    /// Solves for contiguous A (m x n) and B (m x k) of the same floating dtype, or returns null to leave the problem
    /// to the QR. The residuals are those of the refined solution, null when m equals n.
    /// </summary>
    public static (double[] Solution, double[]? Residuals)? TrySolve(Tensor a, Tensor b, int m, int n, int k, double rcond)
    {
        var g = new double[n * n];
        var atb = new double[n * k];
        var btb = new double[k];
        if (a.DType == DType.Float32) Gram.Products(a.Data<float>(), a.Offset, b.Data<float>(), b.Offset, m, n, k, g, atb, btb);
        else Gram.Products(a.Data<double>(), a.Offset, b.Data<double>(), b.Offset, m, n, k, g, atb, btb);

        // Squared norms beyond 2^±800 lose digits to underflow or overflow; the QR scales such inputs first.
        for (int j = 0; j < n; j++)
            if (!WithinRange(g[j * n + j])) return null;
        foreach (double s in btb)
            if (!WithinRange(s)) return null;
        if (Factor(g, n, rcond) is not { } factor) return null;
        var (r, perm, condition) = factor;

        var x = new double[n * k];
        Solve(r, perm, n, atb, k, x);
        if (a.DType == DType.Float32 && Unrefined(x, atb, btb, n, k, condition) is { } direct) return (x, m == n ? null : direct);
        var atr = new double[n * k];
        var rtr = new double[k];
        if (a.DType == DType.Float32) Gram.Residuals(a.Data<float>(), a.Offset, b.Data<float>(), b.Offset, m, n, k, x, atr, rtr);
        else Gram.Residuals(a.Data<double>(), a.Offset, b.Data<double>(), b.Offset, m, n, k, x, atr, rtr);
        var delta = new double[n * k];
        Solve(r, perm, n, atr, k, delta);
        for (int i = 0; i < x.Length; i++) x[i] += delta[i];
        if (m == n) return (x, null);

        // ‖R − A δ‖² = RᵀR − δᵀAᵀR, since AᵀA δ = AᵀR; the correction is tiny next to RᵀR, so nothing cancels.
        var residuals = new double[k];
        for (int c = 0; c < k; c++)
        {
            double s = rtr[c];
            for (int i = 0; i < n; i++) s -= delta[i * k + c] * atr[i * k + c];
            residuals[c] = Math.Max(0, s);
        }
        return (x, residuals);
    }

    private static bool WithinRange(double squaredNorm) => squaredNorm == 0 || Math.ILogB(squaredNorm) is >= -800 and <= 800;

    /// <summary>Bound on the relative error below which a float32 answer skips the refinement pass: far under float32's 6e-8.</summary>
    public const double Float32Accuracy = 1e-10;

    /// <summary>
    /// For float32 results, the residuals of the unrefined solution from the sums alone (‖B‖² − Xᵀ AᵀB per column),
    /// when both the solution (error about cond² · n · eps) and these residuals (cancellation of about
    /// ‖B‖² / ‖R‖² · n · eps) are far more accurate than float32 can show; otherwise null, and the caller refines.
    /// </summary>
    private static double[]? Unrefined(double[] x, double[] atb, double[] btb, int n, int k, double condition)
    {
        const double eps = 1.0 / (1L << 52);
        if (condition * condition * n * eps > Float32Accuracy) return null;
        var residuals = new double[k];
        for (int c = 0; c < k; c++)
        {
            double s = btb[c];
            for (int i = 0; i < n; i++) s -= x[i * k + c] * atb[i * k + c];
            if (!(s * Float32Accuracy >= btb[c] * n * eps)) return null;
            residuals[c] = s;
        }
        return residuals;
    }

    /// <summary>
    /// The upper factor R with Rᵀ R = Pᵀ G P and its <see cref="ConditionBound"/>, choosing at each step the remaining column of largest norm, as the
    /// column-pivoted QR does (in exact arithmetic both give the same R up to signs). Null when a diagonal entry is
    /// not above <see cref="RankMargin"/> times the QR's threshold <c>rcond · R₀₀</c>, or when the condition bound
    /// of the column-scaled factor exceeds <see cref="MaxCondition"/>.
    /// </summary>
    internal static (double[] R, int[] Perm, double Condition)? Factor(double[] g, int n, double rcond)
    {
        var w = (double[])g.Clone();
        var r = new double[n * n];
        var perm = new int[n];
        for (int j = 0; j < n; j++) perm[j] = j;
        double threshold = 0;
        for (int j = 0; j < n; j++)
        {
            int p = j;
            for (int i = j + 1; i < n; i++)
                if (w[i * n + i] > w[p * n + p]) p = i;
            if (p != j)
            {
                for (int i = 0; i < n; i++) (w[i * n + j], w[i * n + p]) = (w[i * n + p], w[i * n + j]);
                for (int i = 0; i < n; i++) (w[j * n + i], w[p * n + i]) = (w[p * n + i], w[j * n + i]);
                (perm[j], perm[p]) = (perm[p], perm[j]);
                for (int i = 0; i < j; i++) (r[i * n + j], r[i * n + p]) = (r[i * n + p], r[i * n + j]);
            }
            double d = w[j * n + j];
            if (j == 0) threshold = RankMargin * rcond * Math.Sqrt(d);
            // Written so that NaN declines too.
            if (!(d > 0) || !(Math.Sqrt(d) > threshold)) return null;
            double rjj = Math.Sqrt(d);
            r[j * n + j] = rjj;
            for (int c = j + 1; c < n; c++) r[j * n + c] = w[j * n + c] / rjj;
            for (int i = j + 1; i < n; i++)
                for (int c = j + 1; c < n; c++) w[i * n + c] -= r[j * n + i] * r[j * n + c];
        }
        double condition = ConditionBound(r, perm, g, n);
        return condition <= MaxCondition ? (r, perm, condition) : null;
    }

    /// <summary>
    /// ‖U‖_F ‖U⁻¹‖_F for U = R S, S scaling the (pivoted) columns of A to unit norm: a bound on the 2-norm condition
    /// number of the scaled A, which is what the accuracy of a Cholesky factor depends on. ‖U‖_F = √n.
    /// </summary>
    internal static double ConditionBound(double[] r, int[] perm, double[] g, int n)
    {
        var u = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int c = i; c < n; c++) u[i * n + c] = r[i * n + c] / Math.Sqrt(g[perm[c] * n + perm[c]]);
        // Column by column of U⁻¹ by back substitution on the unit vectors.
        double sum = 0;
        var col = new double[n];
        for (int e = 0; e < n; e++)
        {
            Array.Clear(col);
            for (int i = e; i >= 0; i--)
            {
                double s = i == e ? 1 : 0;
                for (int p = i + 1; p <= e; p++) s -= u[i * n + p] * col[p];
                col[i] = s / u[i * n + i];
                sum += col[i] * col[i];
            }
        }
        double bound = Math.Sqrt(n * sum);
        return double.IsNaN(bound) ? double.PositiveInfinity : bound;
    }

    // x = P R⁻¹ R⁻ᵀ Pᵀ rhs, column by column of rhs (n x k).
    private static void Solve(double[] r, int[] perm, int n, double[] rhs, int k, double[] x)
    {
        var z = new double[n];
        for (int c = 0; c < k; c++)
        {
            for (int i = 0; i < n; i++)
            {
                double s = rhs[perm[i] * k + c];
                for (int p = 0; p < i; p++) s -= r[p * n + i] * z[p];
                z[i] = s / r[i * n + i];
            }
            for (int i = n - 1; i >= 0; i--)
            {
                double s = z[i];
                for (int p = i + 1; p < n; p++) s -= r[i * n + p] * z[p];
                z[i] = s / r[i * n + i];
            }
            for (int i = 0; i < n; i++) x[perm[i] * k + c] = z[i];
        }
    }
}
