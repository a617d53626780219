using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using Descent.Cli.Commands;

namespace Descent.Cli;

/// <summary>Entry point of the <c>descent</c> command.</summary>
public static class Program
{
    /// <summary>Runs the command on the process console; Ctrl-C asks a training run to stop after its current batch.</summary>
    public static int Main(string[] args)
    {
        using var interrupt = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // The first Ctrl-C stops training gracefully; a second one ends the process as usual.
            if (interrupt.IsCancellationRequested) return;
            e.Cancel = true;
            interrupt.Cancel();
        };
        var console = new CliConsole(Console.Out, Console.Error, !Console.IsOutputRedirected && !Console.IsErrorRedirected, interrupt.Token);
        return Run(args, console);
    }

    /// <summary>
    /// Runs the command with <paramref name="args"/>, writing to <paramref name="stdout"/> and <paramref name="stderr"/>,
    /// and returns the exit status: 0 on success, 1 for bad data or a failed run, 2 for a usage error; a run that
    /// <paramref name="cancel"/> (Ctrl-C) stopped is a failed run (1), after saving its last completed epoch if asked. Progress is printed as plain lines, never as a live bar.
    /// </summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancel = default) =>
        Run(args, new CliConsole(stdout, stderr, IsTerminal: false, cancel));

    internal static int Run(string[] args, CliConsole console)
    {
        var root = BuildCommand(console);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            var command = CommandPath(parsed.CommandResult.Command);
            // An unknown word explains a missing command or option better than the complaint that it is missing.
            var error = parsed.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parsed.Errors[0];
            var option = error.SymbolResult is OptionResult o ? o.Option.Name + ": " : "";
            console.WriteError($"{option}{Regex.Replace(error.Message, @"\s+", " ")} (see '{command} --help')");
            return ExitCodes.Usage;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false });
        }
        catch (CliException e)
        {
            console.WriteError(e.Message);
            return e.ExitCode;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.WriteError(e.Message);
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            console.WriteError($"unexpected error ({e.GetType().Name}): {e.Message}");
            return ExitCodes.Failure;
        }
    }

    internal static Command BuildCommand(CliConsole console)
    {
        // A plain command named "descent" rather than a RootCommand, whose name would be the assembly's (Descent.Cli).
        var root = new Command("descent", "Train linear models on CSV files by gradient descent, compare them with the exact least-squares fit, and use them on new data.")
        {
            new HelpOption(),
            new VersionOption(),
            TrainCommand.Create(console),
            PredictCommand.Create(console),
            EvaluateCommand.Create(console),
            SolveCommand.Create(console),
            DemoCommand.Create(console),
        };
        return root;
    }

    private static string CommandPath(Command command) =>
        command.Name == "descent" ? "descent" : "descent " + command.Name;
}
