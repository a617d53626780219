using System.Buffers.Binary;
using System.Text;
using Descent.IO;
using Xunit;
using static Descent.Tests.IO.SafetensorsTests;

namespace Descent.Tests.IO;

public class SafetensorsHostileTests
{
    private static byte[] Bytes(int n, byte value = 0) => Enumerable.Repeat(value, n).ToArray();

    private static byte[] Length(ulong n, int extra = 0)
    {
        var b = new byte[8 + extra];
        BinaryPrimitives.WriteUInt64LittleEndian(b, n);
        return b;
    }

    private static string T(string name, string dtype, string shape, string offsets) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":{offsets}}}";

    private static byte[] One(string dtype, string shape, string offsets, int data) => Frame("{" + T("x", dtype, shape, offsets) + "}", Bytes(data));

    /// <summary>Each hostile file and a fragment its error message must contain.</summary>
    private static readonly Dictionary<string, (byte[] File, string Message)> Cases = new()
    {
        ["empty file"] = ([], "too short"),
        ["five bytes"] = (Bytes(5), "too short"),
        ["header length 2^64-1"] = (Length(ulong.MaxValue, 16), "exceeds the 100000000-byte limit"),
        ["header length just over the cap"] = (Length(100_000_001, 16), "exceeds"),
        ["header length beyond the file"] = (Length(100, 20), "runs past the end of the file (20 bytes follow"),
        ["header cut short"] = (Frame("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", Bytes(4))[..30], "runs past the end"),
        ["data cut short"] = (One("F32", "[2,3]", "[0,24]", 20), "past the end of the 20-byte data buffer"),
        ["header length zero"] = (Length(0, 8), "header is empty"),
        ["header not an object"] = (Frame("[1,2,3]", []), "does not start with '{'"),
        ["not JSON"] = (Frame("{not json}", []), "not valid JSON"),
        ["unclosed JSON"] = (Frame("{\"x\":{\"dtype\":\"F32\"", []), "not valid JSON"),
        ["content after the object"] = (Frame("{} {}", []), "not valid JSON"),
        ["JSON comments"] = (Frame("{/* hi */}", []), "not valid JSON"),
        ["invalid UTF-8"] = (Frame("{\"\u00ff\":1}", []).Select(b => b == 0xC3 ? (byte)0xFF : b).ToArray(), "not valid UTF-8"),
        ["metadata nested arrays"] = (Frame("{\"__metadata__\":" + new string('[', 100) + new string(']', 100) + "}", []), "'__metadata__' must be an object of strings, but the header has an array"),
        ["tensor not an object"] = (Frame("{\"x\":[1,2]}", []), "tensor 'x' must be an object"),
        ["overlapping offsets"] = (Frame("{" + T("a", "F32", "[2]", "[0,8]") + "," + T("b", "F32", "[2]", "[4,12]") + "}", Bytes(12)), "tensor 'b' (bytes 4 to 12) overlaps tensor 'a'"),
        ["identical offsets"] = (Frame("{" + T("a", "F32", "[2]", "[0,8]") + "," + T("b", "F32", "[2]", "[0,8]") + "}", Bytes(8)), "overlaps"),
        ["empty tensor inside another"] = (Frame("{" + T("a", "F32", "[2]", "[0,8]") + "," + T("b", "F32", "[0]", "[4,4]") + "}", Bytes(8)), "overlaps"),
        ["gap between tensors"] = (Frame("{" + T("a", "F32", "[2]", "[0,8]") + "," + T("b", "F32", "[2]", "[12,20]") + "}", Bytes(20)), "bytes 8 to 12 of the data buffer, before tensor 'b', belong to no tensor"),
        ["gap at the start"] = (One("F32", "[1]", "[4,8]", 8), "bytes 0 to 4"),
        ["unused bytes at the end"] = (One("F32", "[2]", "[0,8]", 12), "bytes 8 to 12 at the end of the data buffer belong to no tensor"),
        ["data but no tensors"] = (Frame("{}      ", Bytes(4)), "bytes 0 to 4 at the end"),
        ["offsets out of range"] = (One("F32", "[4]", "[0,16]", 8), "past the end of the 8-byte data buffer"),
        ["offsets at 2^64-1"] = (One("F32", "[1]", "[18446744073709551611,18446744073709551615]", 4), "past the end"),
        ["offsets beyond 2^64"] = (One("F32", "[1]", "[0,18446744073709551616]", 4), "non-negative integers"),
        ["begin after end"] = (One("F32", "[2]", "[8,0]", 8), "begin is past its end"),
        ["size does not match shape"] = (One("F32", "[2,3]", "[0,20]", 20), "(20 bytes) but F32 shape [2, 3] needs 24 bytes"),
        ["size does not match dtype"] = (One("F64", "[2]", "[0,8]", 8), "needs 16 bytes"),
        ["negative dimension"] = (One("F32", "[-1,2]", "[0,0]", 0), "shape must hold non-negative integers, but has the number -1"),
        ["fractional dimension"] = (One("F32", "[2.5]", "[0,10]", 10), "non-negative integers"),
        ["string dimension"] = (One("F32", "[\"2\"]", "[0,8]", 8), "non-negative integers"),
        ["dimension beyond int"] = (One("F32", "[4294967296]", "[0,0]", 0), "more than a tensor dimension can hold"),
        ["shape product overflows 64 bits"] = (One("F32", "[2147483647,2147483647,2147483647]", "[0,0]", 0), "element count overflows"),
        ["shape product beyond an array"] = (One("F32", "[65536,65536]", "[0,0]", 0), "more than a tensor can hold"),
        ["too many dimensions"] = (One("F32", "[" + string.Join(",", Enumerable.Repeat(1, 65)) + "]", "[0,4]", 4), "more than 64 entries"),
        ["three offsets"] = (One("F32", "[1]", "[0,4,4]", 4), "more than 2 entries"),
        ["one offset"] = (One("F32", "[1]", "[4]", 4), "data_offsets must have 2 entries, not 1"),
        ["offsets not an array"] = (One("F32", "[1]", "4", 4), "data_offsets must be an array"),
        ["duplicate tensor names"] = (Frame("{" + T("a", "F32", "[1]", "[0,4]") + "," + T("a", "F32", "[1]", "[4,8]") + "}", Bytes(8)), "names tensor 'a' twice"),
        ["duplicate field"] = (Frame("{\"x\":{\"dtype\":\"F32\",\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,4]}}", Bytes(4)), "has field 'dtype' twice"),
        ["unknown field"] = (Frame("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"offsets\":[0,4]}}", Bytes(4)), "unknown field 'offsets'"),
        ["missing data_offsets"] = (Frame("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", Bytes(4)), "lacks data_offsets"),
        ["missing dtype"] = (Frame("{\"x\":{\"shape\":[1],\"data_offsets\":[0,4]}}", Bytes(4)), "lacks dtype"),
        ["unknown dtype"] = (One("Q7", "[1]", "[0,4]", 4), "unknown dtype 'Q7'"),
        ["unsupported dtype"] = (One("F16", "[2]", "[0,4]", 4), "dtype F16, which Descent does not read"),
        ["dtype not a string"] = (Frame("{\"x\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", Bytes(4)), "dtype must be a string"),
        ["metadata not an object"] = (Frame("{\"__metadata__\":\"pt\"}", []), "'__metadata__' must be an object"),
        ["metadata value not a string"] = (Frame("{\"__metadata__\":{\"epoch\":3}}", []), "'__metadata__' value for 'epoch' must be a string"),
        ["metadata twice"] = (Frame("{\"__metadata__\":{},\"__metadata__\":{}}", []), "'__metadata__' twice"),
        ["metadata key twice"] = (Frame("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", []), "key 'a' twice"),
        ["lone surrogate escape"] = (Frame("{\"\\ud800\":{}}", []), "not valid JSON"),
        ["garbage bytes"] = (new Random(7).GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), 64), "safetensors"),
    };

    public static TheoryData<string> CaseNames() => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void IsRejectedWithAClearMessageNamingTheFile(string name)
    {
        var (file, message) = Cases[name];
        var e = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(file, "hostile.safetensors"));
        Assert.StartsWith("hostile.safetensors: ", e.Message);
        Assert.Equal("hostile.safetensors", e.FileName);
        if (name != "garbage bytes") Assert.Contains(message, e.Message);
    }

    [Fact]
    public void TheFilePathIsNamedWhenLoadingFromDisk()
    {
        using var dir = TempDir.Create();
        var path = Path.Combine(dir.Path, "broken.safetensors");
        File.WriteAllBytes(path, Cases["overlapping offsets"].File);
        var e = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
    }

    [Fact]
    public void ValidatesBeforeAllocatingForDeclaredSizes()
    {
        // A 99 MB header that is not there, and a 2 GB tensor whose bytes are not there: both must fail without
        // allocating anything near the declared sizes.
        var hugeHeader = Length(99_000_000, 32);
        var hugeTensor = One("F32", "[500000000]", "[0,2000000000]", 16);
        foreach (var file in new[] { hugeHeader, hugeTensor })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(file));
            Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 1 << 20);
        }
    }

    [Fact]
    public void AcceptsTensorsListedOutOfOffsetOrderAndZeroSizedTensors()
    {
        var header = "{" + T("b", "F32", "[1]", "[4,8]") + "," + T("e", "F32", "[0,3]", "[8,8]") + "," + T("a", "F32", "[1]", "[0,4]") + "}";
        var data = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(data, 1.5f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4), -2f);
        var file = Safetensors.Load(Frame(header, data));
        Assert.Equal(1.5f, file["a"].Item<float>());
        Assert.Equal(-2f, file["b"].Item<float>());
        Assert.Equal([0, 3], file["e"].Shape.ToArray());
    }

    [Fact]
    public void BoolBytesOtherThanZeroOrOneReadAsTrue()
    {
        var file = Safetensors.Load(Frame("{" + T("m", "BOOL", "[3]", "[0,3]") + "}", [0, 1, 0xFE]));
        Assert.Equal([false, true, true], file["m"].ToArray<bool>());
        Assert.Equal(2L, file["m"].To(DType.Int64).Sum().Item<long>());
    }

    [Fact]
    public void ExceptionIsAnIOExceptionForCallersThatReportAnyLoadFailure()
    {
        IOException e = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(Encoding.ASCII.GetBytes("garbage!garbage!")));
        Assert.IsAssignableFrom<DataFormatException>(e);
    }
}
