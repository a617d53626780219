using Descent.NN;
using Xunit;

namespace Descent.Tests.NN;

public class ModuleTests
{
    private static Sequential Mlp(long seed = 0) =>
        new(new Linear(3, 4, generator: new Generator(seed)), new ReLU(), new Linear(4, 2, generator: new Generator(seed + 1)));

    private sealed class Net : Module<Tensor, Tensor>
    {
        public readonly Linear Fc1;
        public readonly Linear Fc2;
        public readonly Tensor Scale;

        public Net()
        {
            Fc1 = RegisterModule("fc1", new Linear(3, 4, generator: new Generator(1)));
            Scale = RegisterParameter("scale", Tensor.Ones(1));
            Fc2 = RegisterModule("fc2", new Linear(4, 2, generator: new Generator(2)));
            RegisterBuffer("steps", Tensor.Zeros([1], DType.Int64));
        }

        public override Tensor Forward(Tensor input) => Fc2.Forward(Functional.Relu(Fc1.Forward(input))) * Scale;

        public void Register(string name, Tensor t) => RegisterParameter(name, t);
    }

    private sealed class Tied : Module<Tensor, Tensor>
    {
        public Tied()
        {
            var a = RegisterModule("a", new Linear(2, 2, bias: false, generator: new Generator(3)));
            RegisterModule("b", new Sequential(a));
        }

        public override Tensor Forward(Tensor input) => input;
    }

    [Fact]
    public void SequentialReprNamesAndKeysMatchPyTorch()
    {
        var f = NNFixture.Load("modules.json").GetProperty("sequential");
        var model = Mlp();
        Assert.Equal(f.GetProperty("repr").GetString(), model.ToString());
        Assert.Equal(f.GetProperty("named_parameters").EnumerateArray().Select(e => e.GetString()), model.NamedParameters().Select(p => p.Name));
        Assert.Equal(f.GetProperty("state_dict_keys").EnumerateArray().Select(e => e.GetString()), model.StateDict().Keys);
        Assert.Equal(
            f.GetProperty("shapes").EnumerateArray().Select(s => string.Join(",", s.EnumerateArray().Select(d => d.GetInt32()))),
            model.Parameters().Select(p => string.Join(",", p.Shape.ToArray())));
    }

    [Fact]
    public void NestedReprMatchesPyTorch()
    {
        var f = NNFixture.Load("modules.json").GetProperty("nested");
        var model = new Sequential(
            new Flatten(),
            new Sequential(new Linear(6, 5, bias: false), new Tanh()),
            new Dropout(0.25),
            new Linear(5, 3),
            new Sigmoid(),
            new Softmax(dim: 1),
            new LogSoftmax(dim: -1));
        Assert.Equal(f.GetProperty("repr").GetString(), model.ToString());
        Assert.Equal(f.GetProperty("named_parameters").EnumerateArray().Select(e => e.GetString()), model.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void LeafReprsMatchPyTorch()
    {
        var expected = NNFixture.Load("modules.json").GetProperty("reprs").EnumerateArray().Select(e => e.GetString());
        Module[] modules =
        [
            new MseLoss(), new L1Loss(), new HuberLoss(), new SmoothL1Loss(), new BceWithLogitsLoss(), new CrossEntropyLoss(), new NllLoss(),
            new Linear(3, 2), new Linear(1, 1, bias: false), new Dropout(), new Dropout(1e-5), new Flatten(0, 2),
        ];
        Assert.Equal(expected, modules.Select(m => m.ToString()));
    }

    [Fact]
    public void SequentialForwardWithPyTorchWeightsMatchesPyTorch()
    {
        var f = NNFixture.Load("modules.json").GetProperty("sequential");
        var model = Mlp(7);
        var names = model.NamedParameters().Select(p => p.Name).ToArray();
        var values = f.GetProperty("parameters").EnumerateArray().Select(e => e.ToTensor()).ToArray();
        model.LoadStateDict(names.Zip(values).ToDictionary(p => p.First, p => p.Second));
        var y = model.Forward(f.GetProperty("input").ToTensor());
        NNFixture.AssertClose(f.GetProperty("output").ToTensor(), y, 1e-6, 1e-6, "Sequential output");
    }

    [Fact]
    public void CustomModuleNamesItsMembersWithDots()
    {
        var net = new Net();
        Assert.Equal(["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"], net.NamedParameters().Select(p => p.Name));
        Assert.Equal(["scale", "steps", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"], net.StateDict().Keys);
        Assert.Equal(["steps"], net.NamedBuffers().Select(b => b.Name));
        Assert.Equal([net.Fc1, net.Fc2], net.Children());
        Assert.Equal(["", "fc1", "fc2"], net.NamedModules().Select(m => m.Name));
        Assert.Equal(["weight", "bias"], net.Fc1.NamedParameters().Select(p => p.Name));
        Assert.Equal(["net.scale"], net.NamedParameters("net", recurse: false).Select(p => p.Name));
        Assert.All(net.Parameters(), p => Assert.True(p.RequiresGrad));
        Assert.Equal("Net(\n  (fc1): Linear(in_features=3, out_features=4, bias=True)\n  (fc2): Linear(in_features=4, out_features=2, bias=True)\n)", net.ToString());
    }

    [Fact]
    public void SharedModulesAndParametersAreListedOnce()
    {
        var tied = new Tied();
        Assert.Equal(["a.weight"], tied.NamedParameters().Select(p => p.Name));
        Assert.Single(tied.Parameters());
    }

    [Fact]
    public void StateDictListsASharedModuleUnderEachNameAsPyTorchDoes()
    {
        // l = nn.Linear(2, 2); nn.Sequential(l, l).state_dict().keys() is 0.weight, 0.bias, 1.weight, 1.bias.
        var shared = new Linear(2, 2, generator: new Generator(1));
        var seq = new Sequential(shared, shared);
        var dict = seq.StateDict();
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias"], dict.Keys);
        Assert.Equal(shared.Weight.ToArray<float>(), dict["1.weight"].ToArray<float>());
        Assert.Equal(["a.weight", "b.0.weight"], new Tied().StateDict().Keys);

        // So a state dict PyTorch saved for the tied model loads strictly.
        var other = new Sequential(new Linear(2, 2, generator: new Generator(2)), new Linear(2, 2));
        var fresh = new Sequential(shared, shared);
        fresh.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["0.weight"] = other.StateDict()["0.weight"],
            ["0.bias"] = other.StateDict()["0.bias"],
            ["1.weight"] = other.StateDict()["0.weight"],
            ["1.bias"] = other.StateDict()["0.bias"],
        });
        Assert.Equal(other.StateDict()["0.weight"].ToArray<float>(), shared.Weight.ToArray<float>());
    }

    [Fact]
    public void StateDictOfAModuleThatContainsItselfThrows()
    {
        var outer = new Sequential(new Linear(1, 1));
        var inner = new Sequential(outer);
        outer.Append(inner);
        var e = Assert.Throws<InvalidOperationException>(() => outer.StateDict());
        Assert.Contains("contains itself", e.Message);
    }

    [Fact]
    public void RegistrationRejectsBadNamesAndTensors()
    {
        var net = new Net();
        Assert.Contains("already has a member named \"scale\"", Assert.Throws<ArgumentException>(() => net.Register("scale", Tensor.Ones(1))).Message);
        Assert.Contains("fc1", Assert.Throws<ArgumentException>(() => net.Register("fc1", Tensor.Ones(1))).Message);
        Assert.Throws<ArgumentException>(() => net.Register("a.b", Tensor.Ones(1)));
        Assert.Throws<ArgumentException>(() => net.Register("", Tensor.Ones(1)));
        var x = Tensor.Ones([2], requiresGrad: true);
        Assert.Contains("leaf", Assert.Throws<ArgumentException>(() => net.Register("y", x * 2)).Message);
        Assert.Throws<DTypeMismatchException>(() => net.Register("z", Tensor.Zeros([2], DType.Int64)));
    }

    [Fact]
    public void ParameterCreateSharesDataAndRequiresGrad()
    {
        var data = Tensor.From(new float[] { 1, 2 });
        var p = Parameter.Create(data);
        Assert.True(p.RequiresGrad);
        Assert.True(p.IsLeaf);
        data.AddInPlace(1.0);
        Assert.Equal([2f, 3f], p.ToArray<float>());
        Assert.False(Parameter.Create(data, requiresGrad: false).RequiresGrad);
    }

    [Fact]
    public void ZeroGradSetsNullByDefaultOrZeros()
    {
        var model = Mlp();
        var x = Tensor.Ones(2, 3);
        model.Forward(x).Sum().Backward();
        Assert.All(model.Parameters(), p => Assert.NotNull(p.Grad));
        model.ZeroGrad(setToNone: false);
        Assert.All(model.Parameters(), p => Assert.All(p.Grad!.ToArray<float>(), v => Assert.Equal(0f, v)));
        model.Forward(x).Sum().Backward();
        model.ZeroGrad();
        Assert.All(model.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void TrainAndEvalReachEverySubModule()
    {
        var model = new Sequential(new Linear(2, 2), new Sequential(new Dropout(0.5)));
        Assert.All(model.Modules(), m => Assert.True(m.Training));
        Assert.Same(model, model.Eval());
        Assert.All(model.Modules(), m => Assert.False(m.Training));
        model.Train();
        Assert.All(model.Modules(), m => Assert.True(m.Training));
    }

    [Fact]
    public void StateDictIsDetachedAndSharesData()
    {
        var model = Mlp();
        var state = model.StateDict();
        var weight = state["0.weight"];
        Assert.False(weight.RequiresGrad);
        Assert.Same(model[0] is Linear l ? l.Weight.Storage : null, weight.Storage);
        using (Tensor.NoGrad()) ((Linear)model[0]).Weight.FillInPlace(0.5);
        Assert.All(weight.ToArray<float>(), v => Assert.Equal(0.5f, v));
    }

    [Fact]
    public void LoadStateDictCopiesInPlaceAndRoundTrips()
    {
        var source = Mlp(10);
        var target = Mlp(20);
        var before = target.Parameters().ToArray();
        var snapshot = source.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        var result = target.LoadStateDict(snapshot);
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        Assert.Equal(before, target.Parameters());
        foreach (var ((name, p), (_, q)) in source.NamedParameters().Zip(target.NamedParameters()))
        {
            Assert.Equal(p.ToArray<float>(), q.ToArray<float>());
            Assert.True(q.RequiresGrad, name);
        }
        var x = Tensor.RandN([4, 3], generator: new Generator(5));
        Assert.Equal(source.Forward(x).ToArray<float>(), target.Forward(x).ToArray<float>());
        // The loaded values are copies: changing the dictionary afterwards leaves the model alone.
        snapshot["0.bias"].FillInPlace(100);
        Assert.DoesNotContain(100f, ((Linear)target[0]).Bias!.ToArray<float>());
    }

    [Fact]
    public void LoadStateDictConvertsDTypes()
    {
        var model = new Linear(2, 1, generator: new Generator(1));
        model.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.From(new double[,] { { 1.5, -2 } }),
            ["bias"] = Tensor.From(new long[] { 3 }),
        });
        Assert.Equal([1.5f, -2f], model.Weight.ToArray<float>());
        Assert.Equal([3f], model.Bias!.ToArray<float>());
    }

    [Fact]
    public void LoadStateDictNamesMissingUnexpectedAndMisshapenKeys()
    {
        var model = Mlp();
        var original = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        var bad = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        bad.Remove("2.bias");
        bad["3.weight"] = Tensor.Zeros(1);
        bad["0.weight"] = Tensor.Zeros(3, 4);
        bad["0.bias"] = Tensor.Full([4], 9.0);
        var ex = Assert.Throws<ArgumentException>(() => model.LoadStateDict(bad));
        Assert.Contains("Sequential", ex.Message);
        Assert.Contains("missing key(s) in the state dict: \"2.bias\"", ex.Message);
        Assert.Contains("unexpected key(s) in the state dict: \"3.weight\"", ex.Message);
        Assert.Contains("size mismatch for \"0.weight\": copying a tensor of shape [3, 4] from the state dict, the shape in the current model is [4, 3]", ex.Message);
        // Nothing was copied, not even the entries that fit.
        foreach (var (name, t) in model.StateDict()) Assert.Equal(original[name].ToArray<float>(), t.ToArray<float>());

        bad["0.weight"] = original["0.weight"];
        var result = model.LoadStateDict(bad, strict: false);
        Assert.Equal(["2.bias"], result.MissingKeys);
        Assert.Equal(["3.weight"], result.UnexpectedKeys);
        Assert.Equal("_IncompatibleKeys(missing_keys=['2.bias'], unexpected_keys=['3.weight'])", result.ToString());
        Assert.All(((Linear)model[0]).Bias!.ToArray<float>(), v => Assert.Equal(9f, v));

        bad["0.weight"] = Tensor.Zeros(2, 2);
        Assert.Contains("size mismatch for \"0.weight\"", Assert.Throws<ArgumentException>(() => model.LoadStateDict(bad, strict: false)).Message);
    }

    [Fact]
    public void BuffersLoadAndLossWeightsAreBuffers()
    {
        var loss = new CrossEntropyLoss(weight: Tensor.From(new float[] { 1, 2, 3 }));
        Assert.Equal(["weight"], loss.StateDict().Keys);
        Assert.Empty(loss.Parameters());
        var net = new Net();
        var state = net.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        state["steps"] = Tensor.From(new long[] { 7 });
        net.LoadStateDict(state);
        Assert.Equal([7L], net.Buffers().Single().ToArray<long>());
        state["steps"] = Tensor.From(new float[] { 7.5f });
        Assert.Contains("dtype mismatch for \"steps\"", Assert.Throws<ArgumentException>(() => net.LoadStateDict(state)).Message);
    }

    [Fact]
    public void SequentialIsAListAndAnEmptyOneIsTheIdentity()
    {
        var seq = new Sequential();
        var x = Tensor.Ones(2);
        Assert.Same(x, seq.Forward(x));
        Assert.Equal("Sequential()", seq.ToString());
        seq.Append(new ReLU()).Append(new Tanh());
        Assert.Equal(2, seq.Count);
        Assert.IsType<Tanh>(seq[1]);
        // nn.Sequential(nn.ReLU(), nn.Tanh())[-1] is the Tanh; [2] and [-3] raise "index ... is out of range".
        Assert.IsType<Tanh>(seq[-1]);
        Assert.IsType<ReLU>(seq[-2]);
        Assert.Contains("Sequential: index 2 is out of range for 2 module(s)", Assert.Throws<ArgumentOutOfRangeException>(() => seq[2]).Message);
        Assert.Contains("index -3", Assert.Throws<ArgumentOutOfRangeException>(() => seq[-3]).Message);
        var named = new Sequential([("hidden", (Module<Tensor, Tensor>)new Linear(2, 2)), ("act", new ReLU())]);
        Assert.Equal(["hidden.weight", "hidden.bias"], named.NamedParameters().Select(p => p.Name));
        Assert.Equal("Sequential(\n  (hidden): Linear(in_features=2, out_features=2, bias=True)\n  (act): ReLU()\n)", named.ToString());
    }
}
