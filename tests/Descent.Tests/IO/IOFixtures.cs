using System.Text.Json;
using Descent.IO;
using Xunit;

namespace Descent.Tests.IO;

/// <summary>The array fixtures written by tools/fixtures/files.py and their expected contents (files.json).</summary>
public static class IOFixtures
{
    public sealed record Entry(string File, string? Key, bool Exact, string DType, int[] Shape, JsonElement[] Values, Dictionary<string, string>? Metadata)
    {
        public override string ToString() => Key is null ? File : $"{File}:{Key}";
    }

    private static readonly Lazy<Entry[]> All = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(PathOf("files.json")));
        return [.. doc.RootElement.GetProperty("entries").EnumerateArray().Select(e => new Entry(
            e.GetProperty("file").GetString()!,
            e.TryGetProperty("key", out var k) ? k.GetString() : null,
            e.TryGetProperty("exact", out var x) && x.GetBoolean(),
            e.GetProperty("dtype").GetString()!,
            [.. e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32())],
            [.. e.GetProperty("values").EnumerateArray().Select(v => v.Clone())],
            e.TryGetProperty("metadata", out var m) ? m.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!) : null))];
    });

    public static IReadOnlyList<Entry> Entries => All.Value;

    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "IO", name);

    public static IEnumerable<Entry> Where(Func<Entry, bool> predicate) => Entries.Where(predicate);

    /// <summary>Asserts that <paramref name="actual"/> has exactly the dtype, shape and element bits the fixture lists.</summary>
    public static void AssertExact(Entry expected, Tensor actual)
    {
        Assert.Equal(expected.DType, actual.DType.Name());
        Assert.Equal(expected.Shape, actual.Shape.ToArray());
        var values = expected.Values;
        switch (actual.DType)
        {
            case DType.Float32:
                {
                    var got = actual.ToArray<float>();
                    Assert.Equal(values.Length, got.Length);
                    for (int i = 0; i < got.Length; i++) AssertSame((float)Number(values[i]), got[i], expected, i);
                    break;
                }
            case DType.Float64:
                {
                    var got = actual.ToArray<double>();
                    Assert.Equal(values.Length, got.Length);
                    for (int i = 0; i < got.Length; i++) AssertSame(Number(values[i]), got[i], expected, i);
                    break;
                }
            case DType.Int64:
                Assert.Equal(values.Select(v => v.GetInt64()), actual.ToArray<long>());
                break;
            default:
                Assert.Equal(values.Select(v => v.GetBoolean()), actual.ToArray<bool>());
                break;
        }
    }

    private static double Number(JsonElement v) => v.ValueKind == JsonValueKind.String
        ? v.GetString() switch { "nan" => double.NaN, "inf" => double.PositiveInfinity, _ => double.NegativeInfinity }
        : v.GetDouble();

    private static void AssertSame(double expected, double actual, Entry entry, int index)
    {
        // NaN payloads differ between NumPy and .NET; every other value must match bit for bit (so -0.0 is not 0.0).
        bool same = double.IsNaN(expected) ? double.IsNaN(actual) : BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual);
        Assert.True(same, $"{entry}[{index}]: expected {expected:R}, got {actual:R}");
    }

    /// <summary>A deterministic tensor of each dtype for round trips.</summary>
    public static Dictionary<string, Tensor> Sample() => new()
    {
        ["weight"] = Tensor.From(new float[,] { { 0.5f, -1.25f, 3e-8f }, { float.MaxValue, -0f, 7 } }),
        ["bias"] = Tensor.From(new float[] { 0.1f, -0.2f }),
        ["f64"] = Tensor.From(new[] { Math.PI, double.NegativeInfinity, double.Epsilon }),
        ["steps"] = Tensor.From(new long[,] { { long.MinValue }, { long.MaxValue }, { 0 } }),
        ["mask"] = Tensor.From(new[] { true, false, true }),
        ["scalar"] = Tensor.Scalar(4.5),
        ["empty"] = Tensor.Zeros([0, 4]),
        ["cube"] = Tensor.Arange(0, 24, 1, DType.Float32).Reshape(2, 3, 4),
        ["transposed"] = Tensor.Arange(0, 6, 1, DType.Float64).Reshape(2, 3).T,
    };

    public static void AssertSameTensor(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.DType, actual.DType);
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var a = expected.Contiguous().ToArray();
        var b = actual.Contiguous().ToArray();
        Assert.Equal(a.Cast<object>(), b.Cast<object>());
    }
}
