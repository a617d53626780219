using Xunit;

namespace Descent.Tests.Ops;

/// <summary>ReLU's gradient at a NaN input: PyTorch's threshold_backward passes the gradient (NaN &lt;= 0 is false).</summary>
public class ReluNanGradientTests
{
    [Fact]
    public void GradientPassesAtNaN_AsPyTorch()
    {
        // torch.relu(tensor([nan, 1, -1])).sum().backward() -> grad [1, 1, 0]
        var x = Tensor.From(new float[] { float.NaN, 1, -1 });
        x.RequiresGrad = true;
        x.Relu().Sum().Backward();
        Assert.Equal(new float[] { 1, 1, 0 }, x.Grad!.ToArray<float>());
    }
}
