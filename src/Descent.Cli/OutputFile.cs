using System.Text;

namespace Descent.Cli;

/// <summary>
/// Writes the output files (<c>--save</c>, <c>--log</c>, <c>--plot</c>, <c>--out</c>) whole or not at all: a temporary
/// file in the target's folder, renamed into place. A failure is one line naming the user's path and the option,
/// never the temporary file.
/// </summary>
internal static class OutputFile
{
    /// <summary>Writes <paramref name="path"/> with <paramref name="write"/>; <paramref name="what"/> names the content in errors, such as "the model".</summary>
    public static void Write(string path, string option, string what, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new CliException($"{path}: cannot write {what}: {Reason(e, folder, temp, full)} ({option})");
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte order mark.</summary>
    public static void WriteText(string path, string option, string what, string text) =>
        Write(path, option, what, stream => stream.Write(Encoding.UTF8.GetBytes(text)));

    // The folder is checked before any work, but it can go away during a long run.
    private static string Reason(Exception e, string folder, string temp, string full) => e switch
    {
        _ when !Directory.Exists(folder) => $"the folder '{folder}' does not exist",
        UnauthorizedAccessException => "permission denied",
        _ => e.Message.Replace(temp, full, StringComparison.Ordinal),
    };

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The failure to write matters more than a temporary file that could not be removed.
        }
    }
}
