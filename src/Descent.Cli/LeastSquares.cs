namespace Descent.Cli;

/// <summary>
/// The exact least-squares linear fit with a bias, in float64: the floor that no gradient-descent run can go below.
/// Standardizing also keeps the normal equations that <see cref="Linalg.Lstsq"/> uses on large tables well conditioned.
/// </summary>
/// <remarks>
/// The features are centred and scaled to unit standard deviation before <see cref="Linalg.Lstsq"/>, which leaves the
/// bias out of the solve and makes the rank decision independent of the units the columns are in. When the features
/// are linearly dependent (a repeated or constant column), the answer is the fit whose standardized weights have the
/// smallest norm; a constant column gets weight 0.
/// </remarks>
internal static class LeastSquares
{
    public static (LinearModel Model, double Mse, long Rank) Fit(Tensor x, Tensor y, IReadOnlyList<string> features, IReadOnlyList<string> targets)
    {
        var x64 = x.To(DType.Float64);
        var y64 = y.To(DType.Float64);
        var scaling = Scaling.Fit(x64, y64);
        var mx = Tensor.FromSpan<double>(scaling.FeatureMean, features.Count);
        var sx = Tensor.FromSpan<double>(scaling.FeatureStd, features.Count);
        var my = Tensor.FromSpan<double>(scaling.TargetMean, targets.Count);
        var result = Linalg.Lstsq((x64 - mx) / sx, y64 - my);

        var solution = (double[,])result.Solution.ToArray(); // [features, targets]
        int f = features.Count, t = targets.Count;
        var weight = new double[t, f];
        var bias = new double[t];
        for (int j = 0; j < t; j++)
        {
            bias[j] = scaling.TargetMean[j];
            for (int k = 0; k < f; k++)
            {
                weight[j, k] = solution[k, j] / scaling.FeatureStd[k];
                bias[j] -= weight[j, k] * scaling.FeatureMean[k];
            }
        }
        var w = Tensor.From(weight);
        var predictions = x64.MatMul(w.T) + Tensor.From(bias);
        return (new LinearModel(weight, bias, features, targets), Metrics.Mse(predictions, y64), result.Rank);
    }
}
