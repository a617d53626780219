using System.Text.RegularExpressions;
using Descent.IO;

namespace Descent.Cli;

/// <summary>Loads a CSV file for a command, turning every problem into one line that names the file and the option.</summary>
internal static class DataFile
{
    /// <summary>
    /// Loads <paramref name="path"/> in float64 (statistics and least squares are computed in float64; training
    /// rounds to float32 as PyTorch's float32 model does). <paramref name="features"/> null takes every other column.
    /// </summary>
    public static CsvData Load(string path, IReadOnlyList<string> targets, IReadOnlyList<string>? features, string option = "--data")
    {
        if (Directory.Exists(path)) throw new CliException($"{path}: is a folder, not a CSV file ({option})");
        if (!File.Exists(path)) throw new CliException($"{path}: no such file ({option})");
        CsvData data;
        try
        {
            data = Csv.Load(path, new CsvOptions { Targets = targets, Features = features, DType = DType.Float64 });
        }
        catch (CsvFormatException e)
        {
            // The library's advice names its own option; the command has no such switch, so leave it out.
            throw new CliException(Regex.Replace(e.Message, @" \(set AllowNonFinite[^)]*\)", ""));
        }
        if (data.FeatureNames.Count == 0)
            throw new CliException($"{path}: no feature columns are left once the targets ({string.Join(", ", targets)}) are taken out; the model needs at least one input");
        return data;
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
