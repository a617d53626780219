using Xunit;

namespace Descent.Tests.Autograd;

public class ConcurrentBackwardTests
{
    [Fact]
    public void BackwardFromSeveralThreadsLosesNoGradient()
    {
        // Two threads' passes share the leaf's accumulator; its pass state and the sum it keeps were raced on, and
        // about one gradient in seven was lost. torch gives 6000 for the same loop.
        var w = Tensor.Zeros([4], DType.Float64, requiresGrad: true);
        const int perThread = 3000;
        var threads = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            for (int i = 0; i < perThread; i++) (w * 1.0).Sum().Backward();
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        Assert.Equal([6000.0, 6000, 6000, 6000], w.Grad!.ToArray<double>());
    }
}
