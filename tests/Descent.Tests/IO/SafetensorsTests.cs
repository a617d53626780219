using System.Buffers.Binary;
using System.Text;
using Descent.IO;
using Xunit;

namespace Descent.Tests.IO;

public class SafetensorsTests
{
    public static TheoryData<string> FixtureEntries() => [.. IOFixtures.Where(e => e.File.EndsWith(".safetensors")).Select(e => e.ToString())];

    [Theory]
    [MemberData(nameof(FixtureEntries))]
    public void ReadsFilesWrittenPerSpecFromPyTorchAndNumPyExactly(string id)
    {
        var entry = IOFixtures.Entries.Single(e => e.ToString() == id);
        var file = Safetensors.Load(IOFixtures.PathOf(entry.File));
        IOFixtures.AssertExact(entry, file[entry.Key!]);
        Assert.Equal(entry.Metadata!, file.Metadata.ToDictionary());
        Assert.Equal(IOFixtures.Entries.Count(e => e.File == entry.File), file.Count);
    }

    [Theory]
    [InlineData("linear.safetensors")]
    [InlineData("dtypes.safetensors")]
    public void WritesTheReferenceLayoutByteForByte(string name)
    {
        var bytes = File.ReadAllBytes(IOFixtures.PathOf(name));
        var file = Safetensors.Load(bytes, name);
        var metadata = file.Metadata.Count == 0 ? null : file.Metadata;
        Assert.Equal(bytes, Safetensors.Serialize(file.Tensors, metadata));
    }

    [Fact]
    public void MatchesTheReferenceTestVectors()
    {
        // The reference implementation's own serialization tests: one F32 tensor, and an empty file with and without metadata.
        var t = Tensor.From(new float[] { 0, 1, 2, 3, 4, 5 }).Reshape(1, 2, 3);
        var header = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
        var expected = Frame(header, [0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64]);
        Assert.Equal(expected, Safetensors.Serialize(new Dictionary<string, Tensor> { ["attn.0"] = t }));
        Assert.Equal(Frame("{}      ", []), Safetensors.Serialize(new Dictionary<string, Tensor>()));
        Assert.Equal(Frame("{\"__metadata__\":{\"framework\":\"pt\"}}     ", []),
            Safetensors.Serialize(new Dictionary<string, Tensor>(), new Dictionary<string, string> { ["framework"] = "pt" }));
    }

    [Fact]
    public void HeaderIsPaddedWithSpacesAndTensorsAreAlignedAndTileTheBuffer()
    {
        var bytes = Safetensors.Serialize(IOFixtures.Sample());
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0ul, n % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        var json = header.TrimEnd(' ');
        Assert.InRange(header.Length - json.Length, 0, 7);
        Assert.EndsWith("}", json);
        using var doc = System.Text.Json.JsonDocument.Parse(header);
        var spans = doc.RootElement.EnumerateObject()
            .Select(p => (Size: p.Value.GetProperty("dtype").GetString() switch { "BOOL" => 1, "F32" => 4, _ => 8 },
                Begin: p.Value.GetProperty("data_offsets")[0].GetInt64(), End: p.Value.GetProperty("data_offsets")[1].GetInt64()))
            .ToList();
        long at = 0;
        foreach (var s in spans)
        {
            Assert.Equal(at, s.Begin);
            Assert.Equal(0, (8 + (long)n + s.Begin) % s.Size);
            at = s.End;
        }
        Assert.Equal(bytes.Length - 8 - (long)n, at);
    }

    [Fact]
    public void RoundTripsEveryDTypeShapeAndMetadataThroughAFile()
    {
        using var dir = TempDir.Create();
        var path = Path.Combine(dir.Path, "model.safetensors");
        var tensors = IOFixtures.Sample();
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "é \"quoted\" <tag> 中" };
        Safetensors.Save(path, tensors, metadata);
        var file = Safetensors.Load(path);
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), file.Keys);
        foreach (var (name, t) in tensors) IOFixtures.AssertSameTensor(t, file[name]);
        Assert.Equal(metadata, file.Metadata.ToDictionary());
        Assert.Equal([Path.GetFileName(path)], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void LoadedTensorsAreFreshLeavesThatOwnTheirData()
    {
        var w = Tensor.From(new float[] { 1, 2 }, requiresGrad: true);
        var file = Safetensors.Load(Safetensors.Serialize(new Dictionary<string, Tensor> { ["w"] = w }));
        Assert.False(file["w"].RequiresGrad);
        file["w"].FillInPlace(0);
        Assert.Equal([1f, 2f], w.ToArray<float>());
    }

    [Fact]
    public void StreamVariantsReadFromTheCurrentPositionAndAcceptUnseekableStreams()
    {
        var bytes = Safetensors.Serialize(IOFixtures.Sample());
        var withPrefix = new MemoryStream();
        withPrefix.Write([1, 2, 3]);
        withPrefix.Write(bytes);
        withPrefix.Position = 3;
        Assert.Equal(IOFixtures.Sample().Count, Safetensors.Load(withPrefix).Count);
        Assert.Equal(IOFixtures.Sample().Count, Safetensors.Load(new ForwardOnlyStream(bytes)).Count);
        var output = new MemoryStream();
        Safetensors.Save(output, IOFixtures.Sample());
        Assert.Equal(bytes, output.ToArray());
    }

    [Fact]
    public void WriterRejectsTheReservedNameAndNullTensors()
    {
        var e = Assert.Throws<ArgumentException>(() => Safetensors.Serialize(new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Zeros(1) }));
        Assert.Contains("reserved", e.Message);
        Assert.Throws<ArgumentException>(() => Safetensors.Serialize(new Dictionary<string, Tensor> { ["x"] = null! }));
    }

    [Fact]
    public void NamesAndMetadataThatUtf8CannotHoldAreRefusedAndPairedSurrogatesRoundTrip()
    {
        // A lone surrogate used to be written as U+FFFD, so the file gave the tensor back under another name.
        var one = Tensor.Ones(1);
        var e = Assert.Throws<ArgumentException>(() => Safetensors.Serialize(new Dictionary<string, Tensor> { ["w\uD800"] = one }));
        Assert.Contains("lone surrogate U+D800 at index 1", e.Message);
        Assert.Throws<ArgumentException>(() => Safetensors.Serialize(new Dictionary<string, Tensor>(), new Dictionary<string, string> { ["k\uDC00"] = "v" }));
        Assert.Throws<ArgumentException>(() => Safetensors.Serialize(new Dictionary<string, Tensor>(), new Dictionary<string, string> { ["k"] = "\uD83D" }));

        var file = Safetensors.Load(Safetensors.Serialize(new Dictionary<string, Tensor> { ["w\U0001F600"] = one }, new Dictionary<string, string> { ["\U0001F600"] = "\U0001F600" }));
        Assert.Equal(["w\U0001F600"], file.Keys);
        Assert.Equal("\U0001F600", file.Metadata["\U0001F600"]);
    }

    [Fact]
    public void MissingTensorNameIsReportedWithTheNamesPresent()
    {
        var file = Safetensors.Load(File.ReadAllBytes(IOFixtures.PathOf("linear.safetensors")));
        var e = Assert.Throws<KeyNotFoundException>(() => file["0.weight"]);
        Assert.Contains("'bias', 'weight'", e.Message);
    }

    /// <summary>An 8-byte little-endian length, the header text, then the data.</summary>
    internal static byte[] Frame(string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var result = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)h.Length);
        h.CopyTo(result, 8);
        data.CopyTo(result, 8 + h.Length);
        return result;
    }
}

/// <summary>A read-only stream that cannot seek or report its length, like a network stream.</summary>
internal sealed class ForwardOnlyStream(byte[] data) : Stream
{
    private readonly MemoryStream _inner = new(data);
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7));
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    private TempDir(string path) => Path = path;

    public string Path { get; }

    public static TempDir Create()
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "descent-io-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return new TempDir(path);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
