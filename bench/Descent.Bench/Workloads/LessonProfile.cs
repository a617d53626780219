namespace Descent.Bench.Workloads;

/// <summary>W1's allocation profile: bytes allocated per epoch and per step, to keep small ops lean.</summary>
internal static class LessonProfile
{
    public static Dictionary<string, object> Run()
    {
        var s = new Lesson.State();
        for (int i = 0; i < 2000; i++) s.Epoch();
        long before = GC.GetAllocatedBytesForCurrentThread();
        const int epochs = 1000;
        for (int i = 0; i < epochs; i++) s.Epoch();
        long perEpoch = (GC.GetAllocatedBytesForCurrentThread() - before) / epochs;
        var steps = new List<string>();
        long last = GC.GetAllocatedBytesForCurrentThread();
        void Mark(string what)
        {
            long now = GC.GetAllocatedBytesForCurrentThread();
            steps.Add($"{what}:{now - last}");
            last = now;
        }
        var mm = s.X.MatMul(s.W.T); Mark("mm");
        var preds = mm + s.B; Mark("add");
        var diff = preds - s.Y; Mark("sub");
        var sq = diff * diff; Mark("mul");
        var sum = sq.Sum(); Mark("sum");
        var loss = sum / diff.Numel(); Mark("div");
        loss.Backward(); Mark("backward");
        using (Tensor.NoGrad())
        {
            s.W.SubInPlace(s.W.Grad! * 1e-5); Mark("updW");
            s.B.SubInPlace(s.B.Grad! * 1e-5); Mark("updB");
            s.W.Grad!.ZeroInPlace(); Mark("zeroW");
            s.B.Grad!.ZeroInPlace(); Mark("zeroB");
        }
        loss.Item<float>(); Mark("item");
        var wt = s.W.T;
        var g2 = Tensor.Ones(5, 2);
        var times = new List<string>();
        void T(string name, Action a) => times.Add($"{name}:{Timing.PerCall(a, 0.05, 3) * 1e9:F0}ns");
        T("epoch", () => s.Epoch());
        T("W.T", () => _ = s.W.T);
        T("mm", () => s.X.MatMul(wt));
        T("add_b", () => _ = mm + s.B);
        T("sub", () => _ = preds - s.Y);
        T("mul", () => _ = diff * diff);
        T("sum", () => _ = sq.Sum());
        T("div", () => _ = sum / 10);
        T("nograd_mul_scalar", () => { using (Tensor.NoGrad()) _ = g2 * 1e-5; });
        T("nograd_add", () => { using (Tensor.NoGrad()) _ = g2 + g2; });
        T("zero", () => g2.ZeroInPlace());
        T("empty", () => Tensor.Zeros(5, 2));
        T("item", () => sum.Item<float>());
        return new() { ["workload"] = "W1alloc", ["params"] = "5x3", ["seconds"] = 0.0, ["bytes_per_epoch"] = perEpoch, ["steps"] = string.Join(" ", steps), ["times"] = string.Join(" ", times) };
    }
}
