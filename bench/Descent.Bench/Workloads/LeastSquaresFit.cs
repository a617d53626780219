namespace Descent.Bench.Workloads;

/// <summary>W8: the closed-form least-squares fit of N x D float32 inputs to one target (<see cref="Linalg.Lstsq"/>).</summary>
internal static class LeastSquaresFit
{
    public static Dictionary<string, object> Run(int n, int d)
    {
        var g = new Generator(0);
        var x = Tensor.Rand([n, d], generator: g);
        Tensor y;
        using (Tensor.NoGrad()) y = x.MatMul(Tensor.RandN([d, 1], generator: g)) + Tensor.RandN([n, 1], generator: g) * 0.1;
        double t = Timing.Each(() => Linalg.Lstsq(x, y), minReps: 3, minSeconds: 2.0);
        return new() { ["workload"] = "W8", ["params"] = $"N={n} D={d}", ["seconds"] = t };
    }
}
