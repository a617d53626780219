using System.Buffers.Binary;
using System.IO.Compression;
using Descent.IO;
using Xunit;

namespace Descent.Tests.IO;

public class NpzTests
{
    [Theory]
    [InlineData("arrays.npz")]
    [InlineData("arrays_compressed.npz")]
    public void ReadsNumPysSavezAndSavezCompressedExactly(string file)
    {
        var arrays = Npz.Load(IOFixtures.PathOf(file));
        var expected = IOFixtures.Where(e => e.File == file).ToList();
        Assert.Equal(expected.Select(e => e.Key!).Order(StringComparer.Ordinal), arrays.Keys);
        foreach (var e in expected) IOFixtures.AssertExact(e, arrays[e.Key!]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RoundTripsThroughStoredAndDeflatedArchives(bool compress)
    {
        using var dir = TempDir.Create();
        var path = Path.Combine(dir.Path, "arrays.npz");
        var tensors = IOFixtures.Sample();
        Npz.Save(path, tensors, compress);
        var back = Npz.Load(path);
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), back.Keys);
        foreach (var (name, t) in tensors) IOFixtures.AssertSameTensor(t, back[name]);

        using var zip = ZipFile.OpenRead(path);
        Assert.Equal(tensors.Keys.Select(k => k + ".npy").Order(), zip.Entries.Select(e => e.FullName).Order());
        var cube = zip.GetEntry("cube.npy")!;
        if (compress) Assert.True(cube.CompressedLength < cube.Length);
        else Assert.Equal(cube.Length, cube.CompressedLength);
    }

    [Fact]
    public void ANameThatUtf8CannotHoldIsRefusedAndPairedSurrogatesRoundTrip()
    {
        // Zip member names are UTF-8: a lone surrogate used to be written as U+FFFD, so NumPy and Descent read another name.
        using var dir = TempDir.Create();
        var path = Path.Combine(dir.Path, "arrays.npz");
        var e = Assert.Throws<ArgumentException>(() => Npz.Save(path, new Dictionary<string, Tensor> { ["w\uD800"] = Tensor.Ones(1) }));
        Assert.Contains("lone surrogate U+D800 at index 1", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
        Npz.Save(path, new Dictionary<string, Tensor> { ["w\U0001F600"] = Tensor.Ones(1) });
        Assert.Equal(["w\U0001F600"], Npz.Load(path).Keys);
    }

    [Fact]
    public void ANameWithANulCharacterIsRefused()
    {
        // Python's zipfile cuts a member's name at a NUL: np.load read 'w\0b.npy' as an array named 'w'.
        using var dir = TempDir.Create();
        var path = Path.Combine(dir.Path, "arrays.npz");
        var e = Assert.Throws<ArgumentException>(() => Npz.Save(path, new Dictionary<string, Tensor> { ["w\0b"] = Tensor.Ones(1) }));
        Assert.Contains("'w\\0b' has a NUL character", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void UnseekableStreamsAreRead()
    {
        var tensors = IOFixtures.Sample();
        var bytes = new MemoryStream();
        Npz.Save(bytes, tensors, compress: true);
        var back = Npz.Load(new ForwardOnlyStream(bytes.ToArray()), "piped.npz");
        foreach (var (name, t) in tensors) IOFixtures.AssertSameTensor(t, back[name]);
    }

    private static byte[] Zip(params (string Name, byte[] Data)[] members)
    {
        var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data) in members)
            {
                using var s = zip.CreateEntry(name).Open();
                s.Write(data);
            }
        }
        return memory.ToArray();
    }

    private static byte[] NpyOf(Tensor t)
    {
        var s = new MemoryStream();
        Npy.Save(s, t);
        return s.ToArray();
    }

    [Fact]
    public void HostileArchivesAreRejectedNamingTheArchiveAndMember()
    {
        var good = NpyOf(Tensor.Ones(2));
        var cases = new (byte[] File, string Message)[]
        {
            ([], "not a readable zip archive"),
            ("this is not a zip file at all"u8.ToArray(), "not a readable zip archive"),
            (Zip(("a.npy", good), ("notes.txt", [1, 2])), "member 'notes.txt' is not a .npy file"),
            (Zip(("a.npy", good), ("a.npy", good)), "holds array 'a' twice"),
            (Zip(("a.npy", good), ("b.npy", "PK garbage"u8.ToArray())), "hostile.npz/b.npy: not a .npy file"),
            (Zip(("a.npy", good[..^2])), "hostile.npz/a.npy: the data is truncated"),
        };
        foreach (var (file, message) in cases)
        {
            var e = Assert.Throws<NpyFormatException>(() => Npz.Load(file, "hostile.npz"));
            Assert.StartsWith("hostile.npz", e.Message);
            Assert.Contains(message, e.Message);
        }
    }

    [Fact]
    public void TruncatedAndCorruptedArchivesThrowOnlyTheFormatException()
    {
        var bytes = File.ReadAllBytes(IOFixtures.PathOf("arrays_compressed.npz"));
        for (int cut = 0; cut < bytes.Length; cut += 7)
            Assert.Throws<NpyFormatException>(() => Npz.Load(bytes[..cut], "cut.npz"));
    }

    [Fact]
    public void AMemberThatLiesAboutItsSizeIsRejected()
    {
        var bytes = Zip(("a.npy", NpyOf(Tensor.Ones(4))));
        // Patch the uncompressed size in the central directory (offset 24 in its record) to claim one more byte.
        int cd = IndexOf(bytes, [0x50, 0x4B, 0x01, 0x02]);
        bytes[cd + 24]++;
        var e = Assert.Throws<NpyFormatException>(() => Npz.Load(bytes, "liar.npz"));
        Assert.StartsWith("liar.npz", e.Message);
    }

    [Fact]
    public void AMemberOverTwoGibibytesIsRefusedBeforeItIsRead()
    {
        // 2.2 MB of noise deflates to about as much, so a declared 2.2 GB passes the ratio check; reading it into memory
        // ended in 'Stream was too long' after gigabytes of allocation.
        var noise = new byte[2_200_000];
        new Random(3).NextBytes(noise);
        var bytes = Zip(("big.npy", noise));
        int cd = IndexOf(bytes, [0x50, 0x4B, 0x01, 0x02]);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(cd + 24), 2_200_000_000);
        var e = Assert.Throws<NpyFormatException>(() => Npz.Load(bytes, "bomb.npz"));
        Assert.Contains("member 'big.npy' holds 2200000000 bytes", e.Message);
    }

    [Fact]
    public void AMemberThatDoesNotMatchItsCrcIsRefused()
    {
        // NumPy refuses this archive ('Bad CRC-32'); it loaded as [1, 2, 12].
        var stream = new MemoryStream();
        Npz.Save(stream, new Dictionary<string, Tensor> { ["x"] = Tensor.From(new[] { 1f, 2f, 3f }) });
        var bytes = stream.ToArray();
        int cd = IndexOf(bytes, [0x50, 0x4B, 0x01, 0x02]);
        Assert.Equal(0x40, bytes[cd - 1]); // the last byte of 3.0f, the member's last data byte
        bytes[cd - 1] = 0x41;
        var e = Assert.Throws<NpyFormatException>(() => Npz.Load(bytes, "damaged.npz"));
        Assert.StartsWith("damaged.npz", e.Message);
        Assert.Contains("CRC-32", e.Message);
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
