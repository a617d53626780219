using Descent.Autograd;

namespace Descent.Ops;

/// <summary>Broadcast view: size-1 dims (and new leading dims) repeat with stride 0. Backward sums back to the input's shape.</summary>
internal sealed class ExpandBackward(int[] inputShape) : Node
{
    public static Tensor Forward(Tensor x, int[] shape)
    {
        if (x.ShapeArray.AsSpan().SequenceEqual(shape)) return x;
        int lead = shape.Length - x.Dim;
        if (lead < 0)
            throw new ShapeMismatchException($"Expand: cannot expand a tensor of shape {Shapes.Format(x.Shape)} to fewer dims {Shapes.Format(shape)}");
        var strides = new int[shape.Length];
        var newShape = (int[])shape.Clone();
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0 && (i < lead || shape[i] != -1))
                throw new ShapeMismatchException(i < lead
                    ? $"Expand: size {shape[i]} is not allowed for the new leading dim {i} of {Shapes.Format(shape)}; a new dim needs its size"
                    : $"Expand: size {shape[i]} for dim {i} of {Shapes.Format(shape)} is invalid; a size is 0 or more, or -1 to keep the dim's size");
            if (i < lead) continue;
            int d = x.ShapeArray[i - lead];
            if (shape[i] == -1) newShape[i] = d;
            if (d == newShape[i]) strides[i] = x.StridesArray[i - lead];
            else if (d != 1)
                throw new ShapeMismatchException($"Expand: the size of dim {i} must be 1 to expand it, but a tensor of shape {Shapes.Format(x.Shape)} has {d} (target {Shapes.Format(shape)})");
        }
        var r = new Tensor(x.Storage, newShape, strides, x.Offset).AsViewOf(x);
        return GradMode.Records(x) ? new ExpandBackward(x.ShapeArray).Attach(r, x) : r;
    }

    internal override Tensor?[] Apply(Tensor g) => [g.SumToShape(inputShape)];
}

/// <summary>
/// Reshape, squeeze and unsqueeze: a view with new strides when the layout allows it, else a copy.
/// Backward reshapes the gradient back.
/// </summary>
internal sealed class ViewBackward(int[] inputShape) : Node
{
    public static Tensor Forward(Tensor x, int[] shape, string op)
    {
        shape = Infer(shape, x.Count, x.ShapeArray, op);
        Tensor r;
        if (ViewStrides(x.ShapeArray, x.StridesArray, shape) is { } strides)
            r = new Tensor(x.Storage, shape, strides, x.Offset).AsViewOf(x);
        else
        {
            Tensor c;
            using (GradMode.Set(false)) c = x.Contiguous();
            r = new Tensor(c.Storage, shape, Shapes.ContiguousStrides(shape), c.Offset);
        }
        return GradMode.Records(x) ? new ViewBackward(x.ShapeArray).Attach(r, x) : r;
    }

    internal override Tensor?[] Apply(Tensor g) => [g.Reshape(inputShape)];

    private static int[] Infer(int[] shape, int count, int[] from, string op)
    {
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (infer >= 0) throw new ShapeMismatchException($"{op}: only one dim can be -1, got {Shapes.Format(shape)}");
                infer = i;
            }
            else if (shape[i] < 0) throw new ShapeMismatchException($"{op}: invalid size {shape[i]} in {Shapes.Format(shape)}");
            else known *= shape[i];
        }
        var r = (int[])shape.Clone();
        if (infer >= 0)
        {
            if (known == 0 || count % known != 0)
                throw new ShapeMismatchException($"{op}: shape {Shapes.Format(shape)} is invalid for a tensor of shape {Shapes.Format(from)} ({count} elements)");
            r[infer] = (int)(count / known);
        }
        else if (known != count)
            throw new ShapeMismatchException($"{op}: shape {Shapes.Format(shape)} is invalid for a tensor of shape {Shapes.Format(from)} ({count} elements)");
        return r;
    }

    /// <summary>Strides that give the new shape over the same memory, or null when only a copy can (PyTorch's computeStride).</summary>
    private static int[]? ViewStrides(int[] oldShape, int[] oldStrides, int[] newShape)
    {
        var newStrides = new int[newShape.Length];
        if (oldShape.Length == 0 || Shapes.Numel(oldShape) == 0)
            return Shapes.ContiguousStrides(newShape);
        int viewD = newShape.Length - 1;
        long chunkBase = oldStrides[^1];
        long tensorNumel = 1, viewNumel = 1;
        for (int d = oldShape.Length - 1; d >= 0; d--)
        {
            tensorNumel *= oldShape[d];
            if (d == 0 || (oldShape[d - 1] != 1 && oldStrides[d - 1] != tensorNumel * chunkBase))
            {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1))
                {
                    newStrides[viewD] = (int)(viewNumel * chunkBase);
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) return null;
                if (d > 0)
                {
                    chunkBase = oldStrides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? newStrides : null;
    }
}

/// <summary>Reorders dims as a view; backward applies the inverse permutation.</summary>
internal sealed class PermuteBackward(int[] inverse) : Node
{
    public static Tensor Forward(Tensor x, int[] dims)
    {
        if (dims.Length != x.Dim)
            throw new ShapeMismatchException($"Permute: got {dims.Length} dims {Shapes.Format(dims)} for a tensor of {x.Dim} dims");
        var shape = new int[dims.Length];
        var strides = new int[dims.Length];
        var inverse = new int[dims.Length];
        var seen = new bool[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            int d = Shapes.Dim(dims[i], x.Dim, "Permute");
            if (seen[d]) throw new ArgumentException($"Permute: dim {d} appears twice in {Shapes.Format(dims)}");
            seen[d] = true;
            shape[i] = x.ShapeArray[d];
            strides[i] = x.StridesArray[d];
            inverse[d] = i;
        }
        var r = new Tensor(x.Storage, shape, strides, x.Offset).AsViewOf(x);
        return GradMode.Records(x) ? new PermuteBackward(inverse).Attach(r, x) : r;
    }

    public override string Name => "PermuteBackward0";

    internal override Tensor?[] Apply(Tensor g) => [g.Permute(inverse)];
}

/// <summary>A contiguous range along one dim, as a view; backward places the gradient into zeros of the input's shape.</summary>
internal sealed class NarrowBackward(int[] inputShape, int dim, int start) : Node
{
    public static Tensor Forward(Tensor x, int dim, int start, int length)
    {
        if (x.Dim == 0) throw new ShapeMismatchException("Narrow: a zero-dim tensor has no dim to narrow");
        dim = Shapes.Dim(dim, x.Dim, "Narrow");
        int size = x.ShapeArray[dim];
        // A negative start counts from the end, as in PyTorch.
        int first = start < 0 && start >= -size ? start + size : start;
        if (first < 0 || length < 0 || first > size || (long)first + length > size)
            throw new ArgumentOutOfRangeException(nameof(start), $"Narrow: range {start}..{(long)start + length} is out of bounds for dim {dim} of size {size}");
        start = first;
        var shape = (int[])x.ShapeArray.Clone();
        shape[dim] = length;
        var r = new Tensor(x.Storage, shape, x.StridesArray, x.Offset + start * x.StridesArray[dim]).AsViewOf(x);
        return GradMode.Records(x) ? new NarrowBackward(x.ShapeArray, dim, start).Attach(r, x) : r;
    }

    internal override Tensor?[] Apply(Tensor g)
    {
        var full = Tensor.Zeros(inputShape, g.DType);
        full.Narrow(dim, start, g.ShapeArray[dim]).CopyInPlace(g);
        return [full];
    }
}

/// <summary>Copy into fresh contiguous memory; the gradient passes through unchanged.</summary>
internal sealed class CloneBackward : Node
{
    public static Tensor Forward(Tensor x)
    {
        var r = Tensor.Empty((int[])x.ShapeArray.Clone(), x.DType);
        Kernels.Copy.Run(x, r);
        return GradMode.Records(x) ? new CloneBackward().Attach(r, x) : r;
    }

    internal override Tensor?[] Apply(Tensor g) => [g];
}

/// <summary>Conversion to another dtype; the gradient converts back.</summary>
internal sealed class ToBackward(DType from) : Node
{
    public static Tensor Forward(Tensor x, DType dtype)
    {
        if (x.DType == dtype) return x;
        var c = x.Contiguous();
        var r = Tensor.Empty((int[])x.ShapeArray.Clone(), dtype);
        Kernels.Copy.Convert(c, r);
        return GradMode.Records(x) && dtype.IsFloatingPoint() ? new ToBackward(x.DType).Attach(r, x) : r;
    }

    public override string Name => "ToCopyBackward0";

    internal override Tensor?[] Apply(Tensor g) => [g.To(from)];
}
