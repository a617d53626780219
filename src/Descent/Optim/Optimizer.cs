using System.Globalization;
using Descent.Autograd;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>
/// The base of the optimizers (PyTorch's <c>torch.optim.Optimizer</c>): parameter groups, <see cref="ZeroGrad"/>,
/// <see cref="Step"/> and a state that can be saved and restored.
/// </summary>
/// <remarks>
/// <see cref="Step"/> updates each parameter that has a gradient in place, without recording, and skips those whose
/// <see cref="Tensor.Grad"/> is null. Updates run over the elements directly, so a step allocates nothing but the
/// optimizer's state on first use.
/// </remarks>
public abstract class Optimizer
{
    private readonly ParamGroup[] _groups;
    private readonly Tensor[] _parameters;

    /// <summary>Takes the groups, fills their unset learning rate and weight decay, and checks every parameter.</summary>
    protected Optimizer(IEnumerable<ParamGroup> paramGroups, double lr, double weightDecay)
    {
        ArgumentNullException.ThrowIfNull(paramGroups);
        if (!(lr >= 0)) throw new ArgumentOutOfRangeException(nameof(lr), lr, $"{Name}: the learning rate must be 0 or more, not NaN or negative");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, $"{Name}: the weight decay must be 0 or more, not NaN or negative");
        _groups = [.. paramGroups];
        var all = new List<Tensor>();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var g in _groups)
        {
            ArgumentNullException.ThrowIfNull(g, nameof(paramGroups));
            g.ApplyDefaults(lr, weightDecay);
            foreach (var p in g.Parameters)
            {
                ArgumentNullException.ThrowIfNull(p, nameof(paramGroups));
                if (!p.IsLeaf) throw new ArgumentException($"{Name}: cannot optimize a tensor that is not a leaf ({p.GradFn}); optimize the tensors the computation starts from");
                if (!p.DType.IsFloatingPoint()) throw new DTypeMismatchException($"{Name}: parameters must be floating point, got a {p.DType.Name()} tensor");
                if (!seen.Add(p)) throw new ArgumentException($"{Name}: a parameter of shape {Shapes.Format(p.Shape)} appears more than once; give each parameter to one group only");
                all.Add(p);
            }
        }
        if (all.Count == 0) throw new ArgumentException($"{Name}: got an empty parameter list");
        _parameters = [.. all];
    }

    /// <summary>The name used in messages and the state dict, such as <c>Sgd</c>.</summary>
    protected virtual string Name => GetType().Name;

    /// <summary>The parameter groups (PyTorch's <c>param_groups</c>); change a group's <see cref="ParamGroup.Lr"/> to change its learning rate.</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => _groups;

    /// <summary>All parameters across the groups, in the order of the state dict's indices.</summary>
    protected IReadOnlyList<Tensor> AllParameters => _parameters;

    /// <summary>Clears the gradients of all parameters: null by default, as PyTorch 2; zeros when <paramref name="setToNone"/> is false.</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in _parameters) NN.Module.ClearGrad(p, setToNone);
    }

    /// <summary>Performs one optimization step on every parameter that has a gradient.</summary>
    public void Step()
    {
        using var _ = GradMode.Set(false);
        int index = 0;
        foreach (var group in _groups)
        {
            foreach (var p in group.Parameters)
            {
                int i = index++;
                // Tensor.Grad only accepts a gradient of the parameter's shape and dtype.
                if (p.Grad is not { } grad) continue;
                // Kernels work on contiguous elements; a strided parameter is updated in a copy that is written back.
                var work = p.IsContiguous ? p : p.Contiguous();
                Update(group, i, work, grad.Contiguous());
                if (!ReferenceEquals(work, p)) Copy.Run(work, p);
                p.BumpVersion();
            }
        }
    }

    /// <summary>
    /// Updates one parameter in place. <paramref name="parameter"/> and <paramref name="grad"/> are contiguous, of
    /// one shape and dtype; <paramref name="index"/> is the parameter's index across all groups.
    /// </summary>
    private protected abstract void Update(ParamGroup group, int index, Tensor parameter, Tensor grad);

    /// <summary>The optimizer's hyperparameters other than lr and weight decay, by PyTorch's names.</summary>
    private protected abstract IEnumerable<KeyValuePair<string, double>> Options();

    /// <summary>Sets the hyperparameters read by <see cref="Options"/> (all keys are present); throws before changing anything if a value is invalid.</summary>
    private protected abstract void SetOptions(IReadOnlyDictionary<string, double> options);

    /// <summary>The state of parameter <paramref name="index"/> by PyTorch's names (not copied), or null when it has none.</summary>
    private protected abstract Dictionary<string, Tensor>? GetState(int index);

    /// <summary>
    /// The error in <paramref name="state"/> for parameter <paramref name="index"/>, or null when it can be loaded;
    /// <paramref name="options"/> are the hyperparameters being loaded with it, which replace the current ones.
    /// </summary>
    private protected abstract string? CheckState(int index, IReadOnlyDictionary<string, Tensor> state, IReadOnlyDictionary<string, double> options);

    /// <summary>Replaces the state of parameter <paramref name="index"/> with copies from a checked <paramref name="state"/>, or clears it when null.</summary>
    private protected abstract void SetState(int index, IReadOnlyDictionary<string, Tensor>? state);

    /// <summary>
    /// A snapshot of the optimizer: per-parameter state (copied, so later steps do not change it) and each group's
    /// hyperparameters, laid out as PyTorch's <c>state_dict()</c> (see <see cref="OptimizerStateDict"/>).
    /// </summary>
    public OptimizerStateDict StateDict()
    {
        var dict = new OptimizerStateDict();
        using var _ = GradMode.Set(false);
        for (int i = 0; i < _parameters.Length; i++)
            if (GetState(i) is { } state)
                dict.State[i] = state.ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        int index = 0;
        foreach (var g in _groups)
        {
            var gs = new ParamGroupState();
            gs.Options["lr"] = g.Lr;
            gs.Options["weight_decay"] = g.WeightDecay;
            if (g.InitialLr is { } initial) gs.Options["initial_lr"] = initial;
            foreach (var (k, v) in Options()) gs.Options[k] = v;
            for (int j = 0; j < g.Parameters.Count; j++) gs.Params.Add(index++);
            dict.ParamGroups.Add(gs);
        }
        return dict;
    }

    /// <summary>
    /// Restores a state saved by <see cref="StateDict"/> (PyTorch's <c>load_state_dict</c>): each group's
    /// hyperparameters and each parameter's state, matched by position. Everything is checked first, so a state
    /// that does not fit (other group sizes, shapes or missing entries, or groups that differ in an option other than
    /// lr and weight decay, which PyTorch keeps per group and this optimizer for all groups) leaves it unchanged.
    /// </summary>
    /// <exception cref="ArgumentException">The state does not fit this optimizer; the message says where.</exception>
    public void LoadStateDict(OptimizerStateDict stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        string Fail(string message) => throw new ArgumentException($"{Name}.LoadStateDict: {message}", nameof(stateDict));
        if (stateDict.ParamGroups.Count != _groups.Length)
            Fail($"the state dict has {stateDict.ParamGroups.Count} parameter group(s) but the optimizer has {_groups.Length}");
        var map = new Dictionary<int, int>();
        int flat = 0;
        var required = new List<string> { "lr", "weight_decay" };
        required.AddRange(Options().Select(kv => kv.Key));
        for (int gi = 0; gi < _groups.Length; gi++)
        {
            var saved = stateDict.ParamGroups[gi];
            if (saved.Params.Count != _groups[gi].Parameters.Count)
                Fail($"parameter group {gi} has {saved.Params.Count} parameter(s) in the state dict but {_groups[gi].Parameters.Count} in the optimizer");
            foreach (var key in required)
                if (!saved.Options.ContainsKey(key)) Fail($"parameter group {gi} lacks the option \"{key}\"");
            // PyTorch keeps every option per group; here only lr and weight decay are, so groups that differ in
            // another would not train as they did in PyTorch.
            foreach (var (key, _) in Options())
                if (!saved.Options[key].Equals(stateDict.ParamGroups[0].Options[key]))
                    Fail(string.Create(CultureInfo.InvariantCulture, $"parameter group {gi} has {key} {saved.Options[key]} but group 0 has {stateDict.ParamGroups[0].Options[key]}; {Name} has one {key} for all its groups"));
            if (!(saved.Options["lr"] >= 0) || !(saved.Options["weight_decay"] >= 0))
                Fail(string.Create(CultureInfo.InvariantCulture, $"parameter group {gi} has lr {saved.Options["lr"]} and weight_decay {saved.Options["weight_decay"]}; neither may be negative"));
            foreach (var id in saved.Params)
                if (!map.TryAdd(id, flat++)) Fail($"parameter index {id} appears more than once in the parameter groups");
        }
        foreach (var (id, state) in stateDict.State)
        {
            if (!map.ContainsKey(id)) Fail($"the state of parameter {id} belongs to no parameter group");
            if (state is null) Fail($"the state of parameter {id} is null");
            if (CheckState(map[id], state!, stateDict.ParamGroups[0].Options) is { } error) Fail($"the state of parameter {id.ToString(CultureInfo.InvariantCulture)}: {error}");
        }
        // SetOptions checks before it changes anything, so it goes first.
        SetOptions(stateDict.ParamGroups[0].Options);
        for (int gi = 0; gi < _groups.Length; gi++)
        {
            var o = stateDict.ParamGroups[gi].Options;
            _groups[gi].Lr = o["lr"];
            _groups[gi].WeightDecay = o["weight_decay"];
            _groups[gi].InitialLr = o.TryGetValue("initial_lr", out var initial) ? initial : null;
        }
        var loaded = new bool[_parameters.Length];
        using var _ = GradMode.Set(false);
        foreach (var (id, state) in stateDict.State)
        {
            SetState(map[id], state);
            loaded[map[id]] = true;
        }
        for (int i = 0; i < loaded.Length; i++)
            if (!loaded[i]) SetState(i, null);
    }

    /// <summary>A copy of <paramref name="source"/> with <paramref name="like"/>'s dtype, contiguous, for the optimizer to own.</summary>
    private protected static Tensor OwnCopy(Tensor source, Tensor like)
    {
        var copy = Tensor.Empty((int[])like.ShapeArray.Clone(), like.DType);
        copy.CopyInPlace(source);
        return copy;
    }

    /// <summary>The error if <paramref name="state"/> lacks <paramref name="key"/> or its shape differs from the parameter's.</summary>
    private protected string? CheckBuffer(int index, IReadOnlyDictionary<string, Tensor> state, string key)
    {
        if (!state.TryGetValue(key, out var t) || t is null) return $"\"{key}\" is missing";
        var p = _parameters[index];
        if (!t.Shape.SequenceEqual(p.Shape)) return $"\"{key}\" has shape {Shapes.Format(t.Shape)} but the parameter has shape {Shapes.Format(p.Shape)}";
        if (!t.DType.IsFloatingPoint()) return $"\"{key}\" must be floating point, got {t.DType.Name()}";
        return null;
    }

    /// <summary>The value of an option that PyTorch stores as a boolean.</summary>
    private protected static double Flag(bool value) => value ? 1 : 0;
}
