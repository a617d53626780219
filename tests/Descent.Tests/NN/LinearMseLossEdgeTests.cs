using Descent.NN;
using Xunit;

namespace Descent.Tests.NN;

/// <summary>
/// <see cref="Functional.LinearMseLoss"/> against <c>MseLoss(Linear(x, w, b), y)</c> on inputs the main tests do not
/// cover: a weight that is a view with a storage offset, few features with many outputs, and empty dims.
/// </summary>
public class LinearMseLossEdgeTests
{
    [Fact]
    public void WeightViewWithStorageOffset_MatchesComposition()
    {
        var g = new Generator(7);
        var big = Tensor.RandN([3, 4], generator: g);
        var w = big.Narrow(0, 1, 2); // contiguous, storage offset 4
        var x = Tensor.RandN([6, 4], generator: g);
        var y = Tensor.RandN([6, 2], generator: g);
        double expected = Functional.MseLoss(Functional.Linear(x, w), y).Item();
        double actual = Functional.LinearMseLoss(x, w, null, y).Item();
        Assert.Equal(expected, actual, 1e-5);
    }

    [Theory]
    [InlineData(3, 17)]
    [InlineData(3, 40)]
    [InlineData(7, 64)]
    public void FewFeaturesManyOutputs_MatchesComposition(int features, int outputs)
    {
        // The block path's row dots get one column per output, more than the MatMul picker ever sends them.
        var g = new Generator(5);
        var x = Tensor.RandN([64, features], generator: g);
        var w = Tensor.RandN([outputs, features], generator: g);
        var b = Tensor.RandN([outputs], generator: g);
        var y = Tensor.RandN([64, outputs], generator: g);
        double expected = Functional.MseLoss(Functional.Linear(x, w, b), y).Item();
        double actual = Functional.LinearMseLoss(x, w, b, y).Item();
        Assert.Equal(expected, actual, 1e-4);
    }

    [Fact]
    public void NoInputFeatures_PredictsTheBias()
    {
        var x = Tensor.Zeros(5, 0);
        var w = Tensor.Zeros([2, 0], requiresGrad: true);
        var b = Tensor.From(new float[] { 1, 2 });
        b.RequiresGrad = true;
        var y = Tensor.Zeros(5, 2);
        var loss = Functional.LinearMseLoss(x, w, b, y);
        loss.Backward();
        Assert.Equal(2.5, loss.Item(), 1e-6);
        Assert.Equal(new float[] { 1, 2 }, b.Grad!.ToArray<float>());
    }

    [Fact]
    public void NoRows_WeightGradientIsZero_AsTheComposition()
    {
        var x = Tensor.Zeros(0, 3);
        var w = Tensor.Ones([2, 3], requiresGrad: true);
        var y = Tensor.Zeros(0, 2);
        Functional.LinearMseLoss(x, w, null, y).Backward();
        Assert.Equal(new float[6], w.Grad!.ToArray<float>());
    }

    [Fact]
    public void NoOutputs_DoesNotThrow()
    {
        var x = Tensor.Ones(5, 3);
        var w = Tensor.Zeros([0, 3], requiresGrad: true);
        var y = Tensor.Zeros(5, 0);
        double loss = Functional.LinearMseLoss(x, w, null, y).Item();
        Assert.True(double.IsNaN(loss));
    }
}
