using System.Text.Json;
using Descent.NN;
using Descent.Optim;
using Descent.Tests.NN;
using Xunit;

namespace Descent.Tests.Optim;

public class OptimizerTests
{
    private static readonly JsonElement Fixture = NNFixture.Load("optim.json");

    public static TheoryData<int> Cases() => [.. Enumerable.Range(0, Fixture.GetProperty("cases").GetArrayLength())];

    private static Optimizer Make(JsonElement c, IEnumerable<Tensor> parameters)
    {
        var o = c.GetProperty("options");
        double Num(string name, double d) => o.TryGetProperty(name, out var v) ? v.GetDouble() : d;
        bool Flag(string name) => o.TryGetProperty(name, out var v) && v.GetBoolean();
        (double, double)? betas = o.TryGetProperty("betas", out var b) ? (b[0].GetDouble(), b[1].GetDouble()) : null;
        return c.GetProperty("optimizer").GetString() switch
        {
            "Sgd" => new Sgd(parameters, Num("lr", 0), Num("momentum", 0), Num("dampening", 0), Num("weight_decay", 0), Flag("nesterov"), Flag("maximize")),
            "Adam" => new Adam(parameters, Num("lr", 1e-3), betas, Num("eps", 1e-8), Num("weight_decay", 0), Flag("amsgrad")),
            "AdamW" => new AdamW(parameters, Num("lr", 1e-3), betas, Num("eps", 1e-8), Num("weight_decay", 1e-2), Flag("amsgrad")),
            var k => throw new InvalidOperationException(k),
        };
    }

    /// <summary>The fixture's problem: parameters w, b and an unused one, and the loss mse(x wᵀ + b, y).</summary>
    private sealed class Problem
    {
        public readonly Tensor X, Y, W, B, Frozen;

        public Problem(DType dtype)
        {
            X = Fixture.GetProperty("x").ToTensor(dtype);
            Y = Fixture.GetProperty("y").ToTensor(dtype);
            W = Fixture.GetProperty("weight").ToTensor(dtype);
            B = Fixture.GetProperty("bias").ToTensor(dtype);
            Frozen = Fixture.GetProperty("frozen").ToTensor(dtype);
            W.RequiresGrad = B.RequiresGrad = Frozen.RequiresGrad = true;
        }

        public Tensor[] Parameters => [W, B, Frozen];

        public double Step(Optimizer opt)
        {
            var loss = Functional.MseLoss(X.MatMul(W.T) + B, Y);
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
            return loss.Item();
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrajectoryMatchesPyTorch(int index)
    {
        var c = Fixture.GetProperty("cases")[index];
        var dtype = c.GetProperty("dtype").GetString() == "float64" ? DType.Float64 : DType.Float32;
        var what = $"{c.GetProperty("name").GetString()} {c.GetProperty("dtype").GetString()}";
        // float64 shows the formulas are PyTorch's; float32 that the rounding of each step is, to a few ulps.
        double rtol = dtype == DType.Float64 ? 1e-12 : 2e-6, atol = dtype == DType.Float64 ? 1e-13 : 1e-6;
        var problem = new Problem(dtype);
        var frozen = problem.Frozen.ToArray();
        var opt = Make(c, problem.Parameters);
        int step = 0;
        foreach (var expected in c.GetProperty("steps").EnumerateArray())
        {
            double loss = problem.Step(opt);
            NNFixture.AssertClose([expected.GetProperty("loss").GetDouble()], [loss], rtol, atol, $"{what} step {step} loss");
            NNFixture.AssertClose(expected.GetProperty("weight").ToTensor(dtype), problem.W, rtol, atol, $"{what} step {step} weight");
            NNFixture.AssertClose(expected.GetProperty("bias").ToTensor(dtype), problem.B, rtol, atol, $"{what} step {step} bias");
            step++;
        }
        Assert.Equal(frozen, problem.Frozen.ToArray());
        // The state as PyTorch names it: same entries, same values; nothing for the parameter without gradients.
        // PyTorch's plain SGD keeps {"momentum_buffer": None} per parameter, which the fixture writes as {}: no entry here.
        var state = opt.StateDict().State;
        var expectedState = c.GetProperty("final_state").EnumerateObject().Where(p => p.Value.EnumerateObject().Any()).ToArray();
        Assert.Equal(expectedState.Select(p => int.Parse(p.Name)).Order(), state.Keys.Order());
        foreach (var entry in expectedState)
        {
            var mine = state[int.Parse(entry.Name)];
            Assert.Equal(entry.Value.EnumerateObject().Select(p => p.Name).Order(), mine.Keys.Order());
            foreach (var buffer in entry.Value.EnumerateObject())
                NNFixture.AssertClose(buffer.Value.ToTensor(buffer.Name == "step" ? DType.Float32 : dtype), mine[buffer.Name], rtol, atol, $"{what} state {entry.Name}.{buffer.Name}");
        }
    }

    private static readonly JsonElement Updates = NNFixture.Load("updates.json");

    public static TheoryData<int> UpdateCases() => [.. Enumerable.Range(0, Updates.GetProperty("cases").GetArrayLength())];

    [Theory]
    [MemberData(nameof(UpdateCases))]
    public void UpdatesArePyTorchsToTheBit(int index)
    {
        // PyTorch's add_(x, alpha=a) and addcmul_ are fused multiply-adds; with a multiply and an add, about one
        // float32 element in six came out one ulp off after an SGD step, and a few in a hundred after Adam's.
        var c = Updates.GetProperty("cases")[index];
        var dtype = c.GetProperty("dtype").GetString() == "float64" ? DType.Float64 : DType.Float32;
        var p = c.GetProperty("param").ToTensor(dtype);
        p.RequiresGrad = true;
        var opt = Make(c, [p]);
        foreach (var grad in c.GetProperty("grads").EnumerateArray())
        {
            p.Grad = grad.ToTensor(dtype);
            opt.Step();
        }
        Assert.Equal(c.GetProperty("final").ToTensor(dtype).ToArray(), p.Detach().ToArray());
    }

    [Theory]
    [InlineData("Sgd")]
    [InlineData("Adam")]
    [InlineData("AdamW")]
    public void StateDictRoundTripResumesExactly(string kind)
    {
        Optimizer Build(Problem p) => kind switch
        {
            "Sgd" => new Sgd(p.Parameters, 0.05, momentum: 0.9, nesterov: true),
            "Adam" => new Adam(p.Parameters, 0.1, amsgrad: true),
            _ => new AdamW(p.Parameters, 0.1),
        };
        var first = new Problem(DType.Float32);
        var opt = Build(first);
        for (int i = 0; i < 3; i++) first.Step(opt);
        var saved = opt.StateDict();
        var w3 = first.W.Clone();
        var b3 = first.B.Clone();
        // The snapshot is a copy: further steps leave it alone.
        var savedBuffers = saved.State[0].ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        var losses = Enumerable.Range(0, 3).Select(_ => first.Step(opt)).ToArray();
        foreach (var (key, t) in savedBuffers) Assert.Equal(t.ToArray(), saved.State[0][key].ToArray());

        var second = new Problem(DType.Float32);
        using (Tensor.NoGrad())
        {
            second.W.CopyInPlace(w3);
            second.B.CopyInPlace(b3);
        }
        var resumed = Build(second);
        resumed.LoadStateDict(saved);
        var resumedLosses = Enumerable.Range(0, 3).Select(_ => second.Step(resumed)).ToArray();
        Assert.Equal(losses, resumedLosses);
        Assert.Equal(first.W.ToArray<float>(), second.W.ToArray<float>());
        Assert.Equal(first.B.ToArray<float>(), second.B.ToArray<float>());
    }

    [Fact]
    public void StateDictLooksLikePyTorchs()
    {
        var p = new Problem(DType.Float32);
        var opt = new Adam(p.Parameters, 0.01, betas: (0.8, 0.99));
        Assert.Empty(opt.StateDict().State);
        p.Step(opt);
        p.Step(opt);
        var sd = opt.StateDict();
        Assert.Equal([0, 1], sd.State.Keys.Order());
        Assert.Equal(2f, sd.State[0]["step"].Item<float>());
        Assert.Equal(0, sd.State[0]["step"].Dim);
        var group = Assert.Single(sd.ParamGroups);
        Assert.Equal([0, 1, 2], group.Params);
        Assert.Equal(0.01, group.Options["lr"]);
        Assert.Equal(0.8, group.Options["beta1"]);
        Assert.Equal(0.99, group.Options["beta2"]);
        Assert.Equal(1e-8, group.Options["eps"]);
        Assert.Equal(0, group.Options["amsgrad"]);
        Assert.Equal(0, group.Options["weight_decay"]);
    }

    [Fact]
    public void LoadStateDictRestoresHyperparametersAndRejectsMismatches()
    {
        var p = new Problem(DType.Float32);
        var opt = new Sgd(p.Parameters, 0.1, momentum: 0.9);
        p.Step(opt);
        var sd = opt.StateDict();
        sd.ParamGroups[0].Options["lr"] = 0.5;
        var other = new Sgd(new Problem(DType.Float32).Parameters, 0.01);
        other.LoadStateDict(sd);
        Assert.Equal(0.5, other.ParamGroups[0].Lr);
        Assert.Equal(0.9, other.Momentum);

        var small = new Sgd([Tensor.Zeros([2, 3], requiresGrad: true)], 0.1, momentum: 0.9);
        Assert.Contains("3 parameter(s) in the state dict but 1", Assert.Throws<ArgumentException>(() => small.LoadStateDict(sd)).Message);
        var swapped = new Sgd([Tensor.Zeros([2], requiresGrad: true), Tensor.Zeros([2, 3], requiresGrad: true), Tensor.Zeros([2], requiresGrad: true)], 0.1, momentum: 0.9);
        var ex = Assert.Throws<ArgumentException>(() => swapped.LoadStateDict(sd));
        Assert.Contains("\"momentum_buffer\" has shape [2, 3] but the parameter has shape [2]", ex.Message);
        Assert.Equal(0.1, swapped.ParamGroups[0].Lr);
        var adam = new Adam(new Problem(DType.Float32).Parameters);
        Assert.Contains("lacks the option \"beta1\"", Assert.Throws<ArgumentException>(() => adam.LoadStateDict(sd)).Message);
        sd.ParamGroups[0].Options["lr"] = -0.5;
        var negative = Assert.Throws<ArgumentException>(() => other.LoadStateDict(sd));
        Assert.Contains("parameter group 0 has lr -0.5 and weight_decay 0", negative.Message);
        Assert.Equal(0.5, other.ParamGroups[0].Lr);
    }

    [Fact]
    public void LoadStateDictTakesTheSavedAmsgradFlagAsPyTorchDoes()
    {
        // PyTorch's load_state_dict takes the saved groups' options: a plain Adam state loads into an AMSGrad
        // optimizer, which then goes on as plain Adam.
        var first = new Problem(DType.Float32);
        var plain = new Adam(first.Parameters, 0.1);
        for (int i = 0; i < 2; i++) first.Step(plain);
        var saved = plain.StateDict();
        var second = new Problem(DType.Float32);
        using (Tensor.NoGrad())
        {
            second.W.CopyInPlace(first.W);
            second.B.CopyInPlace(first.B);
        }
        var resumed = new Adam(second.Parameters, 0.1, amsgrad: true);
        resumed.LoadStateDict(saved);
        Assert.False(resumed.Amsgrad);
        Assert.Equal(Enumerable.Range(0, 3).Select(_ => first.Step(plain)), Enumerable.Range(0, 3).Select(_ => second.Step(resumed)));
        Assert.Equal(first.W.ToArray<float>(), second.W.ToArray<float>());
        Assert.DoesNotContain("max_exp_avg_sq", resumed.StateDict().State[0].Keys);

        // The other way round, an AMSGrad state turns AMSGrad on; without its maximum it cannot be resumed.
        var p = new Problem(DType.Float32);
        var amsgrad = new Adam(p.Parameters, 0.1, amsgrad: true);
        p.Step(amsgrad);
        var withMax = amsgrad.StateDict();
        var other = new Adam(new Problem(DType.Float32).Parameters, 0.1);
        other.LoadStateDict(withMax);
        Assert.True(other.Amsgrad);
        withMax.State[0].Remove("max_exp_avg_sq");
        var missing = new Adam(new Problem(DType.Float32).Parameters, 0.1);
        Assert.Contains("the state of parameter 0: \"max_exp_avg_sq\" is missing", Assert.Throws<ArgumentException>(() => missing.LoadStateDict(withMax)).Message);
        Assert.False(missing.Amsgrad);
    }

    [Fact]
    public void LoadStateDictRefusesGroupsThatDifferInAnOptionKeptForAllGroups()
    {
        // PyTorch would give each group its own momentum; Sgd has one, so taking group 0's would train differently.
        Sgd Build() => new([new ParamGroup([Tensor.Zeros([2], requiresGrad: true)]), new ParamGroup([Tensor.Zeros([3], requiresGrad: true)], lr: 0.5)], 0.1, momentum: 0.9);
        var sd = Build().StateDict();
        sd.ParamGroups[1].Options["momentum"] = 0.5;
        var opt = Build();
        var ex = Assert.Throws<ArgumentException>(() => opt.LoadStateDict(sd));
        Assert.Contains("parameter group 1 has momentum 0.5 but group 0 has 0.9; Sgd has one momentum for all its groups", ex.Message);
        Assert.Equal(0.9, opt.Momentum);
        // Learning rates and weight decays are per group, as in PyTorch.
        sd.ParamGroups[1].Options["momentum"] = 0.9;
        sd.ParamGroups[1].Options["lr"] = 0.25;
        opt.LoadStateDict(sd);
        Assert.Equal(0.25, opt.ParamGroups[1].Lr);
    }

    [Fact]
    public void ParameterGroupsHaveTheirOwnLearningRates()
    {
        var a = Tensor.Ones([2], requiresGrad: true);
        var b = Tensor.Ones([2], requiresGrad: true);
        var opt = new Sgd([new ParamGroup([a]), new ParamGroup([b], lr: 0.5, weightDecay: 1)], lr: 0.1);
        Assert.Equal(0.1, opt.ParamGroups[0].Lr);
        Assert.Equal(0, opt.ParamGroups[0].WeightDecay);
        Assert.Equal(0.5, opt.ParamGroups[1].Lr);
        (a.Sum() + b.Sum()).Backward();
        opt.Step();
        Assert.Equal([0.9f, 0.9f], a.ToArray<float>());
        Assert.Equal([0f, 0f], b.ToArray<float>());
        opt.ParamGroups[0].Lr = 0;
        opt.Step();
        Assert.Equal([0.9f, 0.9f], a.ToArray<float>());
    }

    [Fact]
    public void ZeroGradSetsNullByDefaultAndStepSkipsNullGradients()
    {
        var w = Tensor.Ones([3], requiresGrad: true);
        var opt = new Adam([w], 0.1);
        (w * 2).Sum().Backward();
        opt.ZeroGrad(setToNone: false);
        Assert.Equal([0f, 0f, 0f], w.Grad!.ToArray<float>());
        opt.ZeroGrad();
        Assert.Null(w.Grad);
        opt.Step();
        Assert.Equal([1f, 1f, 1f], w.ToArray<float>());
        Assert.Empty(opt.StateDict().State);
    }

    [Fact]
    public void StepUpdatesInPlaceAndBumpsTheVersion()
    {
        var w = Tensor.Ones([2], requiresGrad: true);
        var y = w * w;
        var opt = new Sgd([w], 0.5);
        y.Sum().Backward(retainGraph: true);
        int version = w.Version;
        opt.Step();
        Assert.Equal([0f, 0f], w.ToArray<float>());
        Assert.True(w.Version > version);
        // The graph saw the old values of w; PyTorch refuses to go back through it, and so do we.
        Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
    }

    [Fact]
    public void NonContiguousParametersAreUpdated()
    {
        var w = Tensor.From(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } }).T;
        w.RequiresGrad = true;
        Assert.False(w.IsContiguous);
        var opt = new Sgd([w], 1);
        (w * Tensor.From(new float[,] { { 1, 0 }, { 0, 0 }, { 0, 2 } })).Sum().Backward();
        opt.Step();
        Assert.Equal(new float[,] { { 0, 4 }, { 2, 5 }, { 3, 4 } }, (float[,])w.ToArray());
    }

    [Fact]
    public void ConstructorsRejectBadArguments()
    {
        var w = Tensor.Ones([2], requiresGrad: true);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([w], -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([w], 0.1, momentum: -1));
        Assert.Contains("Nesterov", Assert.Throws<ArgumentException>(() => new Sgd([w], 0.1, nesterov: true)).Message);
        Assert.Throws<ArgumentException>(() => new Sgd([w], 0.1, momentum: 0.9, dampening: 0.1, nesterov: true));
        Assert.Contains("empty parameter list", Assert.Throws<ArgumentException>(() => new Adam(Array.Empty<Tensor>())).Message);
        Assert.Contains("more than once", Assert.Throws<ArgumentException>(() => new Adam([w, w])).Message);
        Assert.Contains("leaf", Assert.Throws<ArgumentException>(() => new Adam([w * 2])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam([w], betas: (1.0, 0.999)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW([w], eps: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW([w], weightDecay: -1));
        // A NaN learning rate (say, from a failed parse) is refused with a message that covers it, not "negative" alone.
        Assert.Contains("not NaN", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([w], double.NaN)).Message);
        Assert.Contains("not NaN", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([w], 0.1).ParamGroups[0].Lr = double.NaN).Message);
    }

    [Fact]
    public void AdamWDefaultsToWeightDecayAndDecouplesIt()
    {
        var w = Tensor.Ones([1], requiresGrad: true);
        var opt = new AdamW([w], lr: 0.1);
        Assert.Equal(0.01, opt.ParamGroups[0].WeightDecay);
        Assert.True(opt.DecoupledWeightDecay);
        // With a zero gradient Adam's step is 0, so only the decay acts: w * (1 - lr * wd).
        w.Grad = Tensor.Zeros(1);
        opt.Step();
        Assert.Equal(1 - 0.1f * 0.01f, w.Item<float>(), 7);
    }

    [Fact]
    public void ASecondStepAllocatesNothingPerElement()
    {
        var w = Tensor.Zeros([1000], requiresGrad: true);
        var b = Tensor.Zeros([1000], requiresGrad: true);
        w.Grad = Tensor.Ones(1000);
        b.Grad = Tensor.Ones(1000);
        foreach (Optimizer opt in new Optimizer[] { new Sgd([w, b], 0.1, momentum: 0.9), new Adam([w, b], amsgrad: true) })
        {
            opt.Step();
            long before = GC.GetAllocatedBytesForCurrentThread();
            opt.Step();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            // Enumerators and the grad-mode scope only; the 2000 elements would take at least 8000 bytes.
            Assert.True(allocated < 1024, $"{opt.GetType().Name}.Step allocated {allocated} bytes");
        }
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void PlainSgdIsParameterPlusMinusLrTimesGradientAtEveryLength(DType dtype)
    {
        // The SIMD path of plain SGD against the per-element rule p + (-lr) * g, rounded once as PyTorch's add_ with
        // alpha is (a fused multiply-add).
        var gen = new Generator(6);
        for (int n = 0; n <= 70; n++)
        {
            var w = Tensor.RandN([n], dtype, generator: gen);
            w.RequiresGrad = true;
            var grad = Tensor.RandN([n], dtype, generator: gen);
            w.Grad = grad;
            var before = w.To(DType.Float64).ToArray<double>();
            var g = grad.To(DType.Float64).ToArray<double>();
            new Sgd([w], 0.3).Step();
            var after = w.To(DType.Float64).ToArray<double>();
            for (int i = 0; i < n; i++)
            {
                double expected = dtype == DType.Float32 ? MathF.FusedMultiplyAdd((float)g[i], -0.3f, (float)before[i]) : Math.FusedMultiplyAdd(g[i], -0.3, before[i]);
                Assert.Equal(expected, after[i]);
            }
        }
    }
}
