using System.Collections;

namespace Descent.NN;

/// <summary>
/// A chain of modules applied in order, each to the previous one's output (PyTorch's <c>nn.Sequential</c>). The
/// children are named <c>0</c>, <c>1</c>, ... unless names are given, so parameters are named <c>0.weight</c>,
/// <c>2.bias</c> and so on, as in PyTorch.
/// </summary>
public sealed class Sequential : Module<Tensor, Tensor>, IReadOnlyList<Module<Tensor, Tensor>>
{
    private readonly List<Module<Tensor, Tensor>> _layers = [];

    /// <summary>A chain of <paramref name="modules"/>, named by position: <c>new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2))</c>.</summary>
    public Sequential(params Module<Tensor, Tensor>[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var m in modules) Append(m);
    }

    /// <summary>A chain of named modules (PyTorch's <c>nn.Sequential(OrderedDict(...))</c>).</summary>
    public Sequential(IEnumerable<(string Name, Module<Tensor, Tensor> Module)> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var (name, m) in modules) _layers.Add(RegisterModule(name, m));
    }

    /// <summary>Adds <paramref name="module"/> at the end, named by its position (PyTorch's <c>append</c>). Returns this chain.</summary>
    public Sequential Append(Module<Tensor, Tensor> module)
    {
        _layers.Add(RegisterModule(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module));
        return this;
    }

    /// <summary>
    /// The module at position <paramref name="index"/>; a negative index counts from the end, as in PyTorch
    /// (<c>model[-1]</c> is the last module).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is not in [-Count, Count).</exception>
    public Module<Tensor, Tensor> this[int index]
    {
        get
        {
            if (index < -_layers.Count || index >= _layers.Count)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"Sequential: index {index} is out of range for {_layers.Count} module(s)");
            return _layers[index < 0 ? index + _layers.Count : index];
        }
    }

    /// <summary>The number of modules in the chain.</summary>
    public int Count => _layers.Count;

    /// <summary>Passes <paramref name="input"/> through every module in order; an empty chain returns it unchanged.</summary>
    public override Tensor Forward(Tensor input)
    {
        foreach (var m in _layers) input = m.Forward(input);
        return input;
    }

    /// <summary>The modules in order.</summary>
    public IEnumerator<Module<Tensor, Tensor>> GetEnumerator() => _layers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
