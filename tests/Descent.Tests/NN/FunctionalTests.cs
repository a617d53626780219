using System.Text.Json;
using Descent.NN;
using Xunit;

namespace Descent.Tests.NN;

public class FunctionalTests
{
    private static readonly JsonElement Fixture = NNFixture.Load("losses.json");

    private static Reduction ParseReduction(string s) => s switch { "mean" => Reduction.Mean, "sum" => Reduction.Sum, _ => Reduction.None };

    private static Tensor? Opt(JsonElement kwargs, string name) => kwargs.TryGetProperty(name, out var v) ? v.ToTensor() : null;

    /// <summary>The Descent function for a fixture case: input → loss, with the case's other inputs and options bound.</summary>
    private static Func<Tensor, Tensor> Loss(JsonElement c)
    {
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(e => e.ToTensor()).ToArray();
        var target = inputs[1];
        var kw = c.GetProperty("kwargs");
        var r = ParseReduction(c.GetProperty("reduction").GetString()!);
        double Num(string name, double d) => kw.TryGetProperty(name, out var v) ? v.GetDouble() : d;
        return c.GetProperty("name").GetString() switch
        {
            "mse_loss" => x => Functional.MseLoss(x, target, r),
            "l1_loss" => x => Functional.L1Loss(x, target, r),
            "huber_loss" => x => Functional.HuberLoss(x, target, r, Num("delta", 1)),
            "smooth_l1_loss" => x => Functional.SmoothL1Loss(x, target, r, Num("beta", 1)),
            "binary_cross_entropy_with_logits" => x => Functional.BinaryCrossEntropyWithLogits(x, target, Opt(kw, "weight"), r, Opt(kw, "pos_weight")),
            "cross_entropy" => x => Functional.CrossEntropy(x, target, Opt(kw, "weight"), (long)Num("ignore_index", -100), r, Num("label_smoothing", 0)),
            "nll_loss" => x => Functional.NllLoss(x, target, Opt(kw, "weight"), (long)Num("ignore_index", -100), r),
            var n => throw new InvalidOperationException(n),
        };
    }

    public static TheoryData<int> LossCases() => [.. Enumerable.Range(0, Fixture.GetProperty("losses").GetArrayLength())];

    [Theory]
    [MemberData(nameof(LossCases))]
    public void LossValueAndGradientMatchPyTorch(int index)
    {
        var c = Fixture.GetProperty("losses")[index];
        var what = $"{c.GetProperty("name").GetString()} {c.GetProperty("kwargs")} reduction={c.GetProperty("reduction").GetString()}";
        var x = c.GetProperty("inputs")[0].ToTensor();
        x.RequiresGrad = true;
        var output = Loss(c)(x);
        var expected = c.GetProperty("output").ToTensor();
        bool f64 = x.DType == DType.Float64;
        double rtol = f64 ? 1e-12 : 1e-5, atol = f64 ? 1e-12 : 1e-5;
        NNFixture.AssertClose(expected, output, rtol, atol, what + " value");
        (output * c.GetProperty("seed").ToTensor()).Sum().Backward();
        NNFixture.AssertClose(c.GetProperty("grad").ToTensor(), x.Grad!, rtol, atol, what + " gradient");
        Assert.All(NNFixture.Values(output), v => Assert.True(double.IsFinite(v), what + ": not finite"));
    }

    [Theory]
    [MemberData(nameof(LossCases))]
    public void LossGradientMatchesFiniteDifferences(int index)
    {
        var c = Fixture.GetProperty("losses")[index];
        var x0 = c.GetProperty("inputs")[0].ToTensor();
        if (x0.DType != DType.Float64) return;
        var f = Loss(c);
        var seed = c.GetProperty("seed").ToTensor();
        var x = x0.Clone();
        x.RequiresGrad = true;
        (f(x) * seed).Sum().Backward();
        var numeric = NNFixture.NumericGrad(f, x0.ToArray<double>(), x0.Shape.ToArray(), seed);
        NNFixture.AssertClose(numeric, x.Grad!.ToArray<double>(), 1e-5, 1e-6, $"{c.GetProperty("name").GetString()} finite differences");
    }

    public static TheoryData<int> SoftmaxCases() => [.. Enumerable.Range(0, Fixture.GetProperty("softmax").GetArrayLength())];

    [Theory]
    [MemberData(nameof(SoftmaxCases))]
    public void SoftmaxAndLogSoftmaxMatchPyTorch(int index)
    {
        var c = Fixture.GetProperty("softmax")[index];
        int dim = c.GetProperty("dim").GetInt32();
        var what = $"{c.GetProperty("name").GetString()} {c.GetProperty("case").GetString()} dim={dim}";
        var x = c.GetProperty("input").ToTensor();
        x.RequiresGrad = true;
        var y = c.GetProperty("name").GetString() == "softmax" ? Functional.Softmax(x, dim) : Functional.LogSoftmax(x, dim);
        NNFixture.AssertClose(c.GetProperty("output").ToTensor(), y, 1e-12, 1e-300, what);
        (y * c.GetProperty("seed").ToTensor()).Sum().Backward();
        NNFixture.AssertClose(c.GetProperty("grad").ToTensor(), x.Grad!, 1e-12, 1e-14, what + " gradient");
    }

    [Fact]
    public void SoftmaxModulesMatchFunctional()
    {
        var x = Tensor.RandN([3, 4], generator: new Generator(1));
        Assert.Equal(Functional.Softmax(x, 1).ToArray<float>(), new Softmax(1).Forward(x).ToArray<float>());
        Assert.Equal(Functional.LogSoftmax(x, 0).ToArray<float>(), new LogSoftmax(0).Forward(x).ToArray<float>());
        var rows = Functional.Softmax(x, 1).Sum(1).ToArray<float>();
        Assert.All(rows, s => Assert.Equal(1f, s, 5));
    }

    [Fact]
    public void LossModulesMatchFunctional()
    {
        var x = Tensor.RandN([4, 3], generator: new Generator(2));
        var y = Tensor.RandN([4, 3], generator: new Generator(3));
        var labels = Tensor.From(new long[] { 0, 2, 1, 1 });
        var w = Tensor.From(new float[] { 1, 2, 3 });
        Assert.Equal(Functional.MseLoss(x, y, Reduction.Sum).Item(), new MseLoss(Reduction.Sum).Forward(x, y).Item());
        Assert.Equal(Functional.L1Loss(x, y).Item(), new L1Loss().Forward(x, y).Item());
        Assert.Equal(Functional.HuberLoss(x, y, delta: 0.3).Item(), new HuberLoss(delta: 0.3).Forward(x, y).Item());
        Assert.Equal(Functional.SmoothL1Loss(x, y, beta: 0.3).Item(), new SmoothL1Loss(beta: 0.3).Forward(x, y).Item());
        var p = Functional.Sigmoid(y);
        Assert.Equal(Functional.BinaryCrossEntropyWithLogits(x, p, posWeight: w).Item(), new BceWithLogitsLoss(posWeight: w).Forward(x, p).Item());
        Assert.Equal(Functional.CrossEntropy(x, labels, w).Item(), new CrossEntropyLoss(w).Forward(x, labels).Item());
        var logp = Functional.LogSoftmax(x, 1);
        Assert.Equal(Functional.NllLoss(logp, labels, ignoreIndex: 1).Item(), new NllLoss(ignoreIndex: 1).Forward(logp, labels).Item());
        Assert.Equal(Functional.CrossEntropy(x, labels).Item(), Functional.NllLoss(logp, labels).Item(), 6);
    }

    [Fact]
    public void MseLossIsTheLessonsLoss()
    {
        var preds = Tensor.From(new float[,] { { 1, 2 }, { 3, 4 } });
        var targets = Tensor.From(new float[,] { { 0, 0 }, { 5, 1 } });
        Assert.Equal((1 + 4 + 4 + 9) / 4f, Functional.MseLoss(preds, targets).Item<float>());
        Assert.Equal(18f, Functional.MseLoss(preds, targets, Reduction.Sum).Item<float>());
        Assert.Equal(new float[,] { { 1, 4 }, { 4, 9 } }, (float[,])Functional.MseLoss(preds, targets, Reduction.None).ToArray());
    }

    [Fact]
    public void MseLossTakesAMaskAsATarget()
    {
        // torch: F.mse_loss(tensor([0.5, 0.2]), tensor([True, False])) is 0.1450; with reduction='none', [0.25, 0.04].
        var preds = Tensor.From(new[] { 0.5f, 0.2f });
        var mask = Tensor.From(new[] { true, false });
        Assert.Equal(0.145f, Functional.MseLoss(preds, mask).Item<float>(), 6);
        Assert.Equal([0.25f, 0.2f * 0.2f], Functional.MseLoss(preds, mask, Reduction.None).ToArray<float>());
    }

    [Fact]
    public void AShapeMismatchSuggestsAReshapeOnlyWhereOneFits()
    {
        // (N, 1) against (N): the same numbers, so a reshape of the target is the fix, with the shape it needs.
        var column = Assert.Throws<ShapeMismatchException>(() => Functional.MseLoss(Tensor.Zeros(5, 1), Tensor.Zeros(5)));
        Assert.Contains("target.Reshape(5, 1)", column.Message);
        // Linear(3, 1) against two target columns: no reshape fits; the model needs another output.
        var outputs = Assert.Throws<ShapeMismatchException>(() => Functional.MseLoss(Tensor.Zeros(15, 1), Tensor.Zeros(15, 2)));
        Assert.DoesNotContain("Reshape", outputs.Message);
        Assert.Contains("1 value(s) per row and the target 2", outputs.Message);
        var fused = Assert.Throws<ShapeMismatchException>(() => Functional.LinearMseLoss(Tensor.Zeros(15, 3), Tensor.Zeros(1, 3), Tensor.Zeros(1), Tensor.Zeros(15, 2)));
        Assert.DoesNotContain("Reshape", fused.Message);
        Assert.DoesNotContain("Reshape", Assert.Throws<ShapeMismatchException>(() => Functional.L1Loss(Tensor.Zeros(5, 2), Tensor.Zeros(2, 5))).Message);
    }

    [Fact]
    public void LossesRejectMismatchedShapesAndBadTargets()
    {
        var ex = Assert.Throws<ShapeMismatchException>(() => Functional.MseLoss(Tensor.Zeros(5, 1), Tensor.Zeros(5)));
        Assert.Contains("[5, 1]", ex.Message);
        Assert.Contains("[5]", ex.Message);
        var logits = Tensor.Zeros(2, 3);
        Assert.Contains("target 3 is out of bounds for 3 classes", Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy(logits, Tensor.From(new long[] { 0, 3 }))).Message);
        Assert.Throws<ShapeMismatchException>(() => Functional.CrossEntropy(logits, Tensor.From(new long[] { 0, 1, 2 })));
        Assert.Throws<DTypeMismatchException>(() => Functional.NllLoss(logits, Tensor.From(new float[] { 0, 1 })));
        Assert.Throws<ShapeMismatchException>(() => Functional.CrossEntropy(logits, Tensor.Zeros(3, 2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Functional.HuberLoss(logits, logits, delta: 0));
    }

    [Fact]
    public void CrossEntropyRefusesAnIgnoredClassWithProbabilityTargets()
    {
        // PyTorch 1.13: "ignore_index is not supported for floating point target" for any ignore_index >= 0.
        var logits = Tensor.Zeros(2, 3);
        var probs = Tensor.Ones(2, 3) / 3.0;
        var ex = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(logits, probs, ignoreIndex: 1));
        Assert.Contains("ignoreIndex 1", ex.Message);
        Assert.Throws<ArgumentException>(() => new CrossEntropyLoss(ignoreIndex: 0).Forward(logits[0], probs[0]));
        Assert.Equal(Math.Log(3), Functional.CrossEntropy(logits, probs, ignoreIndex: -1).Item(), 6);
        Assert.Equal(Math.Log(3), Functional.CrossEntropy(logits, probs).Item(), 6);
    }

    [Fact]
    public void CrossEntropyLossSmoothsLabelsAndRefusesSharesOutsideZeroToOne()
    {
        // PyTorch 1.13: F.cross_entropy(torch.tensor([[1., 2, 3], [0, 1, -1]]), torch.tensor([0, 2]), label_smoothing=0.1)
        // is 2.3076 (2.4076 without smoothing).
        var x = Tensor.From(new float[,] { { 1, 2, 3 }, { 0, 1, -1 } });
        var labels = Tensor.From(new long[] { 0, 2 });
        Assert.Equal(2.3076, new CrossEntropyLoss(labelSmoothing: 0.1).Forward(x, labels).Item(), 4);
        Assert.Equal(0.1, new CrossEntropyLoss(labelSmoothing: 0.1).LabelSmoothing);
        Assert.Contains("labelSmoothing must be between 0 and 1, got 1.5", Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy(x, labels, labelSmoothing: 1.5)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss(labelSmoothing: -0.1));
    }

    [Fact]
    public void CrossEntropyIgnoringEverySampleIsNaNAsInPyTorch()
    {
        var loss = Functional.CrossEntropy(Tensor.Zeros(2, 3), Tensor.From(new long[] { -100, -100 }));
        Assert.True(double.IsNaN(loss.Item()));
    }

    [Fact]
    public void DropoutZeroesAndRescalesOnlyInTraining()
    {
        var x = Tensor.Ones(100, 100);
        var y = Functional.Dropout(x, 0.3, generator: new Generator(4)).ToArray<float>();
        int zeros = y.Count(v => v == 0);
        Assert.InRange(zeros, 3000 - 5 * 46, 3000 + 5 * 46);
        Assert.All(y, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.7f) < 1e-6, $"{v}"));
        Assert.Equal(y, Functional.Dropout(x, 0.3, generator: new Generator(4)).ToArray<float>());
        Assert.Same(x, Functional.Dropout(x, 0.3, training: false));
        Assert.Same(x, Functional.Dropout(x, 0));
        Assert.All(Functional.Dropout(x, 1).ToArray<float>(), v => Assert.Equal(0f, v));
        Assert.Throws<ArgumentOutOfRangeException>(() => Functional.Dropout(x, 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(-0.1));

        var layer = new Dropout(0.5, new Generator(1));
        Assert.Contains(0f, layer.Forward(x).ToArray<float>());
        layer.Eval();
        Assert.Same(x, layer.Forward(x));
    }

    [Fact]
    public void DropoutGradientFollowsTheMask()
    {
        var x = Tensor.Ones([10, 10], requiresGrad: true);
        var y = Functional.Dropout(x, 0.5, generator: new Generator(8));
        y.Sum().Backward();
        Assert.Equal(y.ToArray<float>(), x.Grad!.ToArray<float>());
    }

    [Fact]
    public void FlattenKeepsTheBatchDim()
    {
        Assert.Equal([2, 12], new Flatten().Forward(Tensor.Zeros(2, 3, 4)).Shape.ToArray());
        Assert.Equal([6, 4], new Flatten(0, 1).Forward(Tensor.Zeros(2, 3, 4)).Shape.ToArray());
    }

    [Fact]
    public void ActivationModulesApplyTheirFunctions()
    {
        var x = Tensor.From(new float[] { -2, 0, 3 });
        Assert.Equal([0f, 0f, 3f], new ReLU().Forward(x).ToArray<float>());
        Assert.Equal(x.Sigmoid().ToArray<float>(), new Sigmoid().Forward(x).ToArray<float>());
        Assert.Equal(x.Tanh().ToArray<float>(), new Tanh().Forward(x).ToArray<float>());
    }
}
