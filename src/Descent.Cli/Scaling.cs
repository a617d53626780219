namespace Descent.Cli;

/// <summary>
/// Standardization of features and targets (zero mean, unit population standard deviation, as scikit-learn's
/// <c>StandardScaler</c>), and the algebra that moves a linear model between standardized and raw units, so that saved
/// models are always in raw units. A constant column keeps a scale of 1: it is only centred.
/// </summary>
/// <remarks>
/// With x' = (x − μx) / σx and y' = (y − μy) / σy, a model y' = W' x' + b' is in raw units
/// W[j,k] = σy[j] W'[j,k] / σx[k] and b[j] = μy[j] + σy[j] b'[j] − Σk W[j,k] μx[k].
/// The targets are standardized as well as the features: it does not move the least-squares optimum (each target's
/// fit is separate) but gives every target the same scale, which is what lets one learning rate serve them all.
/// </remarks>
internal sealed class Scaling
{
    private Scaling(double[] featureMean, double[] featureStd, double[] targetMean, double[] targetStd, bool isIdentity)
    {
        FeatureMean = featureMean;
        FeatureStd = featureStd;
        TargetMean = targetMean;
        TargetStd = targetStd;
        IsIdentity = isIdentity;
    }

    public double[] FeatureMean { get; }
    public double[] FeatureStd { get; }
    public double[] TargetMean { get; }
    public double[] TargetStd { get; }

    /// <summary>True for the scaling that changes nothing (<c>--no-standardize</c>).</summary>
    public bool IsIdentity { get; }

    /// <summary>The scaling that leaves data and weights unchanged.</summary>
    public static Scaling Identity(int features, int targets) =>
        new(new double[features], Ones(features), new double[targets], Ones(targets), isIdentity: true);

    /// <summary>Means and standard deviations of the columns of <paramref name="x"/> and <paramref name="y"/> (2-D, any float dtype), in float64.</summary>
    public static Scaling Fit(Tensor x, Tensor y)
    {
        var (mx, sx) = Moments(x);
        var (my, sy) = Moments(y);
        return new Scaling(mx, sx, my, sy, isIdentity: false);
    }

    private static double[] Ones(int n) => Enumerable.Repeat(1.0, n).ToArray();

    private static (double[] Mean, double[] Std) Moments(Tensor t)
    {
        var x64 = t.To(DType.Float64);
        var mean = x64.Mean(0).ToArray<double>();
        var std = x64.Std(0, correction: 0).ToArray<double>();
        var largest = x64.Abs().Max(0).Values.ToArray<double>();
        // Constant: a spread negligible against the column's own largest value (or all zero), whatever its units.
        for (int i = 0; i < std.Length; i++)
            if (!(std[i] > 1e-12 * largest[i])) std[i] = 1;
        return (mean, std);
    }

    /// <summary>Standardized features as float32, shape [rows, features].</summary>
    public Tensor ScaleFeatures(Tensor x) => Scale(x, FeatureMean, FeatureStd);

    /// <summary>Standardized targets as float32, shape [rows, targets].</summary>
    public Tensor ScaleTargets(Tensor y) => Scale(y, TargetMean, TargetStd);

    private Tensor Scale(Tensor t, double[] mean, double[] std)
    {
        if (IsIdentity) return t.To(DType.Float32);
        var m = Tensor.FromSpan<double>(mean, mean.Length);
        var s = Tensor.FromSpan<double>(std, std.Length);
        return ((t.To(DType.Float64) - m) / s).To(DType.Float32);
    }

    /// <summary>Raw-unit weight [targets, features] and bias [targets], in float64, of a model in standardized units.</summary>
    public (double[,] Weight, double[] Bias) ToRaw(double[,] weight, double[] bias)
    {
        int t = weight.GetLength(0), f = weight.GetLength(1);
        var w = new double[t, f];
        var b = new double[t];
        for (int j = 0; j < t; j++)
        {
            double shift = 0;
            for (int k = 0; k < f; k++)
            {
                w[j, k] = TargetStd[j] * weight[j, k] / FeatureStd[k];
                shift += w[j, k] * FeatureMean[k];
            }
            b[j] = TargetMean[j] + TargetStd[j] * bias[j] - shift;
        }
        return (w, b);
    }

    /// <summary>Standardized-unit weight and bias of a model given in raw units (the inverse of <see cref="ToRaw"/>).</summary>
    public (double[,] Weight, double[] Bias) FromRaw(double[,] weight, double[] bias)
    {
        int t = weight.GetLength(0), f = weight.GetLength(1);
        var w = new double[t, f];
        var b = new double[t];
        for (int j = 0; j < t; j++)
        {
            double shift = 0;
            for (int k = 0; k < f; k++)
            {
                w[j, k] = weight[j, k] * FeatureStd[k] / TargetStd[j];
                shift += weight[j, k] * FeatureMean[k];
            }
            b[j] = (bias[j] + shift - TargetMean[j]) / TargetStd[j];
        }
        return (w, b);
    }
}
