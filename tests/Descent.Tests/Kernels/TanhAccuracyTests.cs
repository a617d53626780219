using Descent;
using Xunit;

namespace Descent.Tests.Kernels;

/// <summary>Tanh keeps its relative precision near zero, where tanh(x) ≈ x, as PyTorch's does.</summary>
public class TanhAccuracyTests
{
    private static readonly double[] Small = [1e-1, 3e-2, 1.1477e-2, 1e-3, -3e-4, 1e-4, 1e-5, 1e-7, -1e-9, 1e-20, 0.49, -0.3];

    [Fact]
    public void Float32NearZero()
    {
        var x = Tensor.From(Small.Select(v => (float)v).ToArray());
        var y = x.Tanh().ToArray<float>();
        for (int i = 0; i < y.Length; i++)
        {
            double exact = Math.Tanh((float)Small[i]);
            Assert.True(Math.Abs(y[i] - exact) <= 1.2e-7 * Math.Abs(exact), $"tanh({(float)Small[i]:R}) = {y[i]:R}, exact {exact:R}");
        }
    }

    [Fact]
    public void Float64NearZero()
    {
        var y = Tensor.From(Small).Tanh().ToArray<double>();
        for (int i = 0; i < y.Length; i++)
        {
            double exact = Math.Tanh(Small[i]);
            Assert.True(Math.Abs(y[i] - exact) <= 4e-16 * Math.Abs(exact), $"tanh({Small[i]:R}) = {y[i]:R}, exact {exact:R}");
        }
    }

    [Fact]
    public void LargeInputsStayVectorisedAndCorrect()
    {
        // Above the parallel threshold the kernel runs in chunks; every chunk gets the same treatment.
        int n = (1 << 17) + 3;
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (i % 2001 - 1000) * 1e-3f;
        var y = Tensor.From(values).Tanh().ToArray<float>();
        for (int i = 0; i < n; i += 7)
        {
            double exact = Math.Tanh(values[i]);
            Assert.True(Math.Abs(y[i] - exact) <= 2.5e-7 * Math.Abs(exact), $"tanh({values[i]:R}) = {y[i]:R}, exact {exact:R}");
        }
    }
}
