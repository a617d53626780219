using System.Globalization;
using System.Text.RegularExpressions;
using Descent.Cli.Commands;
using Descent.IO;

namespace Descent.Cli;

/// <summary>Loads a CSV file for a command, turning every problem into one line that names the file and the option.</summary>
internal static class DataFile
{
    /// <summary>
    /// Loads <paramref name="path"/> in float64 (statistics and least squares are computed in float64; training
    /// rounds to float32 as PyTorch's float32 model does). <paramref name="features"/> null takes every other column.
    /// A value beyond float32's range is refused, as a float32 load refuses it.
    /// </summary>
    public static CsvData Load(string path, IReadOnlyList<string> targets, IReadOnlyList<string>? features, string option = "--data")
    {
        CheckFile(path, option);
        var options = new CsvOptions { Targets = targets, Features = features, DType = DType.Float64 };
        var data = Read(path, options);
        // The model and the training run are float32 (PyTorch's default), where such a value becomes infinite. A
        // float32 load refuses it with its line and column, so on the rare file that has one, load again to say where.
        if (!WithinFloat32(data.Features) || !WithinFloat32(data.Targets))
        {
            Read(path, options with { DType = DType.Float32 });
            // Only a value a hair below float32's limit, that rounds up on the way through float64, gets here.
            throw OutsideFloat32(path, data);
        }
        if (data.FeatureNames.Count == 0)
            throw new CliException($"{path}: no feature columns are left once the targets ({string.Join(", ", targets)}) are taken out; the model needs at least one input");
        return data;
    }

    /// <summary>The column names in the header of <paramref name="path"/>; the data rows are not read.</summary>
    public static IReadOnlyList<string> Header(string path, string option = "--data")
    {
        CheckFile(path, option);
        try
        {
            return Csv.ReadHeader(path);
        }
        catch (CsvFormatException e)
        {
            throw new CliException(e.Message);
        }
    }

    private static void CheckFile(string path, string option)
    {
        CommonOptions.CheckFileName(path, option);
        if (Directory.Exists(path)) throw new CliException($"{path}: is a folder, not a CSV file ({option})");
        if (!File.Exists(path)) throw new CliException($"{path}: no such file ({option})");
    }

    private static CsvData Read(string path, CsvOptions options)
    {
        try
        {
            return Csv.Load(path, options);
        }
        catch (CsvFormatException e)
        {
            // The library's advice names its own option; the command has no such switch, so leave it out.
            throw new CliException(Regex.Replace(e.Message, @" \(set AllowNonFinite[^)]*\)", ""));
        }
    }

    private static bool WithinFloat32(Tensor t) => t.Count == 0 || float.IsFinite((float)t.Abs().Max().Item());

    private static CliException OutsideFloat32(string path, CsvData data)
    {
        foreach (var (values, names) in new[] { (data.Features, data.FeatureNames), (data.Targets, data.TargetNames) })
        {
            var v = values.Contiguous().ToArray<double>();
            int i = Array.FindIndex(v, x => !float.IsFinite((float)x));
            if (i >= 0)
                return new CliException($"{path}: data row {i / names.Count + 1}, column '{names[i % names.Count]}': {v[i].ToString("R", CultureInfo.InvariantCulture)} rounds to infinity in float32, the model's dtype");
        }
        return new CliException($"{path}: a value is outside the range of float32");
    }

    /// <summary>Splits a comma-separated option value into column names, refusing empty names.</summary>
    public static string[] Columns(string value, string option)
    {
        var names = value.Split(',', StringSplitOptions.TrimEntries);
        if (names.Any(n => n.Length == 0))
            throw new UsageException($"{option} '{value}' has an empty column name; give names separated by commas, like {option} a,b");
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
            throw new UsageException($"{option} '{value}' names a column twice");
        return names;
    }
}
