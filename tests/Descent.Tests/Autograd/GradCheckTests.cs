using Descent;
using Descent.Autograd;
using Xunit;

namespace Descent.Tests.Autograd;

public class GradCheckTests
{
    private static Tensor Leaf(params double[] values) => Tensor.From(values, requiresGrad: true);

    [Fact]
    public void PassesForCorrectGradients()
    {
        var x = Leaf(0.5, -1.0, 2.0);
        var y = Leaf(1.5, 0.25, -0.75);
        Assert.True(GradCheck.Check(v => v[0] * v[1] + v[0].Exp() / v[1].Square(), [x, y]));
    }

    [Fact]
    public void NamesInputElementAndBothValuesOnAWrongGradient()
    {
        // Detach hides one factor from autograd: the analytical derivative of x*x comes out as x instead of 2x.
        var x = Leaf(1.0, 2.0, 3.0);
        var e = Assert.Throws<GradCheckException>(() => GradCheck.Check(v => v * v.Detach(), x));
        Assert.Contains("input 0", e.Message);
        Assert.Contains("3 of 9 entries differ", e.Message);
        Assert.Contains("element [2]", e.Message);
        Assert.Contains("output[2]", e.Message);
        Assert.Contains("analytical 3,", e.Message);
        Assert.Matches(@"numerical (6|5\.9999|6\.0000)", e.Message);
    }

    [Fact]
    public void NamesTheInputWhoseGradientIsWrong()
    {
        var x = Leaf(1.0, 2.0);
        var y = Leaf(0.5, -0.5);
        var e = Assert.Throws<GradCheckException>(() => GradCheck.Check(v => v[0] * 3.0 + v[1] * v[1].Detach(), [x, y]));
        Assert.Contains("input 1", e.Message);
        Assert.Contains("element [0]", e.Message);
    }

    [Fact]
    public void ReturnsFalseInsteadOfThrowingWhenAsked()
    {
        var x = Leaf(1.0, 2.0, 3.0);
        Assert.False(GradCheck.Check(v => v * v.Detach(), x, raiseException: false));
        Assert.True(GradCheck.Check(v => v * v, x, raiseException: false));
    }

    [Fact]
    public void ToleranceDecides()
    {
        // d/dx of x * 1.001 (with the factor hidden from autograd by Detach) is off by 0.1%.
        var x = Leaf(1.0);
        Func<Tensor, Tensor> f = v => v + v.Detach() * 0.001;
        Assert.False(GradCheck.Check(f, x, rtol: 1e-4, raiseException: false));
        Assert.True(GradCheck.Check(f, x, rtol: 1e-2));
    }

    [Fact]
    public void ChecksNonContiguousInputsElementByElement()
    {
        var x = Tensor.From(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } }).T.Detach();
        x.RequiresGrad = true;
        Assert.False(x.IsContiguous);
        var w = Tensor.From(new double[,] { { 1, -2 }, { 3, -4 }, { 5, -6 } });
        // Every element has its own weight, so moving storage element e instead of logical element e would show.
        Assert.True(GradCheck.Check(v => v.Contiguous().Square() * w, x));
    }

    [Fact]
    public void RestoresValuesAndGradients()
    {
        var x = Tensor.From(new double[,] { { 1, 2 }, { 3, 4 } }).T.Detach();
        x.RequiresGrad = true;
        var grad = Tensor.From(new double[,] { { 7, 7 }, { 7, 7 } });
        x.Grad = grad;
        var before = x.ToArray<double>();
        GradCheck.Check(v => v.Exp(), x);
        Assert.Same(grad, x.Grad);
        Assert.Equal(before, x.ToArray<double>());
        Assert.Equal(0, x.Version);
    }

    [Fact]
    public void InputsWithoutGradPassThrough()
    {
        var x = Leaf(1.0, 2.0);
        var mask = Tensor.From(new[] { true, false });
        var other = Tensor.From(new[] { 5.0, 6.0 });
        Assert.True(GradCheck.Check(v => Tensor.Where(v[1], v[0] * v[0], v[2]), [x, mask, other]));
    }

    [Fact]
    public void AnInputTheOutputIgnoresHasZeroGradientsOnBothSides()
    {
        var x = Leaf(1.0, 2.0);
        var y = Leaf(3.0);
        Assert.True(GradCheck.Check(v => v[0] * 2.0, [x, y]));
    }

    [Fact]
    public void RejectsInputsItCannotCheck()
    {
        Assert.Throws<ArgumentException>(() => GradCheck.Check(v => v * 2.0, Tensor.From(new[] { 1f, 2f }, requiresGrad: true)));
        Assert.Throws<ArgumentException>(() => GradCheck.Check(v => v * 2.0, Tensor.From(new[] { 1.0, 2.0 })));
        var leaf = Leaf(1.0, 2.0);
        Assert.Throws<ArgumentException>(() => GradCheck.Check(v => v * 2.0, leaf * 1.0));
        var expanded = Tensor.From(new[] { 1.0 }).Expand(3).Detach();
        expanded.RequiresGrad = true;
        var e = Assert.Throws<ArgumentException>(() => GradCheck.Check(v => v * 2.0, expanded));
        Assert.Contains("stride 0", e.Message);
    }
}
