using System.Text.Json;
using Xunit;

namespace Descent.Tests.NN;

/// <summary>Reads the PyTorch reference values written by tools/fixtures/nn.py and compares tensors against them.</summary>
internal static class NNFixture
{
    public static JsonElement Load(string name) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "nn", name))).RootElement;

    /// <summary>A tensor from {dtype, shape, data}; <paramref name="dtype"/> converts floating-point data.</summary>
    public static Tensor ToTensor(this JsonElement e, DType? dtype = null)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
        var data = e.GetProperty("data");
        var stored = e.GetProperty("dtype").GetString();
        if (stored == "int64") return Tensor.FromSpan<long>(data.EnumerateArray().Select(v => v.GetInt64()).ToArray(), shape);
        var values = data.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var target = dtype ?? (stored == "float64" ? DType.Float64 : DType.Float32);
        return target == DType.Float64
            ? Tensor.FromSpan<double>(values, shape)
            : Tensor.FromSpan<float>(values.Select(v => (float)v).ToArray(), shape);
    }

    public static double[] Doubles(this JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    public static double[] Values(Tensor t) => t.DType == DType.Float64 ? t.ToArray<double>() : t.To(DType.Float64).ToArray<double>();

    /// <summary>Asserts equal shapes and |actual - expected| ≤ atol + rtol·|expected| everywhere (NaN matches NaN).</summary>
    public static void AssertClose(Tensor expected, Tensor actual, double rtol, double atol, string what)
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape), $"{what}: shape {Fmt(actual.Shape)} but expected {Fmt(expected.Shape)}");
        AssertClose(Values(expected), Values(actual), rtol, atol, what);
    }

    public static void AssertClose(double[] expected, double[] actual, double rtol, double atol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            Assert.True(Math.Abs(a - e) <= atol + rtol * Math.Abs(e),
                $"{what}: element {i} is {a:R} but expected {e:R} (difference {Math.Abs(a - e):E3}, allowed {atol + rtol * Math.Abs(e):E3})");
        }
    }

    private static string Fmt(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <summary>
    /// The gradient of <c>sum(f(x) * seed)</c> with respect to x by central differences, in float64: the reference
    /// for composed losses whose backward comes from the ops they are built from.
    /// </summary>
    public static double[] NumericGrad(Func<Tensor, Tensor> f, double[] x, int[] shape, Tensor seed, double h = 1e-6)
    {
        var grad = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            var plus = (double[])x.Clone();
            var minus = (double[])x.Clone();
            plus[i] += h;
            minus[i] -= h;
            double fp = (f(Tensor.FromSpan<double>(plus, shape)) * seed).Sum().Item();
            double fm = (f(Tensor.FromSpan<double>(minus, shape)) * seed).Sum().Item();
            grad[i] = (fp - fm) / (2 * h);
        }
        return grad;
    }
}
