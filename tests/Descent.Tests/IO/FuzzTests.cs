using System.Buffers.Binary;
using CsCheck;
using Descent.IO;
using Xunit;

namespace Descent.Tests.IO;

/// <summary>
/// Property tests over random and mutated files: every load either succeeds or throws the format's documented
/// exception, never anything else (no IndexOutOfRange, OutOfMemory, Overflow, ...). The generators are CsCheck's, run
/// from fixed seeds so that every run checks the same inputs.
/// </summary>
public class FuzzTests
{
    private static readonly byte[] Interesting = [.. "0123456789-+.eE\"'{}[](),: \n\\TFN<>|"u8, 0x00, 0x01, 0x7F, 0x80, 0xC3, 0xFF];

    private static readonly Gen<byte> AnyByte = Gen.Frequency((1, Gen.Byte), (1, Gen.OneOf(Interesting)));

    /// <summary>A mutation: kind, position, byte value and length.</summary>
    private static readonly Gen<(int Kind, int Pos, byte Value, int Len)[]> Mutations =
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, int.MaxValue], AnyByte, Gen.Int[1, 16]).Array[1, 4];

    private static byte[] Mutate(byte[] source, (int Kind, int Pos, byte Value, int Len)[] mutations)
    {
        var b = new List<byte>(source);
        foreach (var (kind, rawPos, value, len) in mutations)
        {
            if (b.Count == 0) b.Add(value);
            int pos = rawPos % b.Count;
            switch (kind)
            {
                case 0: b[pos] ^= (byte)(1 << (value & 7)); break;
                case 1: b[pos] = value; break;
                case 2: b.RemoveRange(pos, b.Count - pos); break;
                case 3: b.InsertRange(pos, Enumerable.Repeat(value, len)); break;
                case 4: b.RemoveRange(pos, Math.Min(len, b.Count - pos)); break;
                default:
                    int from = (rawPos / 7) % b.Count, n = Math.Min(len, Math.Min(b.Count - from, b.Count - pos));
                    var slice = b.GetRange(from, n);
                    for (int i = 0; i < n; i++) b[pos + i] = slice[i];
                    break;
            }
        }
        return [.. b];
    }

    private static Gen<byte[]> Mutated(params byte[][] sources) =>
        Gen.Select(Gen.Int[0, sources.Length - 1], Mutations, (i, m) => Mutate(sources[i], m));

    /// <summary>Runs <paramref name="check"/> on <paramref name="iterations"/> values of <paramref name="gen"/> from a fixed seed.</summary>
    private static void Property(Gen<byte[]> gen, int iterations, uint seed, Action<byte[]> check)
    {
        var pcg = new PCG(seed, 0x5EED);
        for (int i = 0; i < iterations; i++)
        {
            var input = gen.Generate(pcg, null, out _);
            try
            {
                check(input);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"input {i} ({input.Length} bytes): {e.GetType().FullName}: {e.Message}\n{Convert.ToHexString(input)}\n{e.StackTrace}");
            }
        }
    }

    private static void LoadsOrThrows<TException>(Action load) where TException : Exception
    {
        try
        {
            load();
        }
        catch (TException)
        {
        }
    }

    private static byte[] Fixture(string name) => File.ReadAllBytes(IOFixtures.PathOf(name));

    [Fact]
    public void SafetensorsLoadSucceedsOrThrowsTheFormatException()
    {
        var sources = new[]
        {
            Safetensors.Serialize(IOFixtures.Sample(), new Dictionary<string, string> { ["format"] = "pt" }),
            Fixture("linear.safetensors"),
            Fixture("int32.safetensors"),
        };
        // Random bytes behind a plausible header length, so that the JSON parser and validator see them too.
        var framed = Gen.Select(Gen.Int[0, 300], AnyByte.Array[0, 300], (n, rest) =>
        {
            var b = new byte[8 + rest.Length];
            BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)n);
            rest.CopyTo(b, 8);
            return b;
        });
        var gen = Gen.Frequency((6, Mutated(sources)), (1, Gen.Byte.Array[0, 64]), (2, framed));
        Property(gen, 5000, 1, bytes => LoadsOrThrows<SafetensorsFormatException>(() =>
        {
            var file = Safetensors.Load(bytes);
            // Whatever loads must also save and load back to the same tensors.
            var again = Safetensors.Load(Safetensors.Serialize(file.Tensors, file.Metadata));
            Assert.Equal(file.Keys, again.Keys);
            foreach (var (name, t) in file) Assert.Equal(t.Shape.ToArray(), again[name].Shape.ToArray());
        }));
    }

    [Fact]
    public void NpyLoadSucceedsOrThrowsTheFormatException()
    {
        var sources = new[] { "f4_c.npy", "f8_fortran.npy", "i8_big.npy", "b1_c.npy", "f4_v3.npy", "i4_c.npy", "f4_scalar.npy" }.Select(Fixture).ToArray();
        var magic = AnyByte.Array[0, 200].Select(rest => (byte[])[0x93, .. "NUMPY"u8, 1, 0, (byte)rest.Length, 0, .. rest]);
        var gen = Gen.Frequency((6, Mutated(sources)), (1, Gen.Byte.Array[0, 64]), (2, magic));
        Property(gen, 5000, 2, bytes => LoadsOrThrows<NpyFormatException>(() => Npy.Load(bytes)));
    }

    [Fact]
    public void NpzLoadSucceedsOrThrowsTheFormatException()
    {
        var gen = Gen.Frequency((6, Mutated(Fixture("arrays.npz"), Fixture("arrays_compressed.npz"))), (1, Gen.Byte.Array[0, 64]));
        Property(gen, 2000, 3, bytes => LoadsOrThrows<NpyFormatException>(() => Npz.Load(bytes)));
    }

    [Fact]
    public void CsvLoadSucceedsOrThrowsTheFormatException()
    {
        var sources = new[] { Fixture("apples_oranges.csv"), "\"a\",\"b\"\r\n\"1\",\"2\"\r\n"u8.ToArray() };
        var gen = Gen.Frequency((6, Mutated(sources)), (1, Gen.Byte.Array[0, 64]));
        var options = new CsvOptions { Targets = ["b"] };
        Property(gen, 3000, 4, bytes => LoadsOrThrows<CsvFormatException>(() =>
        {
            var data = Csv.Read(new MemoryStream(bytes), bytes.Length > 100 ? new CsvOptions { Targets = ["apples"] } : options);
            Assert.Equal(data.Rows, data.Targets.Size(0));
        }));
    }
}
