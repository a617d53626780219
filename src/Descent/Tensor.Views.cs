using Descent.Autograd;
using Descent.Ops;

namespace Descent;

// Shape and layout: views share storage with the tensor they come from; only Contiguous, Clone and To copy.
public sealed partial class Tensor
{
    /// <summary>Transpose of a tensor with at most 2 dims (PyTorch's <c>t()</c>): a view.</summary>
    public Tensor T => Dim switch
    {
        < 2 => this,
        2 => Transpose(0, 1),
        _ => throw new ShapeMismatchException($"T: expects a tensor with at most 2 dims, got shape {Shapes.Format(Shape)}; use Transpose(d0, d1) or MT"),
    };

    /// <summary>The last two dims swapped (PyTorch's <c>mT</c>): a view.</summary>
    public Tensor MT => Dim >= 2 ? Transpose(-2, -1)
        : throw new ShapeMismatchException($"MT: expects at least 2 dims, got shape {Shapes.Format(Shape)}");

    /// <summary>Swaps two dims: a view.</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        var order = new int[Dim];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        int a = Shapes.Dim(dim0, Dim, "Transpose"), b = Shapes.Dim(dim1, Dim, "Transpose");
        if (Dim == 0) return this;
        (order[a], order[b]) = (order[b], order[a]);
        return PermuteBackward.Forward(this, order);
    }

    /// <summary>Reorders the dims: a view. <c>x.Permute(1, 0)</c> is a transpose.</summary>
    public Tensor Permute(params int[] dims) => PermuteBackward.Forward(this, dims);

    /// <summary>Moves dim <paramref name="source"/> to position <paramref name="destination"/>: a view.</summary>
    public Tensor Movedim(int source, int destination)
    {
        int s = Shapes.Dim(source, Dim, "Movedim"), d = Shapes.Dim(destination, Dim, "Movedim");
        if (Dim == 0 || s == d) return this;
        var order = new List<int>(Dim);
        for (int i = 0; i < Dim; i++) if (i != s) order.Add(i);
        order.Insert(d, s);
        return PermuteBackward.Forward(this, [.. order]);
    }

    /// <summary>The same elements in a new shape; one size may be -1 to be inferred. A view when the layout allows, else a copy.</summary>
    public Tensor Reshape(params int[] shape) => ViewBackward.Forward(this, shape, "Reshape");

    /// <summary>The same elements in a new shape, always a view; throws when the layout needs a copy (use <see cref="Reshape"/>).</summary>
    /// <exception cref="InvalidOperationException">No strides give the new shape over this tensor's memory.</exception>
    /// <exception cref="ShapeMismatchException">The new shape holds a different number of elements.</exception>
    public Tensor View(params int[] shape)
    {
        var r = ViewBackward.Forward(this, shape, "View");
        if (!ReferenceEquals(r.Storage, Storage))
            throw new InvalidOperationException($"View: a tensor of shape {Shapes.Format(Shape)} with strides {Shapes.Format(Strides)} cannot be viewed as {Shapes.Format(shape)} without a copy; use Reshape");
        return r;
    }

    /// <summary>Flattens dims <paramref name="startDim"/> to <paramref name="endDim"/> into one.</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        int s = Shapes.Dim(startDim, Dim, "Flatten"), e = Shapes.Dim(endDim, Dim, "Flatten");
        if (s > e) throw new ArgumentException($"Flatten: startDim {startDim} comes after endDim {endDim}");
        if (Dim == 0) return Reshape(1);
        var shape = new List<int>();
        for (int i = 0; i < s; i++) shape.Add(ShapeArray[i]);
        int n = 1;
        for (int i = s; i <= e; i++) n *= ShapeArray[i];
        shape.Add(n);
        for (int i = e + 1; i < Dim; i++) shape.Add(ShapeArray[i]);
        return Reshape([.. shape]);
    }

    /// <summary>Removes all dims of size 1: a view.</summary>
    public Tensor Squeeze()
    {
        var shape = new List<int>();
        foreach (var d in ShapeArray) if (d != 1) shape.Add(d);
        return shape.Count == Dim ? this : Reshape([.. shape]);
    }

    /// <summary>Removes dim <paramref name="dim"/> if its size is 1: a view.</summary>
    public Tensor Squeeze(int dim)
    {
        int d = Shapes.Dim(dim, Dim, "Squeeze");
        if (Dim == 0 || ShapeArray[d] != 1) return this;
        var shape = new List<int>(ShapeArray);
        shape.RemoveAt(d);
        return Reshape([.. shape]);
    }

    /// <summary>Inserts a dim of size 1 at <paramref name="dim"/>: a view.</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = Shapes.Dim(dim, Dim + 1, "Unsqueeze", tensorDims: Dim);
        var shape = new List<int>(ShapeArray);
        shape.Insert(d, 1);
        return Reshape([.. shape]);
    }

    /// <summary>Repeats size-1 dims (and adds leading dims) without copying, as broadcasting does; -1 keeps a size.</summary>
    public Tensor Expand(params int[] shape) => ExpandBackward.Forward(this, shape);

    /// <summary>Expands to the shape of <paramref name="other"/>.</summary>
    public Tensor ExpandAs(Tensor other) => Expand(other.ShapeArray);

    /// <summary>
    /// <paramref name="length"/> entries of dim <paramref name="dim"/> from <paramref name="start"/> (negative counts
    /// from the end, as in PyTorch): a view.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range does not lie within the dim.</exception>
    public Tensor Narrow(int dim, int start, int length) => NarrowBackward.Forward(this, dim, start, length);

    /// <summary>Entry <paramref name="index"/> of dim <paramref name="dim"/>, with that dim removed: a view.</summary>
    public Tensor Select(int dim, int index)
    {
        int d = Shapes.Dim(dim, Dim, "Select");
        if (Dim == 0) throw new ArgumentException("Select: a zero-dim tensor cannot be indexed");
        int size = ShapeArray[d];
        if (index < -size || index >= size)
            throw new ArgumentOutOfRangeException(nameof(index), $"Select: index {index} is out of range for dim {d} of size {size}");
        return Narrow(d, index < 0 ? index + size : index, 1).Squeeze(d);
    }

    /// <summary>
    /// Indexing with whole numbers, <see cref="Index"/> (<c>^1</c>) and ranges (<c>1..3</c>, <c>..</c>), one per
    /// leading dim: <c>x[0]</c> is the first row, <c>x[.., 1..]</c> drops the first column. Always a view; the setter
    /// copies into it, broadcasting the value after dropping its leading size-1 dims, as PyTorch's indexed assignment
    /// does (<c>x[0] = row</c> takes a row of shape [1, n]). A negative whole number counts from the end, as in PyTorch
    /// (<c>x[-1]</c> is <c>x[^1]</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index or range falls outside its dim; the message names the
    /// dim and its size.</exception>
    [System.Runtime.CompilerServices.IndexerName("Slice")]
    public Tensor this[params TensorIndex[] indices]
    {
        get => Index(indices);
        set
        {
            int lead = 0;
            while (lead < value.Dim && value.ShapeArray[lead] == 1) lead++;
            Index(indices).CopyInPlace(lead == 0 ? value : value.Reshape(value.ShapeArray[lead..]));
        }
    }

    private Tensor Index(TensorIndex[] indices)
    {
        if (indices.Length > Dim)
            throw new ArgumentOutOfRangeException(nameof(indices), $"Index: {indices.Length} indices for a tensor of {Dim} dims (shape {Shapes.Format(Shape)})");
        var r = this;
        int dim = 0; // the dim of r that the next index applies to; index k names dim k of this tensor
        for (int k = 0; k < indices.Length; k++)
        {
            var ix = indices[k];
            int size = r.ShapeArray[dim];
            if (ix.Range is { } range)
            {
                int start = range.Start.IsFromEnd ? size - range.Start.Value : range.Start.Value;
                int end = range.End.IsFromEnd ? size - range.End.Value : range.End.Value;
                if (start < 0 || end > size || start > end)
                    throw new ArgumentOutOfRangeException(nameof(indices), $"Index: range {range} is out of bounds for dim {k} of size {size}");
                r = r.Narrow(dim, start, end - start);
                dim++;
            }
            else
            {
                var at = ix.At;
                int i = at.IsFromEnd ? size - at.Value : at.Value;
                if (i < 0 || i >= size)
                    throw new ArgumentOutOfRangeException(nameof(indices), $"Index: index {at} is out of range for dim {k} of size {size}");
                r = r.Select(dim, i);
            }
        }
        return r;
    }

    /// <summary>This tensor if its elements are already contiguous, else a contiguous copy.</summary>
    public Tensor Contiguous() => IsContiguous ? this : CloneBackward.Forward(this);

    /// <summary>A contiguous copy that stays in the graph (PyTorch's <c>clone</c>).</summary>
    public Tensor Clone() => CloneBackward.Forward(this);

    /// <summary>This tensor converted to <paramref name="dtype"/>; this same tensor when it already has that dtype.</summary>
    public Tensor To(DType dtype) => ToBackward.Forward(this, dtype);
}

/// <summary>One index in <see cref="Tensor"/>'s indexer: a position (<c>2</c>, <c>^1</c>) or a range (<c>1..3</c>).</summary>
public readonly struct TensorIndex
{
    private TensorIndex(Index at, Range? range)
    {
        At = at;
        Range = range;
    }

    /// <summary>The position, when this is not a range.</summary>
    public Index At { get; }

    /// <summary>The range, or null for a single position.</summary>
    public Range? Range { get; }

    /// <summary>A position from the start.</summary>
    public static implicit operator TensorIndex(int index) => index < 0
        ? new(System.Index.FromEnd(-index), null)
        : new(index, null);

    /// <summary>A position, possibly from the end (<c>^1</c>).</summary>
    public static implicit operator TensorIndex(Index index) => new(index, null);

    /// <summary>A range of positions (<c>1..3</c>, <c>..</c>).</summary>
    public static implicit operator TensorIndex(Range range) => new(default, range);
}
