using System.Buffers.Binary;
using System.Text;

namespace Descent.IO;

/// <summary>
/// Reads and writes NumPy's <c>.npy</c> format (<c>np.save</c>/<c>np.load</c>): the magic <c>\x93NUMPY</c>, a
/// version, a header that is a Python dict literal with <c>descr</c>, <c>fortran_order</c> and <c>shape</c>, then the
/// raw elements.
/// </summary>
/// <remarks>
/// <para>Reading accepts format versions 1.0, 2.0 and 3.0, C and Fortran order, little-, big- and no-endian
/// (<c>&lt;</c>, <c>&gt;</c>, <c>|</c>) descriptors, and the dtypes float32 (<c>f4</c>), float64 (<c>f8</c>),
/// int64 (<c>i8</c>), bool (<c>b1</c>) and int32 (<c>i4</c>, read into an int64 tensor). The header is parsed, never
/// evaluated; object arrays (pickles) are refused. The data must be exactly as long as the shape says. Every problem is
/// an <see cref="NpyFormatException"/>.</para>
/// <para>Writing produces exactly the bytes NumPy's <c>np.save</c> does: version 1.0 (2.0 only if the header would
/// not fit), little-endian, C order, header padded so the data starts at a multiple of 64.</para>
/// </remarks>
public static class Npy
{
    /// <summary>The largest header accepted (1 MiB; NumPy's own limit is 10,000 bytes unless told otherwise).</summary>
    public const int MaxHeaderBytes = 1 << 20;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>
    /// Writes <paramref name="tensor"/> to <paramref name="path"/> as NumPy's <c>np.save</c> would. The file is written
    /// to a temporary file in the same folder and renamed into place.
    /// </summary>
    public static void Save(string path, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        TensorBytes.ThrowIfTooManyDims(tensor, "Npy.Save: the tensor", nameof(tensor));
        AtomicFile.Write(path, stream => Save(stream, tensor));
    }

    /// <summary>Writes the <c>.npy</c> bytes of <paramref name="tensor"/> to <paramref name="stream"/>.</summary>
    public static void Save(Stream stream, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensor);
        TensorBytes.ThrowIfTooManyDims(tensor, "Npy.Save: the tensor", nameof(tensor));
        stream.Write(Header(tensor));
        TensorBytes.WriteLittleEndian(stream, tensor);
    }

    /// <summary>Reads the <c>.npy</c> file at <paramref name="path"/>.</summary>
    /// <exception cref="NpyFormatException">The file is malformed or holds an unsupported dtype.</exception>
    public static Tensor Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(stream, path);
    }

    /// <summary>
    /// Reads <c>.npy</c> bytes from <paramref name="stream"/>, from its position to its end; <paramref name="name"/>
    /// is used in error messages. A stream that cannot seek is first copied into memory.
    /// </summary>
    /// <exception cref="NpyFormatException">The bytes are malformed or hold an unsupported dtype.</exception>
    public static Tensor Load(Stream stream, string name = "<stream>")
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Read(TensorBytes.Seekable(stream), name);
    }

    /// <summary>Reads <c>.npy</c> <paramref name="bytes"/>; <paramref name="name"/> is used in error messages.</summary>
    /// <exception cref="NpyFormatException">The bytes are malformed or hold an unsupported dtype.</exception>
    public static Tensor Load(byte[] bytes, string name = "<bytes>")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return Read(new MemoryStream(bytes, writable: false), name);
    }

    /// <summary>The magic, version, length and padded header NumPy writes for <paramref name="tensor"/>.</summary>
    internal static byte[] Header(Tensor tensor)
    {
        var descr = tensor.DType switch
        {
            DType.Float32 => "<f4",
            DType.Float64 => "<f8",
            DType.Int64 => "<i8",
            _ => "|b1",
        };
        var shape = tensor.Shape;
        var tuple = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape.ToArray()) + ")";
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {tuple}, }}";
        // NumPy leaves room to grow the first axis in place (GROWTH_AXIS_MAX_DIGITS = 21).
        if (shape.Length > 0) dict += new string(' ', 21 - shape[0].ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
        return Wrap(dict);
    }

    /// <summary>NumPy's <c>_wrap_header</c>: version 1.0 when the padded header fits in 16 bits, else 2.0.</summary>
    internal static byte[] Wrap(string dict)
    {
        var text = Encoding.ASCII.GetBytes(dict);
        int hlen = text.Length + 1;
        int major = 1, lengthBytes = 2;
        int padlen = 64 - (8 + lengthBytes + hlen) % 64;
        if (hlen + padlen > ushort.MaxValue)
        {
            major = 2;
            lengthBytes = 4;
            padlen = 64 - (8 + lengthBytes + hlen) % 64;
        }
        var result = new byte[8 + lengthBytes + hlen + padlen];
        Magic.CopyTo(result);
        result[6] = (byte)major;
        result[7] = 0;
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)(hlen + padlen));
        else BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)(hlen + padlen));
        text.CopyTo(result, 8 + lengthBytes);
        result.AsSpan(8 + lengthBytes + text.Length, padlen).Fill((byte)' ');
        result[^1] = (byte)'\n';
        return result;
    }

    internal static Tensor Read(Stream stream, string name)
    {
        long available = stream.Length - stream.Position;
        Span<byte> preamble = stackalloc byte[8];
        if (available < 10)
            throw new NpyFormatException(name, $"the file is {available} bytes long, too short for a .npy preamble");
        stream.ReadExactly(preamble);
        if (!preamble[..6].SequenceEqual(Magic))
            throw new NpyFormatException(name, $"not a .npy file: it starts with {Convert.ToHexString(preamble[..6])}, not the magic 934E554D5059 (\\x93NUMPY)");
        int major = preamble[6], minor = preamble[7];
        if (major is < 1 or > 3 || minor != 0)
            throw new NpyFormatException(name, $"unsupported .npy format version {major}.{minor} (Descent reads 1.0, 2.0 and 3.0)");
        int lengthBytes = major == 1 ? 2 : 4;
        if (available < 8 + lengthBytes)
            throw new NpyFormatException(name, $"the file is {available} bytes long, too short for a version {major}.0 preamble");
        Span<byte> lengthField = stackalloc byte[4];
        stream.ReadExactly(lengthField[..lengthBytes]);
        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthField) : BinaryPrimitives.ReadUInt32LittleEndian(lengthField);
        long afterLength = available - 8 - lengthBytes;
        if (headerLength > MaxHeaderBytes)
            throw new NpyFormatException(name, $"the declared header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit");
        if (headerLength > afterLength)
            throw new NpyFormatException(name, $"the declared header length {headerLength} runs past the end of the file ({afterLength} bytes follow)");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        string text;
        try
        {
            // Versions 1 and 2 store the header in latin-1, version 3 in UTF-8.
            text = major == 3 ? new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new NpyFormatException(name, "the version 3.0 header is not valid UTF-8", e);
        }
        var (type, bigEndian, fortran, shape, numel) = ParseHeader(text, name);

        long need = numel * type.Size();
        long rest = afterLength - headerLength;
        if (rest < need)
            throw new NpyFormatException(name, $"the data is truncated: shape {Shapes.Format(shape)} needs {need} bytes but {rest} follow the header");
        if (rest > need)
            throw new NpyFormatException(name, $"{rest - need} unexpected bytes follow the {need} bytes of data for shape {Shapes.Format(shape)}");
        try
        {
            if (!fortran || shape.Length < 2) return TensorBytes.Read(stream, type, bigEndian, shape);
            // Fortran order is C order of the reversed shape; reversing the axes back gives the array.
            var reversed = shape.Reverse().ToArray();
            var axes = Enumerable.Range(0, shape.Length).Reverse().ToArray();
            return TensorBytes.Read(stream, type, bigEndian, reversed).Permute(axes).Contiguous();
        }
        catch (EndOfStreamException e)
        {
            throw new NpyFormatException(name, "the file ended while reading the data (was it truncated while being read?)", e);
        }
    }

    private static (StoredType Type, bool BigEndian, bool Fortran, int[] Shape, long Numel) ParseHeader(string text, string name)
    {
        Dictionary<string, object?> dict;
        try
        {
            dict = PythonLiteral.ParseDict(text);
        }
        catch (FormatException e)
        {
            throw new NpyFormatException(name, $"the header is not a valid dictionary literal: {e.Message}", e);
        }
        foreach (var key in dict.Keys)
            if (key is not ("descr" or "fortran_order" or "shape"))
                throw new NpyFormatException(name, $"the header has unexpected key '{key}' (expected descr, fortran_order and shape)");
        if (!dict.TryGetValue("descr", out var descrValue) || !dict.TryGetValue("fortran_order", out var fortranValue) || !dict.TryGetValue("shape", out var shapeValue))
            throw new NpyFormatException(name, $"the header lacks {(dict.ContainsKey("descr") ? dict.ContainsKey("fortran_order") ? "shape" : "fortran_order" : "descr")}");
        if (descrValue is not string descr)
            throw new NpyFormatException(name, "descr is not a type string; structured arrays are not supported");
        if (fortranValue is not bool fortran)
            throw new NpyFormatException(name, "fortran_order is not True or False");
        if (shapeValue is not List<object?> dims || dims.Any(d => d is not long))
            throw new NpyFormatException(name, "shape is not a tuple of integers");
        var (type, bigEndian) = ParseDescr(descr, name);
        var raw = new ulong[dims.Count];
        for (int i = 0; i < raw.Length; i++)
        {
            long d = (long)dims[i]!;
            if (d < 0) throw new NpyFormatException(name, $"shape ({string.Join(", ", dims)}) has a negative dimension");
            raw[i] = (ulong)d;
        }
        var problem = TensorBytes.CheckShape(raw, out var shape, out long numel);
        if (problem is not null) throw new NpyFormatException(name, $"the array {problem}");
        return (type, bigEndian, fortran, shape, numel);
    }

    private static (StoredType Type, bool BigEndian) ParseDescr(string descr, string name)
    {
        var code = descr.AsSpan();
        char order = code.Length > 0 && code[0] is '<' or '>' or '|' or '=' ? code[0] : '=';
        if (code.Length > 0 && code[0] is '<' or '>' or '|' or '=') code = code[1..];
        StoredType? type = code switch
        {
            "f4" => StoredType.Float32,
            "f8" => StoredType.Float64,
            "i8" => StoredType.Int64,
            "i4" => StoredType.Int32,
            "b1" or "?" => StoredType.Bool,
            _ => null,
        };
        if (type is null)
            throw new NpyFormatException(name, $"unsupported dtype '{(descr.Length > 40 ? descr[..40] + "..." : descr)}' (Descent reads float32 f4, float64 f8, int64 i8, int32 i4 and bool b1)");
        bool big = order == '>' || (order is '=' or '|' && !BitConverter.IsLittleEndian);
        return (type.Value, big);
    }
}
