using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;
using System.Reflection;

namespace Descent.Cli.Commands;

/// <summary>Options shared by several commands, named as the command-line contract names them.</summary>
internal static class CommonOptions
{
    public static Option<string> Data(string description) =>
        new("--data") { Description = description, Required = true, HelpName = "FILE.csv" };

    public static Option<string> Target() =>
        new("--target") { Description = "The column(s) to predict, separated by commas.", Required = true, HelpName = "COL[,COL...]" };

    public static Option<string?> Features() =>
        new("--features") { Description = "The input columns, separated by commas [default: every column that is not a target].", HelpName = "COL[,COL...]" };

    public static Option<string> Model() =>
        new("--model") { Description = "A model file saved by 'descent train' or 'descent solve' (or PyTorch: tensors 'weight' and 'bias').", Required = true, HelpName = "FILE.safetensors" };

    public static Option<bool> Json(string description) => new("--json") { Description = description };

    /// <summary>
    /// A number option read as the docs and PyTorch scripts write numbers, whatever the machine's culture: a dot for
    /// decimals, an exponent allowed. A comma is refused rather than read as a thousands separator, which made
    /// <c>--lr 0,01</c> a learning rate of 1.
    /// </summary>
    public static Option<double> Number(string name, string description, double defaultValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        HelpName = "X",
        CustomParser = r => Parse<double>(r, NumberStyles.Float, "a number"),
    };

    /// <summary>A whole-number option, read in the invariant culture, with an error that says what was expected.</summary>
    public static Option<T> Whole<T>(string name, string description, Func<T>? defaultValue = null) where T : IBinaryInteger<T>, IMinMaxValue<T>
    {
        var option = new Option<T>(name) { Description = description, HelpName = "N", CustomParser = ParseWhole<T> };
        if (defaultValue is not null) option.DefaultValueFactory = _ => defaultValue();
        return option;
    }

    /// <summary>An optional whole-number option (no value when not given).</summary>
    public static Option<int?> OptionalWhole(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "N",
        CustomParser = r => ParseWhole<int>(r),
    };

    private static T Parse<T>(ArgumentResult r, NumberStyles styles, string what) where T : INumberBase<T>
    {
        string token = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
        if (T.TryParse(token, styles, CultureInfo.InvariantCulture, out var value)) return value;
        string hint = token.Contains(',') && T.TryParse(token.Replace(',', '.'), styles, CultureInfo.InvariantCulture, out _)
            ? $"; write decimals with a dot: {token.Replace(',', '.')}"
            : "";
        r.AddError($"'{token}' is not {what}{hint}");
        return T.Zero;
    }

    // Digits that do not fit (--epochs 99999999999) are a whole number, only out of the option's range.
    private static T ParseWhole<T>(ArgumentResult r) where T : IBinaryInteger<T>, IMinMaxValue<T>
    {
        string token = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
        if (T.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            || !BigInteger.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out var big))
            return Parse<T>(r, NumberStyles.Integer, "a whole number");
        r.AddError(big.Sign < 0
            ? $"'{token}' is below the range of this option (at least {T.MinValue})"
            : $"'{token}' is above the range of this option (at most {T.MaxValue})");
        return T.Zero;
    }

    /// <summary>The tool's version, recorded in the files it writes.</summary>
    public static string Version =>
        (typeof(Tensor).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];

    /// <summary>
    /// Refuses, before any work is done, an output path whose folder does not exist, and one that names the same file
    /// as an input or another output: an output option never replaces the user's data, a model, or another output.
    /// Paths are compared in full, so <c>data.csv</c> and <c>./data.csv</c> are one file. Null paths are not given.
    /// </summary>
    public static void CheckOutputs(IReadOnlyList<(string? Path, string Option)> inputs, params (string? Path, string Option)[] outputs)
    {
        foreach (var (path, option) in outputs) CheckOutput(path, option);
        var seen = inputs.Where(f => !string.IsNullOrEmpty(f.Path)).Select(f => (Full: RealPath(f.Path!), f.Option, Input: true)).ToList();
        foreach (var (path, option) in outputs)
        {
            if (path is null) continue;
            var full = RealPath(path);
            foreach (var other in seen)
            {
                if (!string.Equals(full, other.Full, PathComparison)) continue;
                throw new UsageException(other.Input
                    ? $"{option} and {other.Option} name the same file ({path}); writing {option} would overwrite the {other.Option} file: give {option} another file name"
                    : $"{other.Option} and {option} name the same file ({path}); one would overwrite the other: give each its own file name");
            }
            seen.Add((full, option, false));
        }
        foreach (var (path, option) in outputs)
            if (path is not null) CheckEnding(path, option);
    }

    /// <summary>
    /// The full path with every symbolic link on the way resolved, so that a link and its target compare equal
    /// (<c>--data link.csv --out data.csv</c> would otherwise replace the data). Parts that do not exist yet stay as
    /// written.
    /// </summary>
    private static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? "";
        var current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            try
            {
                var target = Directory.Exists(current) ? Directory.ResolveLinkTarget(current, returnFinalTarget: true)
                    : File.Exists(current) ? File.ResolveLinkTarget(current, returnFinalTarget: true) : null;
                if (target is not null) current = Path.GetFullPath(target.FullName);
            }
            catch (IOException)
            {
                // A link that cannot be followed (a loop, no permission) is compared as written.
            }
        }
        return current;
    }

    // Windows and macOS file systems ignore case by default, so Data.csv there is data.csv.
    private static StringComparison PathComparison =>
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>
    /// Refuses a model or plot file whose name announces another format (<c>--save model.csv</c>, <c>--plot loss.gif</c>):
    /// the file would hold data its name does not, and whatever opens it by its name would fail on it.
    /// </summary>
    private static void CheckEnding(string path, string option)
    {
        string ending = Path.GetExtension(path);
        string stem = Path.GetFileNameWithoutExtension(path);
        if (option == "--save" && !ending.Equals(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"--save {path}: a model is written as safetensors (which PyTorch's safetensors and descent read); end the file name in .safetensors, e.g. {stem}.safetensors");
        if (option == "--plot" && !LossPlot.Formats.ContainsKey(ending.ToLowerInvariant()))
            throw new UsageException($"--plot {path}: the plot is written as PNG, JPEG, BMP, WebP or SVG by the ending of the file name; end it in one of {string.Join(", ", LossPlot.Formats.Keys)}, e.g. {stem}.png");
    }

    /// <summary>Refuses an empty or blank file name, which the shell passes for <c>--data ""</c> or an unset variable.</summary>
    public static void CheckFileName(string path, string option)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UsageException($"{option} needs a file name, got '{path}'");
    }

    private static void CheckOutput(string? path, string option)
    {
        if (path is null) return;
        CheckFileName(path, option);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null && !Directory.Exists(folder))
            throw new CliException($"{path}: the folder '{folder}' does not exist ({option})");
        if (Directory.Exists(path))
            throw new CliException($"{path}: is a folder; give a file name ({option})");
    }
}
