namespace Descent.Cli;

/// <summary>
/// Where a command writes and whether it may draw live progress: the real console in <see cref="Program.Main"/>,
/// string writers in tests. <see cref="Cancel"/> is signalled by Ctrl-C.
/// </summary>
internal sealed record CliConsole(TextWriter Out, TextWriter Error, bool IsTerminal, CancellationToken Cancel)
{
    /// <summary>Writes one error line naming the command; newlines inside the message are flattened so it stays one line.</summary>
    public void WriteError(string message) =>
        Error.WriteLine("descent: " + message.ReplaceLineEndings(" ").Trim());

    /// <summary>Writes a note or a hint to stderr, so that stdout stays clean for CSV and JSON output.</summary>
    public void WriteNote(string message) => Error.WriteLine(message);
}
