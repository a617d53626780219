using Descent.Data;
using Descent.NN;
using Descent.Optim;

namespace Descent.Bench.Workloads;

/// <summary>
/// W5's batch step by step, for profiling: allocations and collections over one epoch, then the time of each op of a
/// batch and the page faults it takes (fresh large buffers cost a fault per 4 KiB page when first written).
/// </summary>
internal static class MlpProfile
{
    public static Dictionary<string, object> Run(int batch)
    {
        const int n = 60000;
        var g = new Generator(0);
        var x = Tensor.RandN([n, 784], generator: g);
        var labels = Tensor.RandInt(0, 10, [n], generator: g);
        var loader = new DataLoader(new TensorDataset(x, labels), batchSize: batch, shuffle: true, generator: g);
        var fc1 = new Linear(784, 256, generator: g);
        var fc2 = new Linear(256, 10, generator: g);
        var model = new Sequential(fc1, new ReLU(), fc2);
        var opt = new Sgd(model.Parameters(), lr: 0.01);
        var lossFn = new CrossEntropyLoss();

        void Epoch()
        {
            foreach (var b in loader)
            {
                var loss = lossFn.Forward(model.Forward(b[0]), b[1]);
                loss.Backward();
                opt.Step();
                opt.ZeroGrad();
                loss.Item<float>();
            }
        }
        Epoch();
        int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
        var pause = GC.GetTotalPauseDuration();
        long bytes = GC.GetTotalAllocatedBytes(true);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Epoch();
        double epoch = sw.Elapsed.TotalSeconds;
        string gc = $"epoch={epoch:F3}s alloc={(GC.GetTotalAllocatedBytes(true) - bytes) / 1e6:F0}MB gen0={GC.CollectionCount(0) - gen0} gen1={GC.CollectionCount(1) - gen1} gen2={GC.CollectionCount(2) - gen2} pause={(GC.GetTotalPauseDuration() - pause).TotalMilliseconds:F0}ms";

        var idx = Tensor.From(g.Permutation(n)[..batch]);
        var xb = x.IndexSelect(0, idx);
        var yb = labels.IndexSelect(0, idx);
        var times = new List<string>();
        static long Faults() => long.Parse(File.ReadAllText("/proc/self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[7], System.Globalization.CultureInfo.InvariantCulture);
        void T(string name, Action a)
        {
            double t = Timing.PerCall(a, 0.1, 5);
            long f0 = Faults();
            for (int i = 0; i < 100; i++) a();
            times.Add($"{name}:{t * 1e6:F1}us/{(Faults() - f0) / 100.0:F0}pf");
        }
        Tensor h1, a1, h2;
        using (Tensor.NoGrad())
        {
            h1 = xb.MatMul(fc1.Weight.T);
            a1 = (h1 + fc1.Bias!).Relu();
            h2 = fc2.Forward(a1);
        }
        var gh1 = Tensor.RandN([batch, 256], generator: g);
        var gh2 = Tensor.RandN([batch, 10], generator: g);
        var h2g = h2.Detach();
        h2g.RequiresGrad = true;
        T("batch", () =>
        {
            var l = lossFn.Forward(model.Forward(xb), yb);
            l.Backward();
            opt.Step();
            opt.ZeroGrad();
            l.Item<float>();
        });
        T("gatherX", () => x.IndexSelect(0, idx));
        T("gatherY", () => labels.IndexSelect(0, idx));
        T("gather", () => { x.IndexSelect(0, idx); labels.IndexSelect(0, idx); });
        T("forward", () => lossFn.Forward(model.Forward(xb), yb));
        T("fwd+bwd", () => lossFn.Forward(model.Forward(xb), yb).Backward());
        opt.ZeroGrad();
        T("step", () => { lossFn.Forward(model.Forward(xb), yb).Backward(); opt.Step(); opt.ZeroGrad(); });
        T("x@W1.T", () => xb.MatMul(fc1.Weight.T));
        T("+b1", () => { using (Tensor.NoGrad()) _ = h1 + fc1.Bias!; });
        T("relu", () => { using (Tensor.NoGrad()) h1.Relu(); });
        T("fc2", () => { using (Tensor.NoGrad()) fc2.Forward(a1); });
        T("ce_fwd", () => lossFn.Forward(h2g, yb));
        T("ce_fwd+bwd", () => { lossFn.Forward(h2g, yb).Backward(); h2g.Grad = null; });
        T("g1.T@x", () => { using (Tensor.NoGrad()) gh1.MT.MatMul(xb); });
        T("g2@W2", () => { using (Tensor.NoGrad()) gh2.MatMul(fc2.Weight); });
        T("g2.T@a1", () => { using (Tensor.NoGrad()) gh2.MT.MatMul(a1); });
        var h1g = h1.Detach();
        h1g.RequiresGrad = true;
        T("relu_fwd+bwd", () => { h1g.Relu().Backward(gh1); h1g.Grad = null; });
        T("sum0_g1", () => { using (Tensor.NoGrad()) gh1.Sum(0); });
        T("sgd_step", () => { foreach (var p in model.Parameters()) p.Grad ??= Tensor.ZerosLike(p); opt.Step(); });
        T("zerograd", () => opt.ZeroGrad());
        return new() { ["workload"] = "W5steps", ["params"] = $"N={n} batch={batch}", ["seconds"] = epoch, ["gc"] = gc, ["times"] = string.Join(" ", times) };
    }
}
