namespace Descent.Cli;

/// <summary>Writes text output files (<c>--log</c>, <c>--out</c>) whole or not at all: a temporary file renamed into place.</summary>
internal static class TextFile
{
    public static void Write(string path, string text, string option)
    {
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllText(temp, text);
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{path}: cannot write: {e.Message} ({option})");
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
