using Descent.NN;

namespace Descent.Bench.Workloads;

/// <summary>
/// W3: full-batch linear regression epochs on N x D inputs and N x K targets: the lesson's epoch at scale
/// (<c>x @ w.T + b</c>, mean squared error, backward, update under no-grad, zero grads). With <c>fused</c>, the loss is
/// <see cref="Functional.LinearMseLoss"/> instead of the composition, the rest of the epoch unchanged.
/// </summary>
internal static class LinearRegression
{
    /// <summary>
    /// Epochs run before timing, on both sides, besides the second of warm-up: at 10^7 x 64 an epoch takes most of a
    /// second, and the first few allocate their large buffers fresh from the OS (page faults) until the collector
    /// and the reuse pool hold them (docs/notes/memory.md). A training run is hundreds of epochs in the steady state.
    /// </summary>
    private const int WarmupEpochs = 5;

    public static Dictionary<string, object> FullBatch(int n, int d, int k, bool fused)
    {
        var g = new Generator(0);
        var x = Tensor.Rand([n, d], generator: g);
        var trueW = Tensor.RandN([k, d], generator: g);
        Tensor y;
        using (Tensor.NoGrad()) y = x.MatMul(trueW.T) + 0.5;
        var w = Tensor.Zeros([k, d], requiresGrad: true);
        var b = Tensor.Zeros([k], DType.Float32, requiresGrad: true);
        long dataBytes = ((long)n * d + (long)n * k) * sizeof(float);
        float last = 0;
        double t = Timing.Each(() =>
        {
            Tensor loss;
            if (fused) loss = Functional.LinearMseLoss(x, w, b, y);
            else
            {
                var preds = x.MatMul(w.T) + b;
                var diff = preds - y;
                loss = (diff * diff).Sum() / diff.Numel();
            }
            loss.Backward();
            using (Tensor.NoGrad())
            {
                w.SubInPlace(w.Grad! * 0.01);
                b.SubInPlace(b.Grad! * 0.01);
                w.Grad!.ZeroInPlace();
                b.Grad!.ZeroInPlace();
            }
            last = loss.Item<float>();
        }, minReps: 3, minSeconds: 1.0, warmupSeconds: 1.0, warmupCalls: WarmupEpochs);
        return new() { ["workload"] = "W3", ["variant"] = fused ? "fused" : "composed", ["params"] = $"N={n} D={d} K={k}", ["seconds"] = t, ["data_bytes"] = dataBytes, ["loss"] = last };
    }
}
