using System.Diagnostics;

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

/// <summary>
/// The packed kernel alone with a given thread count, to tell kernel efficiency from threading effects: 1 s of
/// warm-up, then 2 s of calls; the median, the best call, and GFLOP per CPU-second of the process (from /proc, so
/// time spent waiting for a core on a busy machine does not count against the kernel).
/// </summary>
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
        void Body() => Kernels.GemmPacked<Kernels.Kernel512>.Run(ar, br, c, 0, n, n, n, n, threads);
        var warm = Stopwatch.StartNew();
        do Body();
        while (warm.Elapsed.TotalSeconds < 1.0);
        var times = new List<double>();
        double cpu0 = CpuSeconds();
        var total = Stopwatch.StartNew();
        var sw = new Stopwatch();
        while (times.Count < 5 || (total.Elapsed.TotalSeconds < 2.0 && times.Count < 2000))
        {
            sw.Restart();
            Body();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        double cpu = (CpuSeconds() - cpu0) / times.Count;
        double t = Timing.Median([.. times]), best = times.Min();
        return new()
        {
            ["workload"] = "W6raw",
            ["params"] = $"n={n} threads={threads}",
            ["seconds"] = t,
            ["gflops"] = 2.0 * n * n * n / t / 1e9,
            ["best_gflops"] = 2.0 * n * n * n / best / 1e9,
            ["gflops_per_cpu_second"] = 2.0 * n * n * n / cpu / 1e9,
        };
    }

    /// <summary>CPU time of all the process's threads so far, from /proc (nanosecond resolution).</summary>
    private static double CpuSeconds()
    {
        if (!Directory.Exists("/proc/self/task")) return double.NaN;
        double ns = 0;
        foreach (var dir in Directory.GetDirectories("/proc/self/task"))
        {
            try { ns += double.Parse(File.ReadAllText(Path.Combine(dir, "schedstat")).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture); }
            catch (IOException) { }
        }
        return ns / 1e9;
    }
}
