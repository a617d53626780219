namespace Descent.Bench.Workloads;

/// <summary>W6: single-precision n x n matrix product, result allocated per call as <c>torch.mm</c> does.</summary>
internal static class Sgemm
{
    public static Dictionary<string, object> Run(int n)
    {
        var g = new Generator(0);
        var a = Tensor.Rand([n, n], generator: g);
        var b = Tensor.Rand([n, n], generator: g);
        double t = Timing.Each(() => a.MatMul(b), minReps: 5, minSeconds: 1.0);
        return new() { ["workload"] = "W6", ["params"] = $"n={n}", ["seconds"] = t, ["gflops"] = 2.0 * n * n * n / t / 1e9 };
    }
}
