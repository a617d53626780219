namespace Descent.IO;

/// <summary>
/// Writes a file all-or-nothing: the content goes to a temporary file in the target's folder, is flushed to disk, and
/// is then renamed over the target. A crash or an exception part-way leaves the previous file (if any) untouched,
/// and the temporary file is deleted on failure.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full) ?? ".";
        // Same folder, so the final rename stays on one file system and is atomic.
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (IOException)
        {
            // The original exception matters more than a temporary file that could not be removed.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
