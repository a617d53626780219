using Descent.Data;
using Descent.NN;
using Descent.Optim;

namespace Descent.Bench.Workloads;

/// <summary>The nn workloads: W2 (the lesson's nn epoch), W4 (mini-batch linear regression), W5 (an MLP classifier).</summary>
internal static class Training
{
    /// <summary>The lesson's 15 rows: temp, rainfall, humidity -> apples, oranges.</summary>
    private static readonly float[,] Rows =
    {
        { 73, 67, 43, 56, 70 }, { 91, 88, 64, 81, 101 }, { 87, 134, 58, 119, 133 }, { 102, 43, 37, 22, 37 },
        { 69, 96, 70, 103, 119 }, { 74, 66, 43, 57, 69 }, { 91, 87, 65, 80, 102 }, { 88, 134, 59, 118, 132 },
        { 101, 44, 37, 21, 38 }, { 68, 96, 71, 104, 118 }, { 73, 66, 44, 57, 69 }, { 92, 87, 64, 82, 100 },
        { 87, 135, 57, 118, 134 }, { 103, 43, 36, 20, 38 }, { 68, 97, 70, 102, 120 },
    };

    /// <summary>One epoch: every batch forward, loss, backward, step, zero.</summary>
    private static float Epoch(DataLoader loader, Module<Tensor, Tensor> model, Module<Tensor, Tensor, Tensor> lossFn, Optimizer opt)
    {
        float last = 0;
        foreach (var batch in loader)
        {
            var loss = lossFn.Forward(model.Forward(batch[0]), batch[1]);
            loss.Backward();
            opt.Step();
            opt.ZeroGrad();
            last = loss.Item<float>();
        }
        return last;
    }

    public static Dictionary<string, object> LessonNN()
    {
        var data = Tensor.From(Rows);
        var x = data.Narrow(1, 0, 3).Contiguous();
        var y = data.Narrow(1, 3, 2).Contiguous();
        var g = new Generator(0);
        var loader = new DataLoader(new TensorDataset(x, y), batchSize: 5, shuffle: true, generator: g);
        var model = new Linear(3, 2, generator: g);
        var opt = new Sgd(model.Parameters(), lr: 1e-5);
        var lossFn = new MseLoss();
        double t = Timing.PerCall(() => Epoch(loader, model, lossFn, opt));
        return new() { ["workload"] = "W2", ["params"] = "15 rows, batch 5", ["seconds"] = t };
    }

    public static Dictionary<string, object> MiniBatch(int n, int d, int batch)
    {
        var g = new Generator(0);
        var x = Tensor.Rand([n, d], generator: g);
        Tensor y;
        using (Tensor.NoGrad()) y = x.MatMul(Tensor.RandN([1, d], generator: g).T) + 0.5;
        var loader = new DataLoader(new TensorDataset(x, y), batchSize: batch, shuffle: true, generator: g);
        var model = new Linear(d, 1, generator: g);
        var opt = new Sgd(model.Parameters(), lr: 0.01);
        var lossFn = new MseLoss();
        float last = 0;
        double t = Timing.Each(() => last = Epoch(loader, model, lossFn, opt), minReps: 3, minSeconds: 2.0);
        return new() { ["workload"] = "W4", ["params"] = $"N={n} D={d} batch={batch}", ["seconds"] = t, ["rows_per_s"] = n / t, ["loss"] = last };
    }

    public static Dictionary<string, object> Mlp(int n, int batch)
    {
        var g = new Generator(0);
        var x = Tensor.RandN([n, 784], generator: g);
        var labels = Tensor.RandInt(0, 10, [n], generator: g);
        var loader = new DataLoader(new TensorDataset(x, labels), batchSize: batch, shuffle: true, generator: g);
        var model = new Sequential(new Linear(784, 256, generator: g), new ReLU(), new Linear(256, 10, generator: g));
        var opt = new Sgd(model.Parameters(), lr: 0.01);
        var lossFn = new CrossEntropyLoss();
        float last = 0;
        double t = Timing.Each(() => last = Epoch(loader, model, lossFn, opt), minReps: 3, minSeconds: 2.0);
        return new() { ["workload"] = "W5", ["params"] = $"N={n} 784-256-10 batch={batch}", ["seconds"] = t, ["loss"] = last };
    }
}
