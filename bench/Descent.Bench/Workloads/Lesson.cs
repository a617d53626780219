namespace Descent.Bench.Workloads;

/// <summary>W1: the lesson's manual epoch on its 5 rows (forward, MSE, backward, update under no-grad, zero grads).</summary>
internal static class Lesson
{
    public static readonly float[,] Inputs = { { 73, 67, 43 }, { 91, 88, 64 }, { 87, 134, 58 }, { 102, 43, 37 }, { 69, 96, 70 } };
    public static readonly float[,] Targets = { { 56, 70 }, { 81, 101 }, { 119, 133 }, { 22, 37 }, { 103, 119 } };

    /// <summary>The state of one training run: data and parameters.</summary>
    public sealed class State
    {
        public readonly Tensor X = Tensor.From(Inputs);
        public readonly Tensor Y = Tensor.From(Targets);
        public readonly Tensor W = Tensor.RandN([2, 3], requiresGrad: true, generator: new Generator(0));
        public readonly Tensor B = Tensor.RandN([2], requiresGrad: true, generator: new Generator(1));

        public float Epoch()
        {
            var preds = X.MatMul(W.T) + B;
            var diff = preds - Y;
            var loss = (diff * diff).Sum() / diff.Numel();
            loss.Backward();
            using (Tensor.NoGrad())
            {
                W.SubInPlace(W.Grad! * 1e-5);
                B.SubInPlace(B.Grad! * 1e-5);
                W.Grad!.ZeroInPlace();
                B.Grad!.ZeroInPlace();
            }
            return loss.Item<float>();
        }
    }

    public static Dictionary<string, object> ManualEpoch()
    {
        var s = new State();
        double t = Timing.PerCall(() => s.Epoch());
        return new() { ["workload"] = "W1", ["params"] = "5x3", ["seconds"] = t };
    }
}
