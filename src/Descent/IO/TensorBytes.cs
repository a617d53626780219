using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Descent.IO;

/// <summary>How elements are stored in a file: the file's element type, which may be wider or narrower than the tensor's.</summary>
internal enum StoredType
{
    Float32,
    Float64,
    Int64,
    /// <summary>32-bit integers, read into <see cref="DType.Int64"/> tensors.</summary>
    Int32,
    Bool,
}

/// <summary>Moves tensor elements between streams and storage, in either byte order.</summary>
internal static class TensorBytes
{
    /// <summary><paramref name="stream"/> itself when it can seek (the readers check lengths against it), else its rest copied into memory.</summary>
    public static Stream Seekable(Stream stream)
    {
        if (stream.CanSeek) return stream;
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return copy;
    }

    public static int Size(this StoredType type) => type switch
    {
        StoredType.Float32 or StoredType.Int32 => 4,
        StoredType.Float64 or StoredType.Int64 => 8,
        _ => 1,
    };

    public static DType DType(this StoredType type) => type switch
    {
        StoredType.Float32 => Descent.DType.Float32,
        StoredType.Float64 => Descent.DType.Float64,
        StoredType.Int64 or StoredType.Int32 => Descent.DType.Int64,
        _ => Descent.DType.Bool,
    };

    public static StoredType Stored(this DType dtype) => dtype switch
    {
        Descent.DType.Float32 => StoredType.Float32,
        Descent.DType.Float64 => StoredType.Float64,
        Descent.DType.Int64 => StoredType.Int64,
        _ => StoredType.Bool,
    };

    /// <summary>
    /// Reads a tensor of <paramref name="shape"/> whose elements follow in the stream as <paramref name="type"/>.
    /// The caller has checked that the stream holds the bytes; a short stream still ends in <see cref="EndOfStreamException"/>.
    /// </summary>
    public static Tensor Read(Stream stream, StoredType type, bool bigEndian, int[] shape)
    {
        var t = Tensor.Empty(shape, type.DType());
        bool swap = bigEndian == BitConverter.IsLittleEndian;
        switch (type)
        {
            case StoredType.Float32:
                ReadSwapped(stream, MemoryMarshal.Cast<float, int>(t.Span<float>()), swap);
                break;
            case StoredType.Float64:
                ReadSwapped(stream, MemoryMarshal.Cast<double, long>(t.Span<double>()), swap);
                break;
            case StoredType.Int64:
                ReadSwapped(stream, t.Span<long>(), swap);
                break;
            case StoredType.Int32:
                {
                    var wide = t.Span<long>();
                    var narrow = new int[Math.Min(wide.Length, ChunkBytes / sizeof(int))];
                    for (int start = 0; start < wide.Length; start += narrow.Length)
                    {
                        var part = narrow.AsSpan(0, Math.Min(narrow.Length, wide.Length - start));
                        ReadSwapped(stream, part, swap);
                        for (int i = 0; i < part.Length; i++) wide[start + i] = part[i];
                    }
                    break;
                }
            default:
                {
                    var bytes = MemoryMarshal.AsBytes(t.Span<bool>());
                    stream.ReadExactly(bytes);
                    // Any non-zero byte is true; storing it as 1 keeps .NET's bool comparisons well-defined.
                    foreach (ref var b in bytes) b = b == 0 ? (byte)0 : (byte)1;
                    break;
                }
        }
        return t;
    }

    // A span's bytes are counted in an int, so a tensor of more than 2 GiB is moved in chunks of this many bytes.
    private const int ChunkBytes = 1 << 20;

    private static void ReadSwapped<T>(Stream stream, Span<T> span, bool swap) where T : unmanaged
    {
        int step = ChunkBytes / Unsafe.SizeOf<T>();
        for (int start = 0; start < span.Length; start += step)
        {
            var part = span.Slice(start, Math.Min(step, span.Length - start));
            stream.ReadExactly(MemoryMarshal.AsBytes(part));
            if (!swap) continue;
            if (typeof(T) == typeof(int)) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<T, int>(part), MemoryMarshal.Cast<T, int>(part));
            else BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<T, long>(part), MemoryMarshal.Cast<T, long>(part));
        }
    }

    /// <summary>The number of bytes <paramref name="t"/>'s elements take in a file.</summary>
    public static long ByteCount(Tensor t) => (long)t.Count * t.DType.ElementSize();

    /// <summary>Writes the elements of <paramref name="t"/> in row-major order, little-endian, bools as 0 or 1.</summary>
    public static void WriteLittleEndian(Stream stream, Tensor t)
    {
        var c = t.Detach().Contiguous();
        switch (c.DType)
        {
            case Descent.DType.Float32:
                WriteLittleEndian(stream, MemoryMarshal.Cast<float, int>(c.Span<float>()));
                break;
            case Descent.DType.Float64:
                WriteLittleEndian(stream, MemoryMarshal.Cast<double, long>(c.Span<double>()));
                break;
            case Descent.DType.Int64:
                WriteLittleEndian(stream, c.Span<long>());
                break;
            default:
                stream.Write(MemoryMarshal.AsBytes(c.Span<bool>()));
                break;
        }
    }

    private static void WriteLittleEndian<T>(Stream stream, ReadOnlySpan<T> span) where T : unmanaged
    {
        int step = ChunkBytes / Unsafe.SizeOf<T>();
        var buffer = BitConverter.IsLittleEndian ? null : ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            for (int start = 0; start < span.Length; start += step)
            {
                var bytes = MemoryMarshal.AsBytes(span.Slice(start, Math.Min(step, span.Length - start)));
                if (buffer is null)
                {
                    stream.Write(bytes);
                    continue;
                }
                var chunk = buffer.AsSpan(0, bytes.Length);
                bytes.CopyTo(chunk);
                if (typeof(T) == typeof(int)) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, int>(chunk), MemoryMarshal.Cast<byte, int>(chunk));
                else BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, long>(chunk), MemoryMarshal.Cast<byte, long>(chunk));
                stream.Write(chunk);
            }
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Checks a shape read from a file: every dimension fits a Descent tensor and the element count neither
    /// overflows nor exceeds what one .NET array holds. Returns null when fine, otherwise the problem.
    /// </summary>
    public static string? CheckShape(ReadOnlySpan<ulong> dims, out int[] shape, out long numel)
    {
        shape = [];
        numel = 0;
        if (dims.Length > MaxRank)
            return $"has {dims.Length} dimensions; at most {MaxRank} are supported";
        var result = new int[dims.Length];
        ulong n = 1;
        bool overflow = false;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] > int.MaxValue)
                return $"has dimension {i} of size {dims[i]}, more than a tensor dimension can hold ({int.MaxValue})";
            result[i] = (int)dims[i];
            if (!overflow && n != 0 && dims[i] > ulong.MaxValue / n) overflow = true;
            else n *= dims[i];
        }
        // A zero anywhere makes an empty tensor, even if the other dimensions would overflow.
        if (result.Contains(0)) n = 0;
        else if (overflow) return $"has shape {Shapes.Format(result)} whose element count overflows";
        if (n > (ulong)Array.MaxLength)
            return $"has shape {Shapes.Format(result)} with {n} elements, more than a tensor can hold ({Array.MaxLength})";
        shape = result;
        numel = (long)n;
        return null;
    }

    /// <summary>The most dimensions a tensor read from a file may have (NumPy 2 allows 64).</summary>
    public const int MaxRank = 64;

    /// <summary>Throws when <paramref name="t"/> has more dimensions than the readers accept, so no writer makes a file that cannot be read back.</summary>
    public static void ThrowIfTooManyDims(Tensor t, string what, string paramName)
    {
        if (t.Dim > MaxRank)
            throw new ArgumentException($"{what} has {t.Dim} dimensions; files hold at most {MaxRank} (NumPy's limit), so it could not be read back", paramName);
    }
}
