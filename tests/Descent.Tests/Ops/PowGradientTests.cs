using Xunit;

namespace Descent.Tests.Ops;

/// <summary>Pow's gradients where the textbook formula meets 0 * inf, against PyTorch's values.</summary>
public class PowGradientTests
{
    [Fact]
    public void ZeroExponentGivesAZeroGradientEvenAtZero()
    {
        // torch.tensor([0., 2.], requires_grad=True).pow(0).sum().backward() gives grad [0., 0.]
        var x = Tensor.From(new float[] { 0, 2 });
        x.RequiresGrad = true;
        x.Pow(0).Sum().Backward();
        Assert.Equal([0f, 0f], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void ZeroEntriesOfATensorExponentGiveZeroGradientsToTheBase()
    {
        // torch.tensor([0., 0., 3.]).pow(torch.tensor([0., 2., 0.])): grads [0., 0., 0.] for the base
        var x = Tensor.From(new double[] { 0, 0, 3 });
        x.RequiresGrad = true;
        x.Pow(Tensor.From(new double[] { 0, 2, 0 })).Sum().Backward();
        Assert.Equal([0.0, 0.0, 0.0], x.Grad!.ToArray<double>());
    }

    [Fact]
    public void NonZeroExponentsKeepTheUsualGradient()
    {
        var x = Tensor.From(new double[] { 0, 2 });
        x.RequiresGrad = true;
        x.Pow(Tensor.From(new double[] { 2, 3 })).Sum().Backward();
        Assert.Equal([0.0, 12.0], x.Grad!.ToArray<double>());
    }
}
