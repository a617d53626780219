using System.Text.Json;
using Descent;
using Xunit;
using Xunit.Abstractions;

namespace Descent.Tests.Ops;

/// <summary>
/// Every case of <see cref="OpTable"/> against PyTorch 1.13: forward values and the gradients of
/// <c>sum(output * weight)</c> for a fixed random weight, in float32 and float64, from Fixtures/ops.json
/// (made by tools/fixtures/ops.py from the same input values).
/// </summary>
public class OpPyTorchTests(ITestOutputHelper output)
{
    // |actual - expected| <= Absolute + Relative * |expected|. PyTorch and Descent sum in different orders and use
    // different vectorised exp/log/pow, a few ulp apart; the absolute part covers small results of cancelling sums
    // (a dot product near zero), whose error is relative to the terms, not to the result.
    private static readonly Tolerance Float32 = new(Relative: 1e-6, Absolute: 5e-7);
    private static readonly Tolerance Float64 = new(Relative: 1e-13, Absolute: 1e-14);

    private static readonly Lazy<Dictionary<string, JsonElement>> Fixture = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "ops.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    });

    [Fact]
    public void FixtureHasExactlyTheTableCases()
    {
        var missing = OpTable.Cases.Select(c => c.Name).Except(Fixture.Value.Keys).ToList();
        var extra = Fixture.Value.Keys.Except(OpTable.Cases.Select(c => c.Name)).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"cases only in OpTable.cs: [{string.Join(", ", missing)}]; only in ops.json: [{string.Join(", ", extra)}]; rerun tools/fixtures/ops.py");
    }

    [Theory]
    [MemberData(nameof(OpTable.Names), MemberType = typeof(OpTable))]
    public void InputsMatchTheFixture(string name)
    {
        var op = OpTable.Get(name);
        var inputs = Fixture.Value[name].GetProperty("inputs").EnumerateArray().ToArray();
        Assert.Equal(op.Inputs.Length, inputs.Length);
        for (int i = 0; i < inputs.Length; i++)
        {
            var spec = op.Inputs[i];
            Assert.Equal(spec.Shape, inputs[i].GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray());
            Assert.Equal(spec.Layout.ToString(), inputs[i].GetProperty("layout").GetString(), StringComparer.OrdinalIgnoreCase);
            Assert.Equal(spec.Domain.ToString(), inputs[i].GetProperty("domain").GetString(), StringComparer.OrdinalIgnoreCase);
            Assert.Equal(spec.RequiresGrad, inputs[i].GetProperty("requires_grad").GetBoolean());
        }
    }

    [Theory]
    [MemberData(nameof(OpTable.Names), MemberType = typeof(OpTable))]
    public void Float32MatchesPyTorch(string name) => Compare(name, DType.Float32).Check(name);

    [Theory]
    [MemberData(nameof(OpTable.Names), MemberType = typeof(OpTable))]
    public void Float64MatchesPyTorch(string name) => Compare(name, DType.Float64).Check(name);

    /// <summary>The largest errors over the whole table, printed so they can be quoted.</summary>
    [Fact]
    public void LargestErrors()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var results = OpTable.Cases.Select(c => (c.Name, E: Compare(c.Name, dtype))).ToList();
            foreach (var kind in new[] { "forward", "gradient" })
            {
                var errors = results.Select(r => (r.Name, E: kind == "forward" ? r.E.Forward : r.E.Gradient)).ToList();
                var rel = errors.MaxBy(r => r.E.MaxRelative);
                var abs = errors.MaxBy(r => r.E.MaxAbsolute);
                var worst = errors.MaxBy(r => r.E.WorstRatio);
                output.WriteLine($"{dtype} {kind}: max relative error {rel.E.MaxRelative:E2} ({rel.Name}), max absolute error {abs.E.MaxAbsolute:E2} ({abs.Name}), " +
                    $"worst element at {worst.E.WorstRatio:P0} of the tolerance ({worst.Name}: {worst.E.Actual:R} vs {worst.E.Expected:R})");
            }
            foreach (var (n, e) in results) e.Check(n);
        }
    }

    private static Result Compare(string name, DType dtype)
    {
        var op = OpTable.Get(name);
        var entry = Fixture.Value[name];
        var inputs = entry.GetProperty("inputs").EnumerateArray()
            .Select((e, i) => op.Inputs[i].Make(ReadFloat32(e.GetProperty("values")), dtype)).ToArray();
        var expected = entry.GetProperty(dtype == DType.Float32 ? "float32" : "float64");

        var result = op.Function(inputs);
        var shape = expected.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(shape, result.Shape.ToArray());
        // A case that rounds through float32 on purpose is held to float32 precision in its float64 run too.
        var tolerance = dtype == DType.Float32 || result.DType == DType.Float32 || name.StartsWith("to", StringComparison.Ordinal) ? Float32 : Float64;
        var forward = Measure(result, expected.GetProperty("output"), tolerance);

        var weight = Tensor.FromSpan<double>(ReadFloat32(entry.GetProperty("weight")), shape).To(result.DType);
        (result * weight).Sum().Backward();
        var grads = expected.GetProperty("grads").EnumerateArray().ToArray();
        var gradient = new Error(tolerance);
        for (int i = 0; i < inputs.Length; i++)
        {
            if (grads[i].ValueKind == JsonValueKind.Null)
            {
                Assert.Null(inputs[i].Grad);
                continue;
            }
            Assert.NotNull(inputs[i].Grad);
            Assert.Equal(inputs[i].Shape.ToArray(), inputs[i].Grad!.Shape.ToArray());
            gradient = gradient.Merge(Measure(inputs[i].Grad!, grads[i], tolerance));
        }
        return new Result(forward, gradient);
    }

    /// <summary>Values written as the shortest float32 text: read them as float32, then widen.</summary>
    private static double[] ReadFloat32(JsonElement values) => values.EnumerateArray().Select(e => (double)e.GetSingle()).ToArray();

    private static Error Measure(Tensor actual, JsonElement expected, Tolerance tolerance)
    {
        var a = actual.To(DType.Float64).ToArray<double>();
        var e = expected.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(e.Length, a.Length);
        var error = new Error(tolerance);
        for (int i = 0; i < a.Length; i++) error = error.Add(i, a[i], e[i]);
        return error;
    }

    private readonly record struct Tolerance(double Relative, double Absolute);

    /// <summary>
    /// Errors of one array against PyTorch: the largest relative (over nonzero expected values) and absolute
    /// errors, and the element furthest past <c>|a - e| &lt;= Absolute + Relative * |e|</c>.
    /// </summary>
    private readonly record struct Error(Tolerance Tolerance, double MaxRelative = 0, double MaxAbsolute = 0,
        double WorstRatio = 0, int Index = -1, double Actual = 0, double Expected = 0)
    {
        public Error Add(int i, double a, double e)
        {
            double diff = Math.Abs(a - e);
            if (double.IsNaN(diff)) diff = double.PositiveInfinity;
            double ratio = diff / (Tolerance.Absolute + Tolerance.Relative * Math.Abs(e));
            var r = this with
            {
                MaxAbsolute = Math.Max(MaxAbsolute, diff),
                MaxRelative = e == 0 ? MaxRelative : Math.Max(MaxRelative, diff / Math.Abs(e)),
            };
            return ratio > WorstRatio || Index < 0 ? r with { WorstRatio = ratio, Index = i, Actual = a, Expected = e } : r;
        }

        public Error Merge(Error o) => (o.WorstRatio > WorstRatio || Index < 0 ? o : this) with
        {
            MaxRelative = Math.Max(MaxRelative, o.MaxRelative),
            MaxAbsolute = Math.Max(MaxAbsolute, o.MaxAbsolute),
        };
    }

    private readonly record struct Result(Error Forward, Error Gradient)
    {
        public void Check(string name)
        {
            Assert.True(Forward.WorstRatio <= 1, $"{name}: output element {Forward.Index} is {Forward.Actual:R}, PyTorch gives {Forward.Expected:R}");
            Assert.True(Gradient.WorstRatio <= 1, $"{name}: gradient element {Gradient.Index} is {Gradient.Actual:R}, PyTorch gives {Gradient.Expected:R}");
        }
    }
}
