namespace Descent.Cli;

/// <summary>Regression metrics of one target column, computed in float64.</summary>
/// <param name="Target">The target column name.</param>
/// <param name="Mse">Mean squared error.</param>
/// <param name="Rmse">Root mean squared error, in the target's units.</param>
/// <param name="Mae">Mean absolute error.</param>
/// <param name="R2">Coefficient of determination 1 − SS_res / SS_tot; for a constant target 1 when predicted exactly and 0 otherwise (scikit-learn's convention).</param>
internal sealed record TargetMetrics(string Target, double Mse, double Rmse, double Mae, double R2);

/// <summary>MSE, RMSE, MAE and R² per target, and the overall MSE over all entries (the training loss).</summary>
internal static class Metrics
{
    /// <summary>Metrics of <paramref name="predictions"/> against <paramref name="targets"/>, both [rows, targets].</summary>
    public static (IReadOnlyList<TargetMetrics> PerTarget, double Mse) Compute(Tensor predictions, Tensor targets, IReadOnlyList<string> names)
    {
        var p = predictions.To(DType.Float64).Contiguous().ToArray<double>();
        var y = targets.To(DType.Float64).Contiguous().ToArray<double>();
        int cols = names.Count, rows = cols == 0 ? 0 : y.Length / cols;
        var result = new List<TargetMetrics>(cols);
        double total = 0;
        for (int j = 0; j < cols; j++)
        {
            double sse = 0, sae = 0, mean = 0;
            for (int i = 0; i < rows; i++) mean += y[i * cols + j];
            mean /= rows;
            double sst = 0;
            for (int i = 0; i < rows; i++)
            {
                double e = p[i * cols + j] - y[i * cols + j], d = y[i * cols + j] - mean;
                sse += e * e;
                sae += Math.Abs(e);
                sst += d * d;
            }
            total += sse;
            double mse = sse / rows;
            double r2 = sst > 0 ? 1 - sse / sst : sse == 0 ? 1 : 0;
            result.Add(new TargetMetrics(names[j], mse, Math.Sqrt(mse), sae / rows, r2));
        }
        return (result, total / Math.Max(1, rows * cols));
    }

    /// <summary>
    /// Whether <paramref name="mse"/>, over all entries of <paramref name="targets"/> [rows, targets], is negligible
    /// against every target: below 1e-12 of the smallest target's variance (or, for a target that barely varies, of
    /// 1e-12 of its mean square). That is rounding error, not misfit, so the data are fit exactly and a ratio to that
    /// MSE means nothing. Against the mean variance, one exactly fit target with a large spread hid a poor fit of
    /// another.
    /// </summary>
    public static bool IsExactFit(double mse, Tensor targets)
    {
        var y = targets.To(DType.Float64);
        var variance = y.Var(0, correction: 0).Reshape(-1).ToArray<double>();
        var meanSquare = y.Square().Mean(0).Reshape(-1).ToArray<double>();
        double scale = double.PositiveInfinity;
        for (int k = 0; k < variance.Length; k++) scale = Math.Min(scale, Math.Max(variance[k], 1e-12 * meanSquare[k]));
        return mse <= 1e-12 * scale;
    }

    /// <summary>What the reports say of an MSE for which <see cref="IsExactFit"/> holds.</summary>
    public const string ExactFitNote = "the features fit the targets exactly (up to rounding)";

    /// <summary>The mean squared error over all entries.</summary>
    public static double Mse(Tensor predictions, Tensor targets)
    {
        var d = predictions.To(DType.Float64) - targets.To(DType.Float64);
        return (d * d).Mean().Item();
    }
}
