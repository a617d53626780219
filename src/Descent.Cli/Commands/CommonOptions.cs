using System.CommandLine;
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

    /// <summary>The tool's version, recorded in the files it writes.</summary>
    public static string Version =>
        (typeof(Tensor).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];

    /// <summary>Refuses an output path whose folder does not exist, before any work is done.</summary>
    public static void CheckOutput(string? path, string option)
    {
        if (path is null) return;
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null && !Directory.Exists(folder))
            throw new CliException($"{path}: the folder '{folder}' does not exist ({option})");
        if (Directory.Exists(path))
            throw new CliException($"{path}: is a folder; give a file name ({option})");
    }
}
