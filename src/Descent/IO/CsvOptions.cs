namespace Descent.IO;

/// <summary>Which columns of a CSV file become features and targets, and how values are parsed (see <see cref="Csv"/>).</summary>
public sealed record CsvOptions
{
    /// <summary>The target columns, by header name, in the order they take in <see cref="CsvData.Targets"/>. Empty by default.</summary>
    public IReadOnlyList<string> Targets { get; init; } = [];

    /// <summary>
    /// The feature columns, by header name, in the order they take in <see cref="CsvData.Features"/>; null (the
    /// default) takes every column that is not a target, in file order.
    /// </summary>
    public IReadOnlyList<string>? Features { get; init; }

    /// <summary>The element type of both tensors: <see cref="DType.Float32"/> (the default) or <see cref="DType.Float64"/>.</summary>
    public DType DType { get; init; } = DType.Float32;

    /// <summary>Accept <c>NaN</c> and infinities (and values beyond the dtype's range) instead of rejecting them. Off by default.</summary>
    public bool AllowNonFinite { get; init; }

    /// <summary>
    /// The column separator; a comma by default. Not a quote, a line break, NUL, or a character numbers are written
    /// with (digits, '.', '-', '+', 'e', 'E'): loading refuses those with an <see cref="ArgumentException"/>.
    /// </summary>
    public char Separator { get; init; } = ',';
}

/// <summary>
/// A CSV file loaded into tensors: <see cref="Features"/> of shape [rows, features] and <see cref="Targets"/> of shape
/// [rows, targets], row i of each coming from data row i of the file.
/// </summary>
public sealed class CsvData
{
    internal CsvData(Tensor features, Tensor targets, string[] featureNames, string[] targetNames)
    {
        Features = features;
        Targets = targets;
        FeatureNames = featureNames;
        TargetNames = targetNames;
    }

    /// <summary>The feature columns. Shape: [rows, FeatureNames.Count].</summary>
    public Tensor Features { get; }

    /// <summary>The target columns. Shape: [rows, TargetNames.Count].</summary>
    public Tensor Targets { get; }

    /// <summary>The header names of the feature columns, in tensor order.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>The header names of the target columns, in tensor order.</summary>
    public IReadOnlyList<string> TargetNames { get; }

    /// <summary>The number of data rows.</summary>
    public int Rows => Features.Size(0);
}
