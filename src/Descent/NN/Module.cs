using Descent.Autograd;

namespace Descent.NN;

/// <summary>
/// The base of every layer and model (PyTorch's <c>nn.Module</c>): it owns named parameters, buffers and sub-modules,
/// registered explicitly in the constructor with <see cref="RegisterParameter"/>, <see cref="RegisterBuffer"/> and
/// <see cref="RegisterModule{T}"/>. Nothing is discovered by reflection, so trimming and Native AOT keep working.
/// </summary>
/// <remarks>
/// Names follow PyTorch: a parameter of a child is named <c>child.parameter</c>, so the first layer of a
/// <see cref="Sequential"/> owns <c>0.weight</c> and <c>0.bias</c>, and a state dict saved here loads into the same
/// model built in PyTorch. Derive from <see cref="Module{TInput, TOutput}"/> (one input) or
/// <see cref="Module{TInput1, TInput2, TOutput}"/> (two inputs, as losses take) and override <c>Forward</c>.
/// </remarks>
public abstract class Module
{
    private readonly List<KeyValuePair<string, Tensor>> _parameters = [];
    private readonly List<KeyValuePair<string, Tensor>> _buffers = [];
    private readonly List<KeyValuePair<string, Module>> _modules = [];

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>; <see cref="Dropout"/> acts only in training.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>
    /// Registers <paramref name="parameter"/> under <paramref name="name"/> and turns on its
    /// <see cref="Tensor.RequiresGrad"/> (PyTorch's <c>register_parameter</c>, or assigning an <c>nn.Parameter</c>).
    /// Returns the same tensor, so a constructor can write <c>Weight = RegisterParameter("weight", ...)</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty, contains a dot or is taken; or the tensor is not a
    /// floating-point leaf.</exception>
    protected Tensor RegisterParameter(string name, Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        CheckName(name, "RegisterParameter");
        if (!parameter.IsLeaf)
            throw new ArgumentException($"RegisterParameter: parameter '{name}' must be a leaf tensor, not the result of an operation ({parameter.GradFn}); pass Parameter.Create(t) or t.Detach()", nameof(parameter));
        if (!parameter.DType.IsFloatingPoint())
            throw new DTypeMismatchException($"RegisterParameter: parameter '{name}' must be floating point, got {parameter.DType.Name()}");
        parameter.RequiresGrad = true;
        _parameters.Add(new(name, parameter));
        return parameter;
    }

    /// <summary>
    /// Registers a tensor that is part of the module's state but not trained, such as a loss's class weights
    /// (PyTorch's <c>register_buffer</c>): it appears in <see cref="StateDict"/> but not in <see cref="Parameters"/>.
    /// </summary>
    protected Tensor RegisterBuffer(string name, Tensor buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        CheckName(name, "RegisterBuffer");
        _buffers.Add(new(name, buffer));
        return buffer;
    }

    /// <summary>Registers a sub-module under <paramref name="name"/> (PyTorch's <c>add_module</c>). Returns it.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckName(name, "RegisterModule");
        if (ReferenceEquals(module, this)) throw new ArgumentException($"RegisterModule: a module cannot contain itself (as '{name}')", nameof(module));
        _modules.Add(new(name, module));
        return module;
    }

    private void CheckName(string name, string op)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || name.Contains('.'))
            throw new ArgumentException($"{op}: the name must be non-empty and contain no '.', got \"{name}\"", nameof(name));
        if (_parameters.Exists(p => p.Key == name) || _buffers.Exists(b => b.Key == name) || _modules.Exists(m => m.Key == name))
            throw new ArgumentException($"{op}: {GetName()} already has a member named \"{name}\"", nameof(name));
    }

    /// <summary>The trainable tensors of this module and, with <paramref name="recurse"/>, of all sub-modules, each once, in registration order.</summary>
    public IEnumerable<Tensor> Parameters(bool recurse = true)
    {
        foreach (var (_, p) in NamedParameters(recurse: recurse)) yield return p;
    }

    /// <summary>
    /// The parameters with PyTorch's dotted names (<c>0.weight</c>, <c>encoder.fc.bias</c>), own parameters first,
    /// then each sub-module's in registration order. A tensor shared by two modules is listed once, under its first name.
    /// </summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(string prefix = "", bool recurse = true)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (path, module) in recurse ? NamedModules(prefix) : [(prefix, this)])
            foreach (var (name, p) in module._parameters)
                if (seen.Add(p)) yield return (Join(path, name), p);
    }

    /// <summary>The buffers with dotted names, like <see cref="NamedParameters"/>.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "", bool recurse = true)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (path, module) in recurse ? NamedModules(prefix) : [(prefix, this)])
            foreach (var (name, b) in module._buffers)
                if (seen.Add(b)) yield return (Join(path, name), b);
    }

    /// <summary>The buffers of this module and its sub-modules.</summary>
    public IEnumerable<Tensor> Buffers(bool recurse = true)
    {
        foreach (var (_, b) in NamedBuffers(recurse: recurse)) yield return b;
    }

    /// <summary>The direct sub-modules, in registration order.</summary>
    public IEnumerable<Module> Children()
    {
        foreach (var (_, m) in _modules) yield return m;
    }

    /// <summary>The direct sub-modules with their names.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        foreach (var (name, m) in _modules) yield return (name, m);
    }

    /// <summary>This module and every module inside it, depth first, this one first; each module once.</summary>
    public IEnumerable<Module> Modules()
    {
        foreach (var (_, m) in NamedModules()) yield return m;
    }

    /// <summary>This module (named <paramref name="prefix"/>) and every module inside it with dotted names, depth first.</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(string, Module)>();
        stack.Push((prefix, this));
        while (stack.TryPop(out var item))
        {
            var (path, module) = item;
            if (!seen.Add(module)) continue;
            yield return (path, module);
            for (int i = module._modules.Count - 1; i >= 0; i--)
                stack.Push((Join(path, module._modules[i].Key), module._modules[i].Value));
        }
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    /// <summary>
    /// Clears the gradients of all parameters (PyTorch's <c>zero_grad</c>). By default they become null, as in
    /// PyTorch 2, which saves memory and lets optimizers skip untouched parameters; with
    /// <paramref name="setToNone"/> false they are filled with zeros instead.
    /// </summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in Parameters()) ClearGrad(p, setToNone);
    }

    internal static void ClearGrad(Tensor p, bool setToNone)
    {
        if (p.Grad is null) return;
        if (setToNone) p.Grad = null;
        else
        {
            if (!p.Grad.IsLeaf) p.Grad = p.Grad.Detach();
            using (GradMode.Set(false)) p.Grad.ZeroInPlace();
        }
    }

    /// <summary>Sets training mode on this module and all sub-modules (PyTorch's <c>train(mode)</c>). Returns this module.</summary>
    public Module Train(bool mode = true)
    {
        foreach (var m in Modules()) m.Training = mode;
        return this;
    }

    /// <summary>Sets evaluation mode, <c>Train(false)</c>: dropout stops dropping (PyTorch's <c>eval()</c>). Returns this module.</summary>
    public Module Eval() => Train(false);

    /// <summary>
    /// Every parameter and buffer under its dotted name, in PyTorch's order (own parameters, own buffers, then each
    /// sub-module's). A module or tensor shared by two parents appears under each of its names, as in PyTorch's
    /// <c>state_dict()</c> (unlike <see cref="NamedParameters"/>, which lists it once), so the keys match PyTorch's for
    /// tied weights too. The tensors are detached but share data with the module, as PyTorch's are: training changes
    /// them; <see cref="Tensor.Clone"/> them for a snapshot.
    /// </summary>
    /// <exception cref="InvalidOperationException">A module contains itself through its sub-modules.</exception>
    public OrderedDictionary<string, Tensor> StateDict()
    {
        var dict = new OrderedDictionary<string, Tensor>();
        AddState(dict, "", new HashSet<Module>(ReferenceEqualityComparer.Instance));
        return dict;
    }

    // Recursive like PyTorch's _save_to_state_dict; modules nest only as deep as a model's definition.
    private void AddState(OrderedDictionary<string, Tensor> dict, string path, HashSet<Module> enclosing)
    {
        if (!enclosing.Add(this))
            throw new InvalidOperationException($"StateDict: {GetName()} at \"{path}\" contains itself through its sub-modules");
        foreach (var (name, p) in _parameters) dict[Join(path, name)] = p.Detach();
        foreach (var (name, b) in _buffers) dict[Join(path, name)] = b.Detach();
        foreach (var (name, m) in _modules) m.AddState(dict, Join(path, name), enclosing);
        enclosing.Remove(this);
    }

    /// <summary>
    /// Copies values from <paramref name="stateDict"/> into this module's parameters and buffers, in place and
    /// without recording gradients (PyTorch's <c>load_state_dict</c>). Everything is checked before anything is
    /// copied, so a failed load leaves the module unchanged. Values are converted to each tensor's dtype.
    /// </summary>
    /// <param name="stateDict">Tensors by dotted name, as <see cref="StateDict"/> returns them.</param>
    /// <param name="strict">When true (the default), keys missing from the dictionary or unknown to the module are errors; when false they are only reported in the result.</param>
    /// <returns>The missing and unexpected keys (both empty after a strict load).</returns>
    /// <exception cref="ArgumentException">A shape differs, or (strict) keys are missing or unexpected; the message names every offending key.</exception>
    public LoadStateDictResult LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var own = StateDict();
        var missing = new List<string>();
        var errors = new List<string>();
        foreach (var (name, target) in own)
        {
            if (!stateDict.TryGetValue(name, out var source)) { missing.Add(name); continue; }
            if (source is null) errors.Add($"the value for \"{name}\" is null");
            else if (!source.Shape.SequenceEqual(target.Shape))
                errors.Add($"size mismatch for \"{name}\": copying a tensor of shape {Shapes.Format(source.Shape)} from the state dict, the shape in the current model is {Shapes.Format(target.Shape)}");
            else if (!target.DType.IsFloatingPoint() && source.DType.IsFloatingPoint() || target.DType == DType.Bool && source.DType != DType.Bool)
                errors.Add($"dtype mismatch for \"{name}\": a {source.DType.Name()} tensor cannot be copied into the model's {target.DType.Name()} tensor");
        }
        var unexpected = stateDict.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (strict)
        {
            if (unexpected.Count > 0) errors.Insert(0, "unexpected key(s) in the state dict: " + string.Join(", ", unexpected.Select(k => $"\"{k}\"")));
            if (missing.Count > 0) errors.Insert(0, "missing key(s) in the state dict: " + string.Join(", ", missing.Select(k => $"\"{k}\"")));
        }
        if (errors.Count > 0)
            throw new ArgumentException($"LoadStateDict: error(s) in loading the state dict for {GetName()}:\n  " + string.Join("\n  ", errors), nameof(stateDict));
        using (GradMode.Set(false))
            foreach (var (name, target) in own)
                if (stateDict.TryGetValue(name, out var source)) target.CopyInPlace(source);
        return new LoadStateDictResult(missing, unexpected);
    }

    /// <summary>The name shown by <see cref="ToString"/>: the class name, or PyTorch's spelling where it differs (<c>MSELoss</c>).</summary>
    protected virtual string GetName() => GetType().Name;

    /// <summary>The configuration shown inside the parentheses of <see cref="ToString"/> (PyTorch's <c>extra_repr</c>), such as <c>in_features=3, out_features=2, bias=True</c>.</summary>
    protected virtual string ExtraRepr() => "";

    /// <summary>
    /// PyTorch's module repr: <c>Linear(in_features=3, out_features=2, bias=True)</c>, and for containers one line
    /// per child, <c>(0): Linear(...)</c>, indented by two spaces per level.
    /// </summary>
    public override string ToString()
    {
        var extra = ExtraRepr();
        var extraLines = extra.Length > 0 ? extra.Split('\n') : [];
        var lines = new List<string>(extraLines);
        foreach (var (name, m) in _modules)
            lines.Add($"({name}): " + m.ToString().Replace("\n", "\n  "));
        var s = GetName() + "(";
        if (lines.Count > 0)
            s += extraLines.Length == 1 && _modules.Count == 0 ? extraLines[0] : "\n  " + string.Join("\n  ", lines) + "\n";
        return s + ")";
    }
}

/// <summary>A module with one input (PyTorch's <c>nn.Module</c> whose <c>forward</c> takes one argument): layers and models.</summary>
/// <remarks>
/// C# has no call operator, so where PyTorch writes <c>model(x)</c> Descent writes <c>model.Forward(x)</c>. There
/// are no hooks, so nothing runs besides <c>Forward</c>.
/// </remarks>
public abstract class Module<TInput, TOutput> : Module
{
    /// <summary>Computes the module's output (PyTorch's <c>forward</c>, called as <c>module(x)</c>).</summary>
    public abstract TOutput Forward(TInput input);
}

/// <summary>A module with two inputs, such as a loss: <c>loss.Forward(prediction, target)</c>.</summary>
public abstract class Module<TInput1, TInput2, TOutput> : Module
{
    /// <summary>Computes the module's output from two inputs (PyTorch's <c>forward(input, target)</c>).</summary>
    public abstract TOutput Forward(TInput1 input1, TInput2 input2);
}

/// <summary>What <see cref="Module.LoadStateDict"/> did not match (PyTorch's <c>_IncompatibleKeys</c>).</summary>
/// <param name="MissingKeys">Keys of the module that the state dict lacked.</param>
/// <param name="UnexpectedKeys">Keys of the state dict that the module does not have.</param>
public sealed record LoadStateDictResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys)
{
    /// <summary>PyTorch's repr with the keys listed: <c>_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])</c>.</summary>
    public override string ToString()
    {
        static string List(IReadOnlyList<string> keys) => "[" + string.Join(", ", keys.Select(k => $"'{k}'")) + "]";
        return $"_IncompatibleKeys(missing_keys={List(MissingKeys)}, unexpected_keys={List(UnexpectedKeys)})";
    }
}
