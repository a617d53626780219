namespace Descent.IO;

/// <summary>
/// Writes a file all-or-nothing: the content goes to a temporary file in the target's folder, is flushed to disk, and
/// is then renamed over the target (the file a symbolic link points to, keeping the link), taking the permissions of
/// the file it replaces. A crash or an exception part-way leaves the previous file (if any) untouched, and the
/// temporary file is deleted on failure. A failure to create, write or rename the file is reported with the caller's
/// path, never the temporary file's name, which the caller has never heard of.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        // A symbolic link is written through, as np.save and torch.save do: the file it points to is replaced and the
        // link is kept. Renaming over the link itself would cut it and leave its file stale.
        var info = new FileInfo(full);
        var target = info.LinkTarget is null ? full : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
        var folder = Path.GetDirectoryName(target) ?? ".";
        // Same folder, so the final rename stays on one file system and is atomic. The target's name is cut short in
        // the temporary name, which must stay within the 255-byte name limit of common file systems as the target does.
        var temp = Path.Combine(folder, $".{Prefix(Path.GetFileName(target))}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            // The new file keeps the old one's permissions, as a file rewritten in place does: a private file stays private.
            if (!OperatingSystem.IsWindows() && File.Exists(target)) File.SetUnixFileMode(temp, File.GetUnixFileMode(target));
            File.Move(temp, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e.Message.Contains(temp, StringComparison.Ordinal))
        {
            TryDelete(temp);
            throw WithPath(e, e.Message.Replace(temp, full, StringComparison.Ordinal));
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    // 64 UTF-16 units take at most 192 bytes of UTF-8, leaving room for the dots, the 32-digit GUID and ".tmp".
    private static string Prefix(string name)
    {
        if (name.Length <= 64) return name;
        return name[..(char.IsHighSurrogate(name[63]) ? 63 : 64)];
    }

    // The same kind of exception, so that callers catching DirectoryNotFoundException and the like still do.
    private static Exception WithPath(Exception e, string message) => e switch
    {
        DirectoryNotFoundException => new DirectoryNotFoundException(message, e),
        FileNotFoundException f => new FileNotFoundException(message, f.FileName, e),
        PathTooLongException => new PathTooLongException(message, e),
        UnauthorizedAccessException => new UnauthorizedAccessException(message, e),
        _ => new IOException(message, e),
    };

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
