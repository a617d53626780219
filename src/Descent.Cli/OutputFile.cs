using System.Text;
using Descent.IO;

namespace Descent.Cli;

/// <summary>
/// Writes the output files (<c>--save</c>, <c>--log</c>, <c>--plot</c>, <c>--out</c>) whole or not at all, as the
/// library's own saves do (<see cref="AtomicFile"/>). A failure is one line naming the user's path and the option,
/// never the temporary file.
/// </summary>
internal static class OutputFile
{
    /// <summary>Writes <paramref name="path"/> with <paramref name="write"/>; <paramref name="what"/> names the content in errors, such as "the model".</summary>
    public static void Write(string path, string option, string what, Action<Stream> write)
    {
        try
        {
            AtomicFile.Write(path, write);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{path}: cannot write {what}: {Reason(e, path)} ({option})");
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte order mark.</summary>
    public static void WriteText(string path, string option, string what, string text) =>
        Write(path, option, what, stream => stream.Write(Encoding.UTF8.GetBytes(text)));

    // The folder is checked before any work, but it can go away during a long run.
    private static string Reason(Exception e, string path) => Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder && !Directory.Exists(folder)
        ? $"the folder '{folder}' does not exist"
        : e is UnauthorizedAccessException ? "permission denied" : e.Message;
}
