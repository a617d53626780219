using System.Globalization;
using System.Text.Json;
using Descent.Cli.Commands;
using Descent.IO;

namespace Descent.Cli;

/// <summary>
/// A linear model in raw units, as <c>descent</c> saves and loads it: a safetensors file with PyTorch's
/// <c>nn.Linear</c> tensors <c>weight</c> [targets, features] and <c>bias</c> [targets] in float32, and a
/// <c>__metadata__</c> map recording the feature and target names, the scaling statistics and the settings.
/// </summary>
internal sealed class LinearModel
{
    public LinearModel(double[,] weight, double[] bias, IReadOnlyList<string>? features, IReadOnlyList<string> targets, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Weight = weight;
        Bias = bias;
        Features = features;
        Targets = targets;
        Metadata = metadata ?? new Dictionary<string, string>();
    }

    /// <summary>Weight in raw units. Shape: [targets, features].</summary>
    public double[,] Weight { get; }

    /// <summary>Bias in raw units. Shape: [targets].</summary>
    public double[] Bias { get; }

    /// <summary>The feature column names, or null for a file that does not record them (then the data's first columns are used).</summary>
    public IReadOnlyList<string>? Features { get; }

    /// <summary>The target column names.</summary>
    public IReadOnlyList<string> Targets { get; }

    /// <summary>Everything else the file records.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public int FeatureCount => Weight.GetLength(1);

    /// <summary>The largest weight or bias in magnitude.</summary>
    public double LargestCoefficient => Weight.Cast<double>().Concat(Bias).Select(Math.Abs).DefaultIfEmpty(0).Max();

    public int TargetCount => Weight.GetLength(0);

    /// <summary>The weight as the float32 tensor that is saved and used for predictions.</summary>
    public Tensor WeightTensor() => Tensor.From(Weight).To(DType.Float32);

    /// <summary>The bias as the float32 tensor that is saved and used for predictions.</summary>
    public Tensor BiasTensor() => Tensor.From(Bias).To(DType.Float32);

    /// <summary>
    /// Predictions <c>x @ weight.T + bias</c> of the float32 model on float32 inputs, as PyTorch's <c>nn.Linear</c>
    /// loaded from the file computes them, but summed in float64 and rounded once: the correctly rounded value, which
    /// any float32 implementation matches to within its own rounding. Shape: [rows, targets].
    /// </summary>
    public Tensor Predict(Tensor features)
    {
        var x = features.To(DType.Float32).To(DType.Float64);
        var w = WeightTensor().To(DType.Float64);
        var b = BiasTensor().To(DType.Float64);
        return (x.MatMul(w.T) + b).To(DType.Float32);
    }

    /// <summary>Writes the model atomically: a failed or interrupted write leaves no partial file.</summary>
    public void Save(string path, IReadOnlyDictionary<string, string> extraMetadata, string option = "--save")
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt" };
        if (Features is not null) metadata["features"] = JsonSerializer.Serialize(Features, CliJson.Default.StringArray);
        metadata["targets"] = JsonSerializer.Serialize(Targets, CliJson.Default.StringArray);
        foreach (var (key, value) in extraMetadata) metadata[key] = value;
        var tensors = new Dictionary<string, Tensor> { ["weight"] = WeightTensor(), ["bias"] = BiasTensor() };
        OutputFile.Write(path, option, "the model", stream => Safetensors.Save(stream, tensors, metadata));
    }

    /// <summary>Reads and checks a model file; every problem is a <see cref="CliException"/> naming the file.</summary>
    public static LinearModel Load(string path, string option = "--model")
    {
        CommonOptions.CheckFileName(path, option);
        if (Directory.Exists(path)) throw new CliException($"{path}: is a folder, not a model file ({option})");
        if (!File.Exists(path)) throw new CliException($"{path}: no such model file ({option})");
        SafetensorsFile file;
        try
        {
            file = Safetensors.Load(path);
        }
        catch (SafetensorsFormatException e)
        {
            throw new CliException($"{e.Message} ({option} expects a safetensors file with 'weight' and 'bias')");
        }
        string Bad(string problem) => $"{path}: not a linear model: {problem} ({option} expects 'weight' [targets, features] and 'bias' [targets])";
        if (!file.TryGetValue("weight", out var weight)) throw new CliException(Bad("there is no tensor 'weight'"));
        if (!file.TryGetValue("bias", out var bias)) throw new CliException(Bad("there is no tensor 'bias'"));
        if (!weight.DType.IsFloatingPoint() || !bias.DType.IsFloatingPoint())
            throw new CliException(Bad($"'weight' is {weight.DType.Name()} and 'bias' is {bias.DType.Name()}; both must be float32 or float64"));
        if (weight.Dim != 2 || weight.Size(0) == 0 || weight.Size(1) == 0)
            throw new CliException(Bad($"'weight' has shape {Format(weight.Shape)}"));
        if (bias.Dim != 1 || bias.Size(0) != weight.Size(0))
            throw new CliException(Bad($"'bias' has shape {Format(bias.Shape)} but 'weight' has {weight.Size(0)} rows"));
        var w = (double[,])weight.To(DType.Float64).ToArray();
        var b = bias.To(DType.Float64).ToArray<double>();
        if (w.Cast<double>().Concat(b).Any(v => !double.IsFinite(v)))
            throw new CliException(Bad("it holds NaN or infinite values"));
        // The model runs in float32, as PyTorch's nn.Linear: a float64 weight beyond its range would predict infinity.
        if (w.Cast<double>().Concat(b).Any(v => !float.IsFinite((float)v)))
            throw new CliException(Bad("it holds values beyond the range of float32, the dtype the model runs in"));

        int targets = w.GetLength(0), features = w.GetLength(1);
        var featureNames = Names(file.Metadata, "features", features, path);
        var targetNames = Names(file.Metadata, "targets", targets, path)
            ?? [.. Enumerable.Range(1, targets).Select(i => targets == 1 ? "prediction" : $"prediction{i}")];
        return new LinearModel(w, b, featureNames, targetNames, file.Metadata);
    }

    private static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    private static string[]? Names(IReadOnlyDictionary<string, string> metadata, string key, int count, string path)
    {
        if (!metadata.TryGetValue(key, out var json)) return null;
        string[]? names;
        try
        {
            names = JsonSerializer.Deserialize(json, CliJson.Default.StringArray);
        }
        catch (JsonException)
        {
            names = null;
        }
        if (names is null || names.Any(string.IsNullOrEmpty))
            throw new CliException($"{path}: the metadata entry '{key}' is not a JSON list of column names");
        if (names.Length != count)
            throw new CliException($"{path}: the metadata lists {names.Length} {key} but 'weight' has {count}");
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
            throw new CliException($"{path}: the metadata entry '{key}' names a column twice");
        return names;
    }

    /// <summary>Human-readable equations, one per target: <c>apples = 0.1234·temp + … + 1.5</c>.</summary>
    public IEnumerable<string> Equations()
    {
        for (int j = 0; j < TargetCount; j++)
        {
            var terms = Enumerable.Range(0, FeatureCount)
                .Select(k => $"{Number(Weight[j, k])}*{Features?[k] ?? $"x{k + 1}"}");
            yield return $"{Targets[j]} = {string.Join(" + ", terms).Replace("+ -", "- ")} {(Bias[j] < 0 ? "-" : "+")} {Number(Math.Abs(Bias[j]))}";
        }
    }

    /// <summary>
    /// Six significant digits of the float32 value, the precision of the model; a number beyond float32's range,
    /// such as the MSE of large errors, keeps its float64 value rather than print as Infinity.
    /// </summary>
    internal static string Number(double v) => float.IsFinite((float)v) || !double.IsFinite(v)
        ? ((float)v).ToString("G6", CultureInfo.InvariantCulture)
        : v.ToString("G6", CultureInfo.InvariantCulture);
}
