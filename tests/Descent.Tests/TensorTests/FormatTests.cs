using System.Globalization;
using System.Text.Json;
using Xunit;

namespace Descent.Tests.TensorTests;

/// <summary>
/// ToString against the text PyTorch prints for the same tensors (Fixtures/format.json, written by
/// tools/fixtures/format.py): notation, padding, wrapping at 80 columns, summarising, suffixes.
/// </summary>
public class FormatTests
{
    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "format.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    });

    public static TheoryData<string> CaseNames() => [.. Cases.Value.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void PrintsAsPyTorch(string name)
    {
        var c = Cases.Value[name];
        var expected = c.GetProperty("expected").GetString()!;
        var actual = Build(c).ToString();
        int gradFn = expected.IndexOf("grad_fn=<", StringComparison.Ordinal);
        if (gradFn < 0)
        {
            Assert.Equal(expected, actual);
            return;
        }
        // Node names are ours; the text up to them must match.
        Assert.Equal(expected[..(gradFn + "grad_fn=<".Length)], actual[..Math.Min(actual.Length, gradFn + "grad_fn=<".Length)]);
        Assert.EndsWith(">)", actual);
    }

    [Fact]
    public void FixtureCoversTheCasesItPromises()
    {
        var names = Cases.Value.Keys.ToList();
        Assert.True(names.Count >= 70, $"only {names.Count} cases");
        Assert.Contains(Cases.Value.Values, c => c.GetProperty("expected").GetString()!.Contains("...", StringComparison.Ordinal));
        Assert.Contains(Cases.Value.Values, c => c.GetProperty("expected").GetString()!.Contains('\n', StringComparison.Ordinal));
    }

    [Fact]
    public void PrintsAViewWithoutRecordingAnything()
    {
        var x = Tensor.From(new float[,] { { 1, 2 }, { 3, 4 } }, requiresGrad: true);
        var s = x.ToString();
        Assert.Equal("tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)", s);
        Assert.Null(x.Grad);
        Assert.True(x.IsLeaf);
    }

    [Fact]
    public void SummarisesEachLongDimOfALargeTensor()
    {
        // A million elements: both dims are cut to their first and last 3 entries.
        var x = Tensor.Zeros(1000, 1000);
        Assert.Equal(
            "tensor([[0., 0., 0.,  ..., 0., 0., 0.],\n" +
            "        [0., 0., 0.,  ..., 0., 0., 0.],\n" +
            "        [0., 0., 0.,  ..., 0., 0., 0.],\n" +
            "        ...,\n" +
            "        [0., 0., 0.,  ..., 0., 0., 0.],\n" +
            "        [0., 0., 0.,  ..., 0., 0., 0.],\n" +
            "        [0., 0., 0.,  ..., 0., 0., 0.]])", x.ToString());
    }

    private static Tensor Build(JsonElement c)
    {
        var dtype = c.GetProperty("dtype").GetString() switch
        {
            "float32" => DType.Float32,
            "float64" => DType.Float64,
            "int64" => DType.Int64,
            _ => DType.Bool,
        };
        var shape = c.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int n = shape.Aggregate(1, (a, b) => a * b);
        var doubles = new double[n];
        var longs = new long[n];
        var bools = new bool[n];
        if (c.TryGetProperty("fill", out var fill))
        {
            double start = fill.GetProperty("start").GetDouble(), step = fill.GetProperty("step").GetDouble();
            for (int i = 0; i < n; i++)
            {
                doubles[i] = i * step + start;
                longs[i] = (long)doubles[i];
            }
        }
        else
        {
            int i = 0;
            foreach (var v in c.GetProperty("values").EnumerateArray()) Read(v, i++, doubles, longs, bools);
        }
        if (c.TryGetProperty("set", out var set))
            foreach (var pair in set.EnumerateArray()) Read(pair[1], pair[0].GetInt32(), doubles, longs, bools);

        var t = dtype switch
        {
            DType.Float32 => Tensor.FromSpan<float>(doubles.Select(d => (float)d).ToArray(), shape),
            DType.Float64 => Tensor.FromSpan<double>(doubles, shape),
            DType.Int64 => Tensor.FromSpan<long>(longs, shape),
            _ => Tensor.FromSpan<bool>(bools, shape),
        };
        bool gradFn = c.TryGetProperty("grad_fn", out var g) && g.GetBoolean();
        if (gradFn || (c.TryGetProperty("requires_grad", out var r) && r.GetBoolean())) t.RequiresGrad = true;
        if (gradFn) t = t * 1.0;
        if (c.TryGetProperty("view", out var view) && view.GetString() == "t") t = t.T;
        return t;
    }

    private static void Read(JsonElement v, int i, double[] doubles, long[] longs, bool[] bools)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.String:
                doubles[i] = v.GetString() switch
                {
                    "nan" => double.NaN,
                    "inf" => double.PositiveInfinity,
                    "-inf" => double.NegativeInfinity,
                    var s => throw new FormatException($"unknown value {s}"),
                };
                break;
            case JsonValueKind.True or JsonValueKind.False:
                bools[i] = v.GetBoolean();
                break;
            default:
                doubles[i] = double.Parse(v.GetRawText(), CultureInfo.InvariantCulture);
                if (v.TryGetInt64(out var l)) longs[i] = l;
                break;
        }
    }
}
