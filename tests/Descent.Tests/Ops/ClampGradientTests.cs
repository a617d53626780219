using Xunit;

namespace Descent.Tests.Ops;

/// <summary>Clamp's gradient outside the bounds: PyTorch's clamp_backward chooses 0 with where, so no NaN or infinity leaks.</summary>
public class ClampGradientTests
{
    [Theory]
    [InlineData(-1.0, 1.0, new float[] { 0, 1, 0 })]
    [InlineData(-1.0, null, new float[] { 0, 1, float.NaN })]
    [InlineData(null, 1.0, new float[] { float.PositiveInfinity, 1, 0 })]
    public void OutsideTheBoundsTheGradientIsAnExactZero(double? min, double? max, float[] expected)
    {
        // torch: x = tensor([-2., 0.5, 2.]); x.clamp(min, max).backward(tensor([inf, 1., nan])) gives x.grad
        // [0, 1, 0] for (-1, 1), [0, 1, nan] for min=-1 only, [inf, 1, 0] for max=1 only (PyTorch 1.13).
        var x = Tensor.From(new float[] { -2, 0.5f, 2 });
        x.RequiresGrad = true;
        x.Clamp(min, max).Backward(Tensor.From(new[] { float.PositiveInfinity, 1, float.NaN }));
        Assert.Equal(expected, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void WholeNumberBoundsGiveTheSameGradient()
    {
        var x = Tensor.From(new double[] { -2, 0.5, 2 });
        x.RequiresGrad = true;
        x.Clamp(-1L, 1L).Backward(Tensor.From(new[] { double.NegativeInfinity, 1, double.NaN }));
        Assert.Equal([0.0, 1, 0], x.Grad!.ToArray<double>());
    }
}
