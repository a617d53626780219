using Descent.Kernels;
using Descent.NN;
using Xunit;

namespace Descent.Tests.Kernels;

public class LinearMseKernelTests
{
    [Fact]
    public void VectorLoadsStayInsideTheArray()
    {
        // Against the definition: row i takes a vector load when xOff + i d + width <= length.
        foreach (int width in new[] { 8, 16 })
            for (int d = 1; d <= width; d++)
                for (long xOff = 0; xOff < 3 * d; xOff++)
                    for (long length = xOff; length <= xOff + 4 * width; length++)
                        for (long r1 = 0; r1 <= 6; r1++)
                        {
                            long expected = 0;
                            while (expected < r1 && xOff + expected * d + width <= length) expected++;
                            Assert.Equal(expected, RowVectors.VectorRowsEnd(length, xOff, width, d, r1));
                        }
    }

    [Theory]
    [InlineData(1, 5)]
    [InlineData(1, 7)]
    [InlineData(2, 3)]
    [InlineData(1, 12)]
    [InlineData(1, 15)]
    public void TensorsShorterThanOneVectorGiveTheComposition(int n, int d)
    {
        var g = new Generator(n * 100 + d);
        var x = Tensor.RandN([n, d], generator: g);
        var w = Tensor.RandN([2, d], generator: g);
        var b = Tensor.RandN([2], generator: g);
        var y = Tensor.RandN([n, 2], generator: g);
        // The last row of a larger tensor, too: a view at the very end of its storage.
        var last = Tensor.RandN([100, d], generator: g).Narrow(0, 99, 1);
        foreach (var (xs, ys) in new[] { (x, y), (last, y.Narrow(0, 0, 1)) })
        {
            var expected = Functional.MseLoss(Functional.Linear(xs.To(DType.Float64), w.To(DType.Float64), b.To(DType.Float64)), ys.To(DType.Float64)).Item();
            double got = Functional.LinearMseLoss(xs, w, b, ys).Item();
            Assert.True(Math.Abs(expected - got) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"{expected} vs {got}");
        }
    }
}
