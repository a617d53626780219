namespace Descent.Autograd;

/// <summary>
/// One recorded operation in the autograd graph (PyTorch's <c>grad_fn</c>). Each subclass sits next to the
/// forward code of its op (in Ops/) and turns the gradient of its output into gradients of its inputs.
/// </summary>
public abstract class Node
{
    internal Node?[] Next = [];
    internal Tensor? PendingGrad;
    internal int Stamp;
    internal int Dependencies;
    private SavedTensor[]? _saved;
    private bool _released;

    /// <summary>The name PyTorch would show, such as <c>MulBackward0</c>.</summary>
    public virtual string Name => GetType().Name + "0";

    /// <summary>The nodes the gradient flows to next, one per input; null where an input needs no gradient.</summary>
    public IReadOnlyList<Node?> NextFunctions => Next;

    /// <summary>Computes the gradients of the inputs from the gradient of the output; null where not needed.</summary>
    internal abstract Tensor?[] Apply(Tensor grad);

    /// <summary>True when input <paramref name="i"/> needs a gradient.</summary>
    internal bool NeedsGrad(int i) => i < Next.Length && Next[i] is not null;

    /// <summary>Records this node as the grad_fn of <paramref name="result"/>, with one edge per input.</summary>
    internal Tensor Attach(Tensor result, params ReadOnlySpan<Tensor> inputs)
    {
        var next = new Node?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) next[i] = inputs[i].GradEdge;
        Next = next;
        result.SetGradFn(this);
        return result;
    }

    /// <summary>
    /// Marks a gradient this node has just made, and hands to one edge only, as free to become a leaf's
    /// <see cref="Tensor.Grad"/> without a copy (<see cref="Tensor.FreshGrad"/>).
    /// </summary>
    internal static Tensor? Fresh(Tensor? grad)
    {
        if (grad is not null) grad.FreshGrad = true;
        return grad;
    }

    /// <summary>Keeps tensors for backward and remembers their versions, so later in-place changes are caught.</summary>
    internal void Save(params ReadOnlySpan<Tensor> tensors)
    {
        _saved = new SavedTensor[tensors.Length];
        for (int i = 0; i < tensors.Length; i++) _saved[i] = new SavedTensor(tensors[i], tensors[i].Version);
    }

    /// <summary>Saved tensor <paramref name="i"/>, checked against in-place changes and a freed graph.</summary>
    internal Tensor Saved(int i)
    {
        if (_released)
            throw new InvalidOperationException($"Backward: trying to backward through the graph a second time ({Name} has already freed its saved tensors). Pass retainGraph: true to the first Backward call if you need to backward twice.");
        var s = _saved![i];
        if (s.Tensor.Version != s.Version)
            throw new InvalidOperationException($"Backward: a {s.Tensor.DType.Name()} tensor of shape {Shapes.Format(s.Tensor.Shape)} needed by {Name} was modified by an in-place operation: it is at version {s.Tensor.Version}, expected version {s.Version}. Use an out-of-place operation or Clone() it first.");
        return s.Tensor;
    }

    /// <summary>Frees the saved tensors once a backward pass is done with them.</summary>
    internal void Release()
    {
        if (_saved is null) return;
        _saved = null;
        _released = true;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    private readonly record struct SavedTensor(Tensor Tensor, int Version);
}

/// <summary>The end of the graph at a leaf: adds the incoming gradient into the leaf's <see cref="Tensor.Grad"/>.</summary>
public sealed class AccumulateGrad : Node
{
    internal AccumulateGrad(Tensor variable) => Variable = variable;

    /// <summary>The leaf whose gradient this node accumulates.</summary>
    public Tensor Variable { get; }

    /// <inheritdoc/>
    public override string Name => "AccumulateGrad";

    internal override Tensor?[] Apply(Tensor grad)
    {
        var v = Variable;
        if (!grad.SameShape(v))
            throw new InvalidOperationException($"Backward: gradient of shape {Shapes.Format(grad.Shape)} does not match the leaf's shape {Shapes.Format(v.Shape)}");
        if (v.Grad is null)
        {
            if (grad.FreshGrad && grad.DType == v.DType && grad.IsContiguous && grad.Base is null)
            {
                grad.FreshGrad = false;
                v.Grad = grad;
            }
            else v.Grad = grad.DType == v.DType ? grad.Clone() : grad.To(v.DType);
        }
        else
            v.Grad.AddInPlace(grad);
        return [];
    }
}
