using Descent.NN;
using Xunit;

namespace Descent.Tests.NN;

public class LinearTests
{
    [Fact]
    public void InitialValuesAreUniformWithinPyTorchsBound()
    {
        // 100 inputs: bound 1/sqrt(100) = 0.1 for weight (kaiming_uniform with a = sqrt(5)) and bias.
        var layer = new Linear(100, 300, generator: new Generator(11));
        const double bound = 0.1;
        foreach (var (values, name) in new[] { (layer.Weight.ToArray<float>(), "weight"), (layer.Bias!.ToArray<float>(), "bias") })
        {
            Assert.All(values, v => Assert.InRange(v, -bound, bound));
            double mean = values.Average(v => (double)v);
            double variance = values.Average(v => (v - mean) * (v - mean));
            double sd = bound / Math.Sqrt(3);
            // Uniform(-b, b): mean 0 with standard error sd/sqrt(n), variance b²/3; limits at about 5 standard errors.
            Assert.True(Math.Abs(mean) < 5 * sd / Math.Sqrt(values.Length), $"{name}: mean {mean}");
            Assert.True(Math.Abs(variance / (sd * sd) - 1) < 5 * Math.Sqrt(0.8 / values.Length), $"{name}: variance {variance}, expected {sd * sd}");
            Assert.True(values.Max() > bound * (1 - 20.0 / values.Length) && values.Min() < -bound * (1 - 20.0 / values.Length), $"{name}: the samples do not reach the bounds");
        }
    }

    [Fact]
    public void BoundFollowsInFeaturesNotOutFeatures()
    {
        var layer = new Linear(4, 1000, generator: new Generator(3));
        var w = layer.Weight.ToArray<float>();
        Assert.All(w, v => Assert.InRange(v, -0.5, 0.5));
        Assert.True(w.Max() > 0.49 && w.Min() < -0.49);
    }

    [Fact]
    public void SameGeneratorSeedSameParameters()
    {
        var a = new Linear(5, 3, generator: new Generator(9));
        var b = new Linear(5, 3, generator: new Generator(9));
        var c = new Linear(5, 3, generator: new Generator(10));
        Assert.Equal(a.Weight.ToArray<float>(), b.Weight.ToArray<float>());
        Assert.Equal(a.Bias!.ToArray<float>(), b.Bias!.ToArray<float>());
        Assert.NotEqual(a.Weight.ToArray<float>(), c.Weight.ToArray<float>());
        var weight = a.Weight;
        a.ResetParameters(new Generator(10));
        Assert.Same(weight, a.Weight);
        Assert.Equal(c.Weight.ToArray<float>(), a.Weight.ToArray<float>());
    }

    [Fact]
    public void ForwardIsInputTimesWeightTransposedPlusBias()
    {
        var layer = new Linear(3, 2);
        layer.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.From(new float[,] { { 1, 2, 3 }, { -1, 0, 0.5f } }),
            ["bias"] = Tensor.From(new float[] { 0.5f, -2 }),
        });
        var x = Tensor.From(new float[,] { { 1, 1, 1 }, { 2, 0, -4 } });
        Assert.Equal(new float[,] { { 6.5f, -2.5f }, { -9.5f, -6 } }, (float[,])layer.Forward(x).ToArray());
        Assert.Equal([6.5f, -2.5f], layer.Forward(Tensor.From(new float[] { 1, 1, 1 })).ToArray<float>());
        Assert.Equal([2, 4, 2], layer.Forward(Tensor.Ones(2, 4, 3)).Shape.ToArray());
    }

    [Fact]
    public void GradientsReachWeightAndBias()
    {
        var layer = new Linear(3, 2, generator: new Generator(1));
        var x = Tensor.From(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        layer.Forward(x).Sum().Backward();
        Assert.Equal(new float[,] { { 5, 7, 9 }, { 5, 7, 9 } }, (float[,])layer.Weight.Grad!.ToArray());
        Assert.Equal([2f, 2f], layer.Bias!.Grad!.ToArray<float>());
    }

    [Fact]
    public void WithoutBiasThereIsOneParameter()
    {
        var layer = new Linear(3, 2, bias: false);
        Assert.Null(layer.Bias);
        Assert.Equal(["weight"], layer.NamedParameters().Select(p => p.Name));
        Assert.Equal(new float[,] { { 0, 0 } }, (float[,])(layer.Forward(Tensor.Zeros(1, 3))).ToArray());
    }

    [Fact]
    public void Float64Parameters()
    {
        var layer = new Linear(2, 2, dtype: DType.Float64);
        Assert.Equal(DType.Float64, layer.Weight.DType);
        Assert.Equal(DType.Float64, layer.Bias!.DType);
        Assert.Throws<DTypeMismatchException>(() => new Linear(2, 2, dtype: DType.Int64));
    }

    [Fact]
    public void InputOfAnotherDTypeNamesLinearAndTheConversion()
    {
        // PyTorch 1.13: nn.Linear(2, 1)(torch.ones(1, 2, dtype=torch.float64)) raises "mat1 and mat2 must have the same
        // dtype", and so does a float64 bias with float32 input and weight.
        var ex = Assert.Throws<DTypeMismatchException>(() => new Linear(2, 1).Forward(Tensor.Ones([1, 2], DType.Float64)));
        Assert.StartsWith("Linear: the input is float64 but the weight is float32", ex.Message);
        Assert.Contains("To(DType.Float32)", ex.Message);
        Assert.StartsWith("Linear: the bias is float64", Assert.Throws<DTypeMismatchException>(
            () => Functional.Linear(Tensor.Ones(1, 2), Tensor.Ones(1, 2), Tensor.Ones([1], DType.Float64))).Message);
    }

    [Fact]
    public void WrongInputWidthNamesBothShapes()
    {
        var layer = new Linear(3, 2);
        var ex = Assert.Throws<ShapeMismatchException>(() => layer.Forward(Tensor.Zeros(5, 4)));
        Assert.Contains("[5, 4]", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
    }
}
