using System.IO.Compression;

namespace Descent.IO;

/// <summary>
/// Reads and writes NumPy's <c>.npz</c> archives (<c>np.savez</c>, <c>np.savez_compressed</c>, <c>np.load</c>): a zip
/// file holding one <c>.npy</c> member per array, named after the array.
/// </summary>
/// <remarks>
/// Reading accepts stored and deflated members; every member must be a <c>.npy</c> file (its name ends in
/// <c>.npy</c>, which is dropped from the array's name) and no name may appear twice. A member's declared size is
/// checked against its compressed size before it is decompressed, and it is decompressed no further than declared.
/// Every problem is an <see cref="NpyFormatException"/> naming the archive and, where it applies, the member.
/// </remarks>
public static class Npz
{
    // Deflate cannot expand data by more than about 1032:1; a member claiming more is lying about its size.
    private const long MaxDeflateRatio = 1032;

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> as <c>np.savez</c> does (members stored
    /// uncompressed), or as <c>np.savez_compressed</c> does when <paramref name="compress"/> is true. The archive is
    /// written to a temporary file in the same folder and renamed into place.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is null or has more than 64 dimensions, or a name has a lone surrogate (a zip member's name is UTF-8, which cannot hold it) or a NUL character.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, bool compress = false)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        AtomicFile.Write(path, stream => Save(stream, tensors, compress));
    }

    /// <summary>Writes the <c>.npz</c> archive of <paramref name="tensors"/> to <paramref name="stream"/>.</summary>
    /// <exception cref="ArgumentException">A tensor is null or has more than 64 dimensions, or a name has a lone surrogate (a zip member's name is UTF-8, which cannot hold it) or a NUL character.</exception>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, bool compress = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (name, tensor) in tensors)
        {
            if (tensor is null) throw new ArgumentException($"Npz.Save: tensor '{name}' is null", nameof(tensors));
            FileNames.ThrowIfNotUtf8(name, $"Npz.Save: array name '{name}'", nameof(tensors));
            if (name.Contains('\0'))
                throw new ArgumentException($"Npz.Save: array name '{name.Replace("\0", "\\0", StringComparison.Ordinal)}' has a NUL character, where Python's zipfile, and so np.load, cuts a member's name short", nameof(tensors));
            TensorBytes.ThrowIfTooManyDims(tensor, $"Npz.Save: tensor '{name}'", nameof(tensors));
            var entry = zip.CreateEntry(name + ".npy", compress ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
            using var member = entry.Open();
            Npy.Save(member, tensor);
        }
    }

    /// <summary>Reads the <c>.npz</c> archive at <paramref name="path"/>; the arrays come back in ordinal name order.</summary>
    /// <exception cref="NpyFormatException">The archive or one of its members is malformed.</exception>
    public static IReadOnlyDictionary<string, Tensor> Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(stream, path);
    }

    /// <summary>Reads a <c>.npz</c> archive from <paramref name="stream"/>; <paramref name="name"/> is used in error messages.</summary>
    /// <exception cref="NpyFormatException">The archive or one of its members is malformed.</exception>
    public static IReadOnlyDictionary<string, Tensor> Load(Stream stream, string name = "<stream>")
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Read(TensorBytes.Seekable(stream), name);
    }

    /// <summary>Reads <c>.npz</c> <paramref name="bytes"/>; <paramref name="name"/> is used in error messages.</summary>
    /// <exception cref="NpyFormatException">The archive or one of its members is malformed.</exception>
    public static IReadOnlyDictionary<string, Tensor> Load(byte[] bytes, string name = "<bytes>")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return Read(new MemoryStream(bytes, writable: false), name);
    }

    private static SortedDictionary<string, Tensor> Read(Stream stream, string name)
    {
        var result = new SortedDictionary<string, Tensor>(StringComparer.Ordinal);
        string member = "";
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            long archiveLength = stream.Length;
            foreach (var entry in zip.Entries)
            {
                member = entry.FullName;
                if (!member.EndsWith(".npy", StringComparison.Ordinal))
                    throw new NpyFormatException(name, $"member '{member}' is not a .npy file");
                var key = member[..^4];
                if (result.ContainsKey(key))
                    throw new NpyFormatException(name, $"the archive holds array '{key}' twice");
                long declared = entry.Length, compressed = entry.CompressedLength;
                if (compressed > archiveLength || declared > compressed * MaxDeflateRatio + 64)
                    throw new NpyFormatException(name, $"member '{member}' declares {declared} bytes from {compressed} compressed bytes in a {archiveLength}-byte archive, which cannot be");
                if (declared > int.MaxValue)
                    throw new NpyFormatException(name, $"member '{member}' holds {declared} bytes; Npz.Load reads members of up to 2 GiB (save larger arrays with Npy.Save)");
                result.Add(key, Npy.Read(ReadMember(entry, declared, name), $"{name}/{member}"));
            }
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or EndOfStreamException)
        {
            var where = member.Length == 0 ? "" : $" (member '{member}')";
            throw new NpyFormatException(name, $"not a readable zip archive{where}: {e.Message}", e);
        }
        return result;
    }

    private static MemoryStream ReadMember(ZipArchiveEntry entry, long declared, string name)
    {
        using var source = entry.Open();
        // Grows with the bytes actually decompressed, never beyond the declared size (plus one to notice a lie).
        var copy = new MemoryStream();
        var buffer = new byte[81920];
        while (true)
        {
            int want = (int)Math.Min(buffer.Length, declared + 1 - copy.Length);
            if (want == 0) break;
            int got = source.Read(buffer, 0, want);
            if (got == 0) break;
            copy.Write(buffer, 0, got);
        }
        if (copy.Length != declared)
            throw new NpyFormatException(name, $"member '{entry.FullName}' declares {declared} bytes but holds {(copy.Length > declared ? "more" : copy.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        // The zip reader does not check the CRC-32 the archive records for each member; NumPy's does.
        if (Crc32(copy.GetBuffer().AsSpan(0, (int)copy.Length)) != entry.Crc32)
            throw new NpyFormatException(name, $"member '{entry.FullName}' does not match the CRC-32 the archive records for it: the file is damaged");
        copy.Position = 0;
        return copy;
    }

    private static readonly uint[] CrcTable = [.. Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        return c;
    })];

    /// <summary>The CRC-32 of zip archives (IEEE 802.3, reflected, 0xEDB88320).</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }
}
