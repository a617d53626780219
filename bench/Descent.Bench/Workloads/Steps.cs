using System.Diagnostics;

namespace Descent.Bench.Workloads;

/// <summary>W3's epoch step by step, for profiling: prints the time of each op of one epoch.</summary>
internal static class Steps
{
    public static Dictionary<string, object> Run(int n, int d, int k)
    {
        var g = new Generator(0);
        var x = Tensor.Rand([n, d], generator: g);
        var y = Tensor.Rand([n, k], generator: g);
        var w = Tensor.Zeros([k, d], requiresGrad: true);
        var b = Tensor.Zeros([k], DType.Float32, requiresGrad: true);
        var r = new Dictionary<string, object> { ["workload"] = "W3steps", ["params"] = $"N={n} D={d} K={k}", ["seconds"] = 0.0 };
        for (int rep = 0; rep < 8; rep++)
        {
            var sw = Stopwatch.StartNew();
            var proc = Process.GetCurrentProcess();
            var cpu = proc.TotalProcessorTime;
            var lines = new List<string>();
            void Mark(string what)
            {
                proc.Refresh();
                var now = proc.TotalProcessorTime;
                lines.Add($"{what}={sw.Elapsed.TotalMilliseconds:F1}/{(now - cpu).TotalMilliseconds:F0}");
                cpu = now;
                sw.Restart();
            }
            var mm = x.MatMul(w.T); Mark("mm");
            var preds = mm + b; Mark("addb");
            var diff = preds - y; Mark("sub");
            var sq = diff * diff; Mark("mul");
            var s = sq.Sum(); Mark("sum");
            var loss = s / diff.Numel(); Mark("div");
            loss.Backward(); Mark("backward");
            using (Tensor.NoGrad())
            {
                w.SubInPlace(w.Grad! * 0.1);
                b.SubInPlace(b.Grad! * 0.1);
                w.Grad!.ZeroInPlace();
                b.Grad!.ZeroInPlace();
            }
            Mark("update");
            Console.Error.WriteLine(string.Join(" ", lines) + $" gen0={GC.CollectionCount(0)} gen2={GC.CollectionCount(2)} pause={GC.GetTotalPauseDuration().TotalMilliseconds:F0}ms");
        }
        return r;
    }
}
