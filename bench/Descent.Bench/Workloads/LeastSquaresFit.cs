using Descent.Kernels;

namespace Descent.Bench.Workloads;

/// <summary>W8: the closed-form least-squares fit of N x D float32 inputs to one target (<see cref="Linalg.Lstsq"/>).</summary>
internal static class LeastSquaresFit
{
    private static (Tensor X, Tensor Y) Data(int n, int d)
    {
        var g = new Generator(0);
        var x = Tensor.Rand([n, d], generator: g);
        Tensor y;
        using (Tensor.NoGrad()) y = x.MatMul(Tensor.RandN([d, 1], generator: g)) + Tensor.RandN([n, 1], generator: g) * 0.1;
        return (x, y);
    }

    public static Dictionary<string, object> Run(int n, int d)
    {
        var (x, y) = Data(n, d);
        double t = Timing.Each(() => Linalg.Lstsq(x, y), minReps: 3, minSeconds: 2.0);
        return new() { ["workload"] = "W8", ["params"] = $"N={n} D={d}", ["seconds"] = t };
    }

    /// <summary>
    /// W8's two passes over X timed apart, on all cores and on one (the sums of the normal equations and the residual
    /// pass), and the QR that ill-conditioned or rank-deficient problems fall back to.
    /// </summary>
    public static Dictionary<string, object> Steps(int n, int d)
    {
        var (x, y) = Data(n, d);
        float[] xs = x.Data<float>(), ys = y.Data<float>();
        var g = new double[d * d];
        var c = new double[d];
        var w = new double[d];
        var rtr = new double[1];
        return new()
        {
            ["workload"] = "W8steps",
            ["params"] = $"N={n} D={d}",
            ["seconds"] = Timing.Each(() => Linalg.Lstsq(x, y), minReps: 3, minSeconds: 1.0, warmupSeconds: 1.0),
            ["products_seconds"] = Timing.Each(() => Gram.Products(xs, 0, ys, 0, n, d, 1, g, c, rtr), minReps: 3, minSeconds: 1.0, warmupSeconds: 0.5),
            ["products_one_thread_seconds"] = Timing.Each(() => Gram.Products(xs, 0, ys, 0, n, d, 1, g, c, rtr, parallel: false), minReps: 3, minSeconds: 1.0, warmupSeconds: 0.5),
            ["residuals_seconds"] = Timing.Each(() => Gram.Residuals(xs, 0, ys, 0, n, d, 1, w, c, rtr), minReps: 3, minSeconds: 1.0, warmupSeconds: 0.5),
            ["residuals_one_thread_seconds"] = Timing.Each(() => Gram.Residuals(xs, 0, ys, 0, n, d, 1, w, c, rtr, parallel: false), minReps: 3, minSeconds: 1.0, warmupSeconds: 0.5),
            ["qr_fallback_seconds"] = Timing.Each(() => Linalg.SolveQr(x, y, n, d, 1, Linalg.DefaultRcond(n, d)), minReps: 3, minSeconds: 1.0, warmupSeconds: 0.5),
            ["qr_whole_seconds"] = Timing.Each(() => Linalg.SolveQr(x, y, n, d, 1, Linalg.DefaultRcond(n, d), chunked: false), minReps: 1, minSeconds: 0.0, warmupSeconds: 0.0),
            ["products_one_thread_cpu_seconds"] = Cpu(() => Gram.Products(xs, 0, ys, 0, n, d, 1, g, c, rtr, parallel: false)),
            ["residuals_one_thread_cpu_seconds"] = Cpu(() => Gram.Residuals(xs, 0, ys, 0, n, d, 1, w, c, rtr, parallel: false)),
        };
    }

    // CPU seconds per call on the calling thread: less disturbed than wall time when other processes share the cores.
    private static double Cpu(Action body)
    {
        var proc = System.Diagnostics.Process.GetCurrentProcess();
        body();
        proc.Refresh();
        var t0 = proc.TotalProcessorTime;
        for (int i = 0; i < 20; i++) body();
        proc.Refresh();
        return (proc.TotalProcessorTime - t0).TotalSeconds / 20;
    }
}
