using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace Descent.IO;

/// <summary>
/// Reads and writes the safetensors format (Hugging Face's <c>safetensors.torch.save_file</c>/<c>load_file</c>): an
/// 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each tensor name to its <c>dtype</c>,
/// <c>shape</c> and <c>data_offsets</c> (plus an optional <c>__metadata__</c> string map), padded with spaces to a
/// multiple of 8, then the tensors' little-endian, row-major bytes tiling the rest of the file.
/// </summary>
/// <remarks>
/// <para>Dtypes: F32, F64, I64 and BOOL map to <see cref="DType.Float32"/>, <see cref="DType.Float64"/>,
/// <see cref="DType.Int64"/> and <see cref="DType.Bool"/>; I32 is read into Int64 tensors. Other dtypes are rejected.</para>
/// <para>The reader trusts nothing it has not checked: the header length against the file and
/// <see cref="MaxHeaderBytes"/>, the JSON (valid UTF-8, one object, no duplicate names or fields, no unknown fields),
/// dtypes, shapes (non-negative, no overflow, at most 64 dims and <see cref="Array.MaxLength"/> elements), and that
/// every tensor's offsets match its size and the tensors tile the data buffer exactly: no gap, no overlap, no byte
/// left over. Only then does it allocate. Every problem is a <see cref="SafetensorsFormatException"/>.</para>
/// <para>The writer lays tensors out as the reference implementation does (by descending dtype alignment, then by
/// name), so each tensor's data is aligned to its element size, and writes files atomically: see
/// <see cref="Save(string, IReadOnlyDictionary{string, Tensor}, IReadOnlyDictionary{string, string}?)"/>.</para>
/// </remarks>
public static class Safetensors
{
    /// <summary>The largest header accepted, as in the reference implementation (100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>
    /// Writes <paramref name="tensors"/> (and <paramref name="metadata"/>, if given, as <c>__metadata__</c>) to
    /// <paramref name="path"/>. The file is written to a temporary file in the same folder and renamed into place, so
    /// an existing file is replaced only by a complete new one.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor or metadata value is null, a name is the reserved <c>__metadata__</c>, a name, key or value has a lone surrogate (UTF-8 cannot hold it), a tensor has more than 64 dimensions, or the header would pass <see cref="MaxHeaderBytes"/>.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var plan = Prepare(tensors, metadata);
        AtomicFile.Write(path, stream => Write(stream, plan));
    }

    /// <summary>Writes the safetensors bytes of <paramref name="tensors"/> to <paramref name="stream"/> at its current position.</summary>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Write(stream, Prepare(tensors, metadata));
    }

    /// <summary>The safetensors bytes of <paramref name="tensors"/>.</summary>
    public static byte[] Serialize(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var plan = Prepare(tensors, metadata);
        var memory = new MemoryStream();
        Write(memory, plan);
        return memory.ToArray();
    }

    /// <summary>Reads the safetensors file at <paramref name="path"/>.</summary>
    /// <exception cref="SafetensorsFormatException">The file is malformed; the message names the file and the problem.</exception>
    public static SafetensorsFile Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(stream, path);
    }

    /// <summary>
    /// Reads safetensors bytes from <paramref name="stream"/>, from its current position to its end.
    /// <paramref name="name"/> is used in error messages. A stream that cannot seek is first copied into memory.
    /// </summary>
    /// <exception cref="SafetensorsFormatException">The bytes are malformed.</exception>
    public static SafetensorsFile Load(Stream stream, string name = "<stream>")
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Read(TensorBytes.Seekable(stream), name);
    }

    /// <summary>Reads safetensors <paramref name="bytes"/>; <paramref name="name"/> is used in error messages.</summary>
    /// <exception cref="SafetensorsFormatException">The bytes are malformed.</exception>
    public static SafetensorsFile Load(byte[] bytes, string name = "<bytes>")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return Read(new MemoryStream(bytes, writable: false), name);
    }

    private sealed record Planned(byte[] Header, List<Tensor> Order);

    private static Planned Prepare(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var items = new List<KeyValuePair<string, Tensor>>(tensors.Count);
        foreach (var kv in tensors)
        {
            if (kv.Value is null) throw new ArgumentException($"Safetensors.Save: tensor '{kv.Key}' is null", nameof(tensors));
            if (kv.Key == MetadataKey) throw new ArgumentException($"Safetensors.Save: '{MetadataKey}' is reserved for the metadata map and cannot name a tensor", nameof(tensors));
            FileNames.ThrowIfNotUtf8(kv.Key, $"Safetensors.Save: tensor name '{kv.Key}'", nameof(tensors));
            TensorBytes.ThrowIfTooManyDims(kv.Value, $"Safetensors.Save: tensor '{kv.Key}'", nameof(tensors));
            items.Add(kv);
        }
        // The reference layout: larger elements first, so every tensor starts at a multiple of its element size.
        items.Sort((a, b) =>
        {
            int c = Alignment(b.Value.DType).CompareTo(Alignment(a.Value.DType));
            return c != 0 ? c : string.CompareOrdinal(a.Key, b.Key);
        });

        var json = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (metadata is not null)
            {
                w.WriteStartObject(MetadataKey);
                foreach (var kv in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (kv.Value is null) throw new ArgumentException($"Safetensors.Save: metadata value for '{kv.Key}' is null", nameof(metadata));
                    FileNames.ThrowIfNotUtf8(kv.Key, $"Safetensors.Save: metadata key '{kv.Key}'", nameof(metadata));
                    FileNames.ThrowIfNotUtf8(kv.Value, $"Safetensors.Save: metadata value for '{kv.Key}'", nameof(metadata));
                    w.WriteString(kv.Key, kv.Value);
                }
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in items)
            {
                long end = offset + TensorBytes.ByteCount(t);
                w.WriteStartObject(name);
                w.WriteString("dtype", Code(t.DType));
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(end);
                w.WriteEndArray();
                w.WriteEndObject();
                offset = end;
            }
            w.WriteEndObject();
        }
        int padded = (json.WrittenCount + 7) / 8 * 8;
        if (padded > MaxHeaderBytes)
            throw new ArgumentException($"Safetensors.Save: the header of names, shapes and metadata takes {padded} bytes, more than the {MaxHeaderBytes} bytes that readers accept (this one and the reference implementation)", metadata is null ? nameof(tensors) : nameof(metadata));
        var header = new byte[padded];
        json.WrittenSpan.CopyTo(header);
        header.AsSpan(json.WrittenCount).Fill((byte)' ');
        return new Planned(header, items.ConvertAll(kv => kv.Value));
    }

    private static void Write(Stream stream, Planned plan)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)plan.Header.Length);
        stream.Write(length);
        stream.Write(plan.Header);
        foreach (var t in plan.Order) TensorBytes.WriteLittleEndian(stream, t);
    }

    private static int Alignment(DType dtype) => dtype switch
    {
        // The reference orders its dtypes by alignment: BOOL < ... < F32 < F64 < I64.
        DType.Int64 => 3,
        DType.Float64 => 2,
        DType.Float32 => 1,
        _ => 0,
    };

    private static string Code(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Int64 => "I64",
        _ => "BOOL",
    };

    private sealed record Entry(string Name, string DTypeCode, StoredType Type, int[] Shape, long Numel, ulong Begin, ulong End);

    private static SafetensorsFile Read(Stream stream, string name)
    {
        long available = stream.Length - stream.Position;
        if (available < 8)
            throw new SafetensorsFormatException(name, $"the file is {available} bytes long, too short to hold the 8-byte header length");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > MaxHeaderBytes)
            throw new SafetensorsFormatException(name, $"the declared header length {n} exceeds the {MaxHeaderBytes}-byte limit");
        if (n > (ulong)(available - 8))
            throw new SafetensorsFormatException(name, $"the declared header length {n} runs past the end of the file ({available - 8} bytes follow the length)");
        var header = new byte[n];
        stream.ReadExactly(header);
        var (entries, metadata) = ParseHeader(header, name);
        long dataLength = available - 8 - (long)n;
        Validate(entries, dataLength, name);

        var tensors = new SortedDictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var e in entries) tensors.Add(e.Name, TensorBytes.Read(stream, e.Type, bigEndian: false, e.Shape));
        }
        catch (EndOfStreamException ex)
        {
            throw new SafetensorsFormatException(name, "the file ended while reading tensor data (was it truncated while being read?)", ex);
        }
        return new SafetensorsFile(tensors, metadata);
    }

    private static void Validate(List<Entry> entries, long dataLength, string name)
    {
        foreach (var e in entries)
        {
            var range = $"data_offsets [{e.Begin}, {e.End}]";
            if (e.Begin > e.End)
                throw new SafetensorsFormatException(name, $"tensor '{e.Name}' has {range} whose begin is past its end");
            if (e.End > (ulong)dataLength)
                throw new SafetensorsFormatException(name, $"tensor '{e.Name}' has {range}, past the end of the {dataLength}-byte data buffer");
            long need = e.Numel * e.Type.Size();
            if (e.End - e.Begin != (ulong)need)
                throw new SafetensorsFormatException(name, $"tensor '{e.Name}' has {range} ({e.End - e.Begin} bytes) but {e.DTypeCode} shape {Shapes.Format(e.Shape)} needs {need} bytes");
        }
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End != b.End ? a.End.CompareTo(b.End) : string.CompareOrdinal(a.Name, b.Name));
        ulong at = 0;
        string? previous = null;
        foreach (var e in entries)
        {
            if (e.Begin < at)
                throw new SafetensorsFormatException(name, $"tensor '{e.Name}' (bytes {e.Begin} to {e.End}) overlaps tensor '{previous}', which ends at byte {at}");
            if (e.Begin > at)
                throw new SafetensorsFormatException(name, $"bytes {at} to {e.Begin} of the data buffer, before tensor '{e.Name}', belong to no tensor");
            at = e.End;
            previous = e.Name;
        }
        if (at != (ulong)dataLength)
            throw new SafetensorsFormatException(name, $"bytes {at} to {dataLength} at the end of the data buffer belong to no tensor");
    }

    private static (List<Entry> Entries, SortedDictionary<string, string> Metadata) ParseHeader(byte[] header, string name)
    {
        if (header.Length == 0 || header[0] != (byte)'{')
            throw new SafetensorsFormatException(name, header.Length == 0 ? "the header is empty" : $"the header does not start with '{{' (first byte 0x{header[0]:X2}); this is not a safetensors file");
        if (!Utf8.IsValid(header))
            throw new SafetensorsFormatException(name, "the header is not valid UTF-8");
        var entries = new List<Entry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        SortedDictionary<string, string>? metadata = null;
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 });
        try
        {
            Next(ref reader, name);
            while (Next(ref reader, name) != JsonTokenType.EndObject)
            {
                var key = reader.GetString()!;
                if (key == MetadataKey)
                {
                    if (metadata is not null) throw new SafetensorsFormatException(name, $"the header has '{MetadataKey}' twice");
                    metadata = ReadMetadata(ref reader, name);
                }
                else
                {
                    if (!names.Add(key)) throw new SafetensorsFormatException(name, $"the header names tensor '{key}' twice");
                    entries.Add(ReadEntry(ref reader, key, name));
                }
            }
            if (reader.Read()) throw new SafetensorsFormatException(name, "the header has content after its JSON object");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new SafetensorsFormatException(name, $"the header is not valid JSON of the expected form: {e.Message}", e);
        }
        return (entries, metadata ?? new SortedDictionary<string, string>(StringComparer.Ordinal));
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader, string name)
    {
        if (!reader.Read()) throw new SafetensorsFormatException(name, "the header's JSON ends early");
        return reader.TokenType;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string name, string what)
    {
        if (Next(ref reader, name) != type)
            throw new SafetensorsFormatException(name, $"{what}, but the header has {Describe(ref reader)}");
    }

    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String or JsonTokenType.PropertyName => $"the string \"{Clip(reader.GetString())}\"",
        JsonTokenType.Number => $"the number {Clip(Encoding.UTF8.GetString(reader.ValueSpan))}",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => reader.TokenType.ToString(),
    };

    private static string Clip(string? s) => s is null ? "" : s.Length <= 40 ? s : s[..40] + "...";

    private static SortedDictionary<string, string> ReadMetadata(ref Utf8JsonReader reader, string name)
    {
        Expect(ref reader, JsonTokenType.StartObject, name, $"'{MetadataKey}' must be an object of strings");
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        while (Next(ref reader, name) != JsonTokenType.EndObject)
        {
            var key = reader.GetString()!;
            Expect(ref reader, JsonTokenType.String, name, $"'{MetadataKey}' value for '{key}' must be a string");
            if (!map.TryAdd(key, reader.GetString()!))
                throw new SafetensorsFormatException(name, $"'{MetadataKey}' has key '{key}' twice");
        }
        return map;
    }

    private static Entry ReadEntry(ref Utf8JsonReader reader, string tensor, string name)
    {
        Expect(ref reader, JsonTokenType.StartObject, name, $"tensor '{tensor}' must be an object with dtype, shape and data_offsets");
        string? dtype = null;
        List<ulong>? shape = null, offsets = null;
        while (Next(ref reader, name) != JsonTokenType.EndObject)
        {
            var field = reader.GetString()!;
            switch (field)
            {
                case "dtype" when dtype is null:
                    Expect(ref reader, JsonTokenType.String, name, $"tensor '{tensor}': dtype must be a string");
                    dtype = reader.GetString()!;
                    break;
                case "shape" when shape is null:
                    shape = ReadIntegers(ref reader, name, $"tensor '{tensor}': shape", TensorBytes.MaxRank);
                    break;
                case "data_offsets" when offsets is null:
                    offsets = ReadIntegers(ref reader, name, $"tensor '{tensor}': data_offsets", 2);
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw new SafetensorsFormatException(name, $"tensor '{tensor}' has field '{field}' twice");
                default:
                    throw new SafetensorsFormatException(name, $"tensor '{tensor}' has unknown field '{Clip(field)}' (expected dtype, shape and data_offsets)");
            }
        }
        if (dtype is null || shape is null || offsets is null)
            throw new SafetensorsFormatException(name, $"tensor '{tensor}' lacks {(dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets")}");
        if (offsets.Count != 2)
            throw new SafetensorsFormatException(name, $"tensor '{tensor}': data_offsets must have 2 entries, not {offsets.Count}");
        var type = ParseDType(dtype, tensor, name);
        var problem = TensorBytes.CheckShape(shape.ToArray(), out var dims, out long numel);
        if (problem is not null) throw new SafetensorsFormatException(name, $"tensor '{tensor}' {problem}");
        return new Entry(tensor, dtype, type, dims, numel, offsets[0], offsets[1]);
    }

    private static List<ulong> ReadIntegers(ref Utf8JsonReader reader, string name, string what, int max)
    {
        Expect(ref reader, JsonTokenType.StartArray, name, $"{what} must be an array of non-negative integers");
        var list = new List<ulong>();
        while (Next(ref reader, name) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt64(out ulong v))
                throw new SafetensorsFormatException(name, $"{what} must hold non-negative integers, but has {Describe(ref reader)}");
            if (list.Count == max)
                throw new SafetensorsFormatException(name, $"{what} has more than {max} entries");
            list.Add(v);
        }
        return list;
    }

    private static StoredType ParseDType(string code, string tensor, string name) => code switch
    {
        "F32" => StoredType.Float32,
        "F64" => StoredType.Float64,
        "I64" => StoredType.Int64,
        "I32" => StoredType.Int32,
        "BOOL" => StoredType.Bool,
        "F16" or "BF16" or "U8" or "I8" or "I16" or "U16" or "U32" or "U64" or "F8_E5M2" or "F8_E4M3" or "F8_E8M0" or "F4" or "F6_E2M3" or "F6_E3M2" or "C64"
            => throw new SafetensorsFormatException(name, $"tensor '{tensor}' has dtype {code}, which Descent does not read (it reads F32, F64, I64, I32 and BOOL)"),
        _ => throw new SafetensorsFormatException(name, $"tensor '{tensor}' has unknown dtype '{Clip(code)}'"),
    };
}
