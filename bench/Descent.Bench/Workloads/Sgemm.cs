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

/// <summary>The packed kernel alone with a given thread count, to tell kernel efficiency from threading effects.</summary>
internal static class SgemmRaw
{
    public static Dictionary<string, object> Run(int n, int threads)
    {
        var rng = new Random(0);
        var a = new float[n * n];
        var b = new float[n * n];
        var c = new float[n * n];
        for (int i = 0; i < a.Length; i++) { a[i] = rng.NextSingle(); b[i] = rng.NextSingle(); }
        var ar = new Kernels.MatrixRef<float>(a, 0, n, 1);
        var br = new Kernels.MatrixRef<float>(b, 0, n, 1);
        double t = Timing.Each(() => Kernels.GemmPacked<Kernels.Kernel512>.Run(ar, br, c, 0, n, n, n, n, threads), minReps: 5, minSeconds: 1.0);
        return new() { ["workload"] = "W6raw", ["params"] = $"n={n} threads={threads}", ["seconds"] = t, ["gflops"] = 2.0 * n * n * n / t / 1e9 };
    }
}
