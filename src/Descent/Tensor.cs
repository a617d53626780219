using System.Runtime.CompilerServices;
using Descent.Autograd;

namespace Descent;

/// <summary>
/// An n-dimensional array of <see cref="DType.Float32"/>, <see cref="DType.Float64"/>, <see cref="DType.Int64"/>
/// or <see cref="DType.Bool"/> elements that records the operations applied to it, so that
/// <see cref="Backward(bool)"/> can compute gradients (PyTorch's <c>torch.Tensor</c>).
/// </summary>
/// <remarks>
/// A tensor is a view on a <see cref="Storage"/>: shape, strides and an offset. Transpose, permute, reshape of
/// contiguous data, expand, narrow and slicing return views that share the storage; <see cref="Contiguous"/> and
/// <see cref="Clone"/> copy.
/// </remarks>
public sealed partial class Tensor
{
    internal readonly Storage Storage;
    internal readonly int[] ShapeArray;
    internal readonly int[] StridesArray;
    internal readonly int Offset;
    private bool _requiresGrad;
    private Node? _gradFn;
    private AccumulateGrad? _accumulator;
    private Tensor? _base;

    /// <summary>
    /// Set on a gradient that a backward rule has just made and handed to one edge only, and that nothing else
    /// holds: a leaf's accumulator may then keep it as the leaf's <see cref="Grad"/> instead of copying it, as
    /// PyTorch's AccumulateGrad steals an unshared gradient. The engine clears it when the gradient goes anywhere else.
    /// </summary>
    internal bool FreshGrad;
    private Node? _baseGradFn;

    /// <summary>
    /// Set on a DataLoader's batch that is a view of its dataset (and on views of that batch): what an in-place change
    /// would alter, for the error that refuses it.
    /// </summary>
    private string? _sharedWith;

    internal Tensor(Storage storage, int[] shape, int[] strides, int offset)
    {
        Storage = storage;
        ShapeArray = shape;
        StridesArray = strides;
        Offset = offset;
        Count = Shapes.Numel(shape);
    }

    internal Tensor(Storage storage, int[] shape) : this(storage, shape, Shapes.ContiguousStrides(shape), 0) { }

    /// <summary>A fresh contiguous tensor; its elements are left uninitialised unless <paramref name="zeroed"/>.</summary>
    internal static Tensor Empty(int[] shape, DType dtype, bool zeroed = false) =>
        new(Storage.Allocate(dtype, Shapes.Numel(shape), zeroed), shape);

    /// <summary>The element type.</summary>
    public DType DType => Storage.DType;

    /// <summary>The size of each dimension (PyTorch's <c>shape</c>).</summary>
    public ReadOnlySpan<int> Shape => ShapeArray;

    /// <summary>The step in elements between neighbours along each dimension (PyTorch's <c>stride()</c>).</summary>
    public ReadOnlySpan<int> Strides => StridesArray;

    /// <summary>Where the first element sits in the storage, in elements (PyTorch's <c>storage_offset()</c>).</summary>
    public int StorageOffset => Offset;

    /// <summary>The number of dimensions (PyTorch's <c>dim()</c>).</summary>
    public int Dim => ShapeArray.Length;

    /// <summary>The number of elements (PyTorch's <c>numel()</c>).</summary>
    public int Count { get; }

    /// <summary>The number of elements (PyTorch's <c>numel()</c>).</summary>
    public int Numel() => Count;

    /// <summary>The size of dimension <paramref name="dim"/>; negative dims count from the end.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range, or the tensor is zero-dim and has none.</exception>
    public int Size(int dim) => Dim > 0 ? ShapeArray[Shapes.Dim(dim, Dim, nameof(Size))]
        : throw new ArgumentOutOfRangeException(nameof(dim), dim, $"Size: dim {dim} was asked of a zero-dim tensor, which has no dims (its shape is [])");

    /// <summary>The storage's version counter: it grows with every in-place change (PyTorch's <c>_version</c>).</summary>
    public int Version => Storage.Version;

    /// <summary>True when the elements lie in the storage in row-major order without gaps (always for an empty tensor, as PyTorch).</summary>
    public bool IsContiguous
    {
        get
        {
            if (Count == 0) return true;
            int expected = 1;
            for (int i = ShapeArray.Length - 1; i >= 0; i--)
            {
                if (ShapeArray[i] == 1) continue;
                if (StridesArray[i] != expected) return false;
                expected *= ShapeArray[i];
            }
            return true;
        }
    }

    /// <summary>
    /// Whether operations on this tensor are recorded for <see cref="Backward(bool)"/>. Only leaves (tensors made by
    /// the user, not by an operation) can have it set, as in PyTorch.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (_gradFn is not null && !value)
                throw new InvalidOperationException("RequiresGrad: cannot be turned off on a tensor that is the result of an operation; use Detach() to get a tensor that does not require grad");
            if (value && !DType.IsFloatingPoint())
                throw new InvalidOperationException($"RequiresGrad: only floating-point tensors can require gradients, not {DType.Name()}");
            _requiresGrad = value;
        }
    }

    internal Tensor WithRequiresGrad(bool requiresGrad)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>True for tensors the user created, false for results of recorded operations.</summary>
    public bool IsLeaf => _gradFn is null;

    /// <summary>The node that computes this tensor's gradient inputs, or null for leaves (PyTorch's <c>grad_fn</c>).</summary>
    public Node? GradFn => _gradFn;

    /// <summary>
    /// The gradient accumulated by <see cref="Backward(bool)"/>: null until a backward pass reaches this leaf, then
    /// summed over every later pass until set to null or zeroed, as in PyTorch.
    /// </summary>
    /// <exception cref="ShapeMismatchException">Set to a tensor of another shape (PyTorch: "assigned grad has data of a different size").</exception>
    /// <exception cref="DTypeMismatchException">Set to a tensor of another dtype.</exception>
    public Tensor? Grad
    {
        get => _grad;
        set
        {
            if (value is not null && !value.SameShape(this))
                throw new ShapeMismatchException($"Grad: the gradient must have the tensor's shape {Shapes.Format(Shape)}, got {Shapes.Format(value.Shape)}");
            if (value is not null && value.DType != DType)
                throw new DTypeMismatchException($"Grad: the gradient must have the tensor's dtype {DType.Name()}, got {value.DType.Name()}");
            _grad = value;
        }
    }

    private Tensor? _grad;

    internal void SetGradFn(Node node)
    {
        _gradFn = node;
        _requiresGrad = true;
    }

    /// <summary>
    /// For a view, the tensor it shares storage with (the first in a chain of views that is not a view itself);
    /// null for a tensor that is not a view (PyTorch's <c>_base</c>).
    /// </summary>
    internal Tensor? Base => _base;

    /// <summary>Marks this new tensor as a view of <paramref name="source"/>'s storage.</summary>
    internal Tensor AsViewOf(Tensor source)
    {
        _base = source._base ?? source;
        _baseGradFn = _base._gradFn;
        _sharedWith = source._sharedWith;
        return this;
    }

    /// <summary>
    /// Marks this view as shared with data that outlives it (a DataLoader's dataset, described by
    /// <paramref name="what"/>), so in-place changes to it, or to views of it, are refused.
    /// </summary>
    internal Tensor SharedWith(string what)
    {
        _sharedWith = what;
        return this;
    }

    /// <summary>
    /// <see cref="RequiresGrad"/>, asked by an op that is about to record. Throws for a view whose base took a new
    /// history (a recorded in-place op) after the view was made: the view's own history no longer describes its
    /// values, and differentiating through it would give wrong gradients.
    /// </summary>
    internal bool RequiresGradForOp
    {
        get
        {
            if (_base is { } b && !ReferenceEquals(b._gradFn, _baseGradFn))
                throw new InvalidOperationException($"Autograd: a view of shape {Shapes.Format(Shape)} was taken from a tensor of shape {Shapes.Format(b.Shape)} that was later changed by an in-place operation recorded for backward ({b._gradFn?.Name}); the view's history is out of date. Take the view again after the in-place change.");
            return _requiresGrad;
        }
    }

    /// <summary>The edge that backward follows into this tensor: its grad_fn, or the leaf's accumulator.</summary>
    internal Node? GradEdge => !_requiresGrad ? null : _gradFn ?? (_accumulator ??= new AccumulateGrad(this));

    /// <summary>A tensor sharing this one's data but cut from the graph (PyTorch's <c>detach()</c>).</summary>
    public Tensor Detach() => new Tensor(Storage, ShapeArray, StridesArray, Offset) { _sharedWith = _sharedWith };

    /// <summary>The elements as a span when this tensor is contiguous; internal because views make it unsafe.</summary>
    /// <remarks>An empty view may sit at an offset past the end of its storage (<c>Zeros(0, 2).Select(1, 1)</c>), as in PyTorch.</remarks>
    internal Span<T> Span<T>() => Count == 0 ? default : new(Unsafe.As<T[]>(Storage.Data), Offset, Count);

    /// <summary>The whole storage array.</summary>
    internal T[] Data<T>() => Unsafe.As<T[]>(Storage.Data);

    internal void BumpVersion() => Storage.Version++;

    internal bool SameShape(Tensor other) => ShapeArray.AsSpan().SequenceEqual(other.ShapeArray);
}
