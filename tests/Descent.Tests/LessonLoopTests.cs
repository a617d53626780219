using System.Text.Json;
using Descent;
using Xunit;
using Xunit.Abstractions;

namespace Descent.Tests;

/// <summary>
/// The lesson's manual training loop, epoch by epoch against PyTorch 1.13 run from the same initial weights
/// (Fixtures/lesson.json, made by tools/fixtures/lesson.py): the first 5 rows of apples_oranges.csv, 100 epochs,
/// lr 1e-5, <c>inputs @ w.T + b</c>, loss <c>sum(diff * diff) / numel</c>, update <c>w -= w.Grad * lr</c> under NoGrad,
/// gradients zeroed.
/// </summary>
public class LessonLoopTests(ITestOutputHelper output)
{
    // float32 precision: every epoch's loss within 2 ulp-ish of PyTorch's, and the final weights likewise.
    private const double LossTolerance = 1e-6;
    private const double WeightTolerance = 1e-6;

    private static readonly JsonElement Fixture = LoadFixture();

    private static JsonElement LoadFixture()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "lesson.json")));
        return doc.RootElement.Clone();
    }

    private static float[] Floats(string name) => Fixture.GetProperty(name).EnumerateArray().Select(e => e.GetSingle()).ToArray();

    [Fact]
    public void EveryEpochsLossMatchesPyTorch()
    {
        var inputs = Tensor.FromSpan<float>(Floats("inputs"), 5, 3);
        var targets = Tensor.FromSpan<float>(Floats("targets"), 5, 2);
        var w = Tensor.FromSpan<float>(Floats("w0"), 2, 3);
        var b = Tensor.FromSpan<float>(Floats("b0"), 2);
        w.RequiresGrad = true;
        b.RequiresGrad = true;
        double lr = Fixture.GetProperty("lr").GetDouble();
        var expected = Floats("losses");
        Assert.Equal(Fixture.GetProperty("epochs").GetInt32(), expected.Length);

        double worst = 0;
        int worstEpoch = 0;
        for (int epoch = 0; epoch < expected.Length; epoch++)
        {
            var predictions = inputs.MatMul(w.T) + b;
            var diff = predictions - targets;
            var loss = (diff * diff).Sum() / diff.Numel();
            float value = loss.Item<float>();
            double rel = Math.Abs(value - expected[epoch]) / expected[epoch];
            if (rel > worst) (worst, worstEpoch) = (rel, epoch);
            Assert.True(rel <= LossTolerance, $"epoch {epoch}: loss {value:R}, PyTorch {expected[epoch]:R} (relative error {rel:E2})");
            loss.Backward();
            using (Tensor.NoGrad())
            {
                w.SubInPlace(w.Grad! * lr);
                b.SubInPlace(b.Grad! * lr);
                w.Grad!.ZeroInPlace();
                b.Grad!.ZeroInPlace();
            }
        }
        output.WriteLine($"loss {expected[0]:R} -> {expected[^1]:R}; largest relative difference from PyTorch {worst:E2} (epoch {worstEpoch})");

        double worstWeight = 0;
        foreach (var (actual, name) in new[] { (w, "w"), (b, "b") })
        {
            var want = Floats(name);
            var got = actual.ToArray<float>();
            for (int i = 0; i < want.Length; i++)
            {
                double rel = Math.Abs(got[i] - want[i]) / Math.Abs(want[i]);
                worstWeight = Math.Max(worstWeight, rel);
                Assert.True(rel <= WeightTolerance, $"final {name}[{i}] = {got[i]:R}, PyTorch {want[i]:R} (relative error {rel:E2})");
            }
        }
        output.WriteLine($"final w and b: largest relative difference from PyTorch {worstWeight:E2}");
    }
}
