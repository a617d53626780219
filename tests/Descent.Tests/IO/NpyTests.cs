using System.Buffers.Binary;
using System.Text;
using Descent.IO;
using Xunit;

namespace Descent.Tests.IO;

public class NpyTests
{
    public static TheoryData<string> NpyFiles() => [.. IOFixtures.Where(e => e.File.EndsWith(".npy")).Select(e => e.File)];

    public static TheoryData<string> ExactNpyFiles() => [.. IOFixtures.Where(e => e.File.EndsWith(".npy") && e.Exact).Select(e => e.File)];

    [Theory]
    [MemberData(nameof(NpyFiles))]
    public void ReadsEveryNumPyVariantExactly(string file)
    {
        // Versions 1.0/2.0/3.0, C and Fortran order, little- and big-endian, bool, int32, int64, float32, float64.
        IOFixtures.AssertExact(IOFixtures.Entries.Single(e => e.File == file), Npy.Load(IOFixtures.PathOf(file)));
    }

    [Theory]
    [MemberData(nameof(ExactNpyFiles))]
    public void WritesTheSameBytesAsNumPysSave(string file)
    {
        var bytes = File.ReadAllBytes(IOFixtures.PathOf(file));
        var output = new MemoryStream();
        Npy.Save(output, Npy.Load(bytes, file));
        Assert.Equal(bytes, output.ToArray());
    }

    [Fact]
    public void FortranOrderFilesComeBackInRowMajorOrder()
    {
        var t = Npy.Load(IOFixtures.PathOf("b1_fortran.npy"));
        Assert.Equal(new[,] { { true, false, true }, { false, false, true } }, (bool[,])t.ToArray());
        Assert.True(t.IsContiguous);
    }

    [Fact]
    public void RoundTripsEveryDTypeThroughFiles()
    {
        using var dir = TempDir.Create();
        foreach (var (name, t) in IOFixtures.Sample())
        {
            var path = Path.Combine(dir.Path, name + ".npy");
            Npy.Save(path, t);
            IOFixtures.AssertSameTensor(t, Npy.Load(path));
        }
        Assert.Equal(IOFixtures.Sample().Count, Directory.GetFiles(dir.Path).Length);
    }

    [Fact]
    public void HeaderIsAlignedTo64BytesAndEndsInANewline()
    {
        foreach (var t in IOFixtures.Sample().Values)
        {
            var header = Npy.Header(t);
            Assert.Equal(0, header.Length % 64);
            Assert.Equal((byte)'\n', header[^1]);
            Assert.Equal(1, header[6]);
        }
    }

    [Fact]
    public void AHeaderTooLongForVersion1IsWrittenAsVersion2AndReadBack()
    {
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }" + new string(' ', 70_000);
        var header = Npy.Wrap(dict);
        Assert.Equal(2, header[6]);
        Assert.Equal(0, header.Length % 64);
        Assert.Equal((uint)(header.Length - 12), BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8)));
        var file = header.Concat(BitConverter.GetBytes(1.5f)).Concat(BitConverter.GetBytes(-3f)).ToArray();
        Assert.Equal([1.5f, -3f], Npy.Load(file).ToArray<float>());
        Assert.Equal(1, Npy.Wrap(dict[..100])[6]);
    }

    [Fact]
    public void AcceptsPython2LongsDoubleQuotesAndAHeaderWithoutTheTrailingComma()
    {
        var file = Npy.Wrap("{\"descr\": \"<i8\", \"shape\": (2L,), \"fortran_order\": False}")
            .Concat(BitConverter.GetBytes(7L)).Concat(BitConverter.GetBytes(-8L)).ToArray();
        Assert.Equal([7L, -8L], Npy.Load(file).ToArray<long>());
    }

    private static byte[] WithHeader(string dict, int dataBytes) => [.. Npy.Wrap(dict), .. new byte[dataBytes]];

    private static byte[] Version(byte major, byte minor)
    {
        var file = WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 4);
        file[6] = major;
        file[7] = minor;
        return file;
    }

    private static readonly Dictionary<string, (byte[] File, string Message)> Cases = new()
    {
        ["empty file"] = ([], "too short"),
        ["bad magic"] = ([.. "PK\u0003\u0004 not numpy"u8], "not a .npy file"),
        ["version 2 preamble cut short"] = ([0x93, .. "NUMPY"u8, 2, 0, 0, 0], "too short for a version 2.0 preamble"),
        ["version 4.0"] = (Version(4, 0), "unsupported .npy format version 4.0"),
        ["version 1.1"] = (Version(1, 1), "version 1.1"),
        ["header beyond the file"] = ([0x93, .. "NUMPY"u8, 1, 0, 0xFF, 0xFF, .. "{}"u8], "runs past the end of the file"),
        ["header over the cap"] = ([0x93, .. "NUMPY"u8, 2, 0, 0, 0, 0x20, 0, .. new byte[64]], "exceeds the 1048576-byte limit"),
        ["header not a dict"] = (WithHeader("['descr', '<f4']", 0), "not a valid dictionary literal"),
        ["header evaluates code"] = (WithHeader("{'descr': __import__('os').system('x'), 'fortran_order': False, 'shape': ()}", 4), "not a valid dictionary literal"),
        ["unterminated string"] = (WithHeader("{'descr': '<f4, 'fortran_order': False, 'shape': ()}", 4), "not a valid dictionary literal"),
        ["text after the dict"] = (WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': ()} x", 4), "unexpected text after the dictionary"),
        ["duplicate key"] = (WithHeader("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': ()}", 4), "key 'descr' appears twice"),
        ["missing shape"] = (WithHeader("{'descr': '<f4', 'fortran_order': False}", 4), "lacks shape"),
        ["extra key"] = (WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}", 4), "unexpected key 'x'"),
        ["structured dtype"] = (WithHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}", 4), "structured arrays are not supported"),
        ["float16"] = (WithHeader("{'descr': '<f2', 'fortran_order': False, 'shape': (2,)}", 4), "unsupported dtype '<f2'"),
        ["object array"] = (WithHeader("{'descr': '|O', 'fortran_order': False, 'shape': (1,)}", 8), "unsupported dtype '|O'"),
        ["fortran_order not a bool"] = (WithHeader("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", 4), "fortran_order is not True or False"),
        ["shape not a tuple"] = (WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': 3}", 12), "shape is not a tuple of integers"),
        ["negative dimension"] = (WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2)}", 0), "negative dimension"),
        ["dimension beyond int"] = (WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296,)}", 0), "more than a tensor dimension can hold"),
        ["integer beyond 64 bits"] = (WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", 0), "too large"),
        ["element count overflows"] = (WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2147483647, 2147483647, 2147483647)}", 0), "overflows"),
        ["truncated data"] = (WithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}", 40), "the data is truncated: shape [2, 3] needs 48 bytes but 40 follow"),
        ["trailing bytes"] = (WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 9), "1 unexpected bytes follow"),
        ["version 3 header not UTF-8"] = ([0x93, .. "NUMPY"u8, 3, 0, 4, 0, 0, 0, (byte)'{', 0xC3, 0x28, (byte)'}'], "not valid UTF-8"),
    };

    public static TheoryData<string> CaseNames() => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void HostileFilesAreRejectedWithAClearMessage(string name)
    {
        var (file, message) = Cases[name];
        var e = Assert.Throws<NpyFormatException>(() => Npy.Load(file, "hostile.npy"));
        Assert.StartsWith("hostile.npy: ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void DeclaredSizesAreCheckedBeforeAllocating()
    {
        var file = WithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 10000)}", 16);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<NpyFormatException>(() => Npy.Load(file));
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 1 << 20);
    }

    [Fact]
    public void UnseekableStreamsAreRead()
    {
        var bytes = File.ReadAllBytes(IOFixtures.PathOf("f8_fortran.npy"));
        IOFixtures.AssertExact(IOFixtures.Entries.Single(e => e.File == "f8_fortran.npy"), Npy.Load(new ForwardOnlyStream(bytes)));
        Assert.Contains("b1", Encoding.Latin1.GetString(File.ReadAllBytes(IOFixtures.PathOf("b1_c.npy"))));
    }

    [Fact]
    public void AnEmptyTensorWithLargeDimsBeforeTheZeroRoundTrips()
    {
        // The element count was checked as a running product, so [65536, 65536, 0] overflowed before the zero; the
        // readers refused such files with an ArgumentException.
        var t = Tensor.Zeros(65536, 65536, 0);
        Assert.Equal(0, t.Count);
        var npy = new MemoryStream();
        Npy.Save(npy, t);
        Assert.Equal([65536, 65536, 0], Npy.Load(npy.ToArray()).Shape.ToArray());
        var st = new MemoryStream();
        Safetensors.Save(st, new Dictionary<string, Tensor> { ["t"] = t });
        Assert.Equal([65536, 65536, 0], Safetensors.Load(st.ToArray())["t"].Shape.ToArray());
    }
}
