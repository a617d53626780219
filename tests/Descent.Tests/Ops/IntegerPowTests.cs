using Xunit;

namespace Descent.Tests.Ops;

/// <summary>
/// Pow on integer tensors keeps PyTorch's integer rules: int64 results that wrap on overflow, a negative tensor
/// exponent giving what integer division would, and a negative number as exponent refused. The expected values are
/// PyTorch 1.13's.
/// </summary>
public class IntegerPowTests
{
    private static Tensor Ints(params long[] v) => Tensor.From(v);

    [Fact]
    public void WholeNumberExponentsStayInt64()
    {
        var a = Ints(2, 3, -2, 0);
        Assert.Equal(DType.Int64, a.Pow(2).DType);
        Assert.Equal([4L, 9, 4, 0], a.Pow(2).ToArray<long>());
        Assert.Equal([8L, 27, -8, 0], a.Pow(3).ToArray<long>());
        Assert.Equal([1L, 1, 1, 1], a.Pow(0).ToArray<long>());
        // A number with a fraction, even 2.0, makes floats.
        var f = a.Pow(2.0);
        Assert.Equal(DType.Float32, f.DType);
        Assert.Equal([4f, 9, 4, 0], f.ToArray<float>());
        Assert.Equal([1L, 0], Tensor.From(new[] { true, false }).Pow(2).ToArray<long>());
    }

    [Fact]
    public void OverflowWrapsAsPyTorchDoes()
    {
        Assert.Equal([long.MinValue], Ints(2).Pow(63).ToArray<long>());
        Assert.Equal([-420491770248316829L], Ints(3).Pow(41).ToArray<long>());
    }

    [Fact]
    public void TensorExponentsIncludingNegativeOnes()
    {
        Assert.Equal([2L, 9, -8, 1], Ints(2, 3, -2, 0).Pow(Ints(1, 2, 3, 0)).ToArray<long>());
        Assert.Equal([2L, 0, -8, 1], Ints(2, 3, -2, 0).Pow(Ints(1, -2, 3, 0)).ToArray<long>());
        Assert.Equal([0L, 1, -1, 0, 1], Ints(0, 1, -1, 2, -1).Pow(Ints(-2, -3, -3, -1, -2)).ToArray<long>());
        // A float exponent tensor makes floats.
        var f = Ints(2, 3).Pow(Tensor.From(new[] { 2f, 0.5f }));
        Assert.Equal(DType.Float32, f.DType);
        Assert.Equal(4f, f.ToArray<float>()[0]);
        Assert.Equal(MathF.Sqrt(3), f.ToArray<float>()[1], 6);
    }

    [Fact]
    public void ANegativeNumberAsExponentIsRefused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Ints(2, 3).Pow(-1));
        Assert.Contains("integers to negative integer powers are not allowed", e.Message);
        Assert.Contains("x.To(DType.Float32).Pow(-1)", e.Message);
        // A zero-dim tensor of exponents is a tensor, not a number: PyTorch gives [0, 1, -1] for -1.
        Assert.Equal([0L, 1, -1], Ints(2, 1, -1).Pow(Tensor.Scalar(-1, DType.Int64)).ToArray<long>());
        Assert.Equal([0.5f, 1f / 3], Ints(2, 3).To(DType.Float32).Pow(-1).ToArray<float>());
    }

    [Fact]
    public void BroadcastStridedAndLargeMatchALoop()
    {
        var g = new Generator(4);
        foreach (int n in new[] { 0, 1, 7, 33, 300, 160_400 })
        {
            var a = Tensor.RandInt(-6, 7, [n], g);
            var b = Tensor.RandInt(-3, 12, [n], g);
            var expected = Reference(a.ToArray<long>(), b.ToArray<long>());
            Assert.Equal(expected, a.Pow(b).ToArray<long>());
            // Every other element of a longer tensor, and each base against one exponent.
            var wide = Tensor.RandInt(-6, 7, [2 * n], g);
            var strided = wide.View(n, 2).Select(1, 0);
            Assert.Equal(Reference(strided.ToArray<long>(), b.ToArray<long>()), strided.Pow(b).ToArray<long>());
            Assert.Equal(Reference(a.ToArray<long>(), [.. Enumerable.Repeat(5L, n)]), a.Pow(5).ToArray<long>());
            var rows = a.Reshape(1, n).Expand(3, n);
            Assert.Equal([.. Enumerable.Repeat(expected, 3).SelectMany(r => r)], rows.Pow(b).ToArray<long>());
        }
    }

    /// <summary>Repeated multiplication, wrapping; a negative exponent as integer division of 1 by the power.</summary>
    private static long[] Reference(long[] a, long[] b)
    {
        var r = new long[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            if (b[i] < 0)
            {
                r[i] = a[i] == 1 ? 1 : a[i] == -1 ? (b[i] % 2 == 0 ? 1 : -1) : 0;
                continue;
            }
            long p = 1;
            for (long k = 0; k < b[i]; k++) p = unchecked(p * a[i]);
            r[i] = p;
        }
        return r;
    }
}
