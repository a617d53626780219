using System.Numerics;
using Descent.Autograd;
using Descent.Kernels;

namespace Descent.Ops;

/// <summary>Sum over the given dims (all when none); backward expands the gradient back over the summed dims.</summary>
internal sealed class SumBackward(int[] inputShape, bool[] reduced, bool keepDim) : Node
{
    public static Tensor Forward(Tensor x, int[]? dims, bool keepDim)
    {
        if (x.DType == DType.Bool) x = x.To(DType.Int64);
        var reduced = Reduction.Dims(dims, x.Dim, "Sum");
        var r = Reduction.Sum(x, reduced, keepDim);
        return GradMode.Records(x) ? new SumBackward(x.ShapeArray, reduced, keepDim).Attach(r, x) : r;
    }

    internal override Tensor?[] Apply(Tensor g)
    {
        // A sum of every element (the loss) has a zero-dim gradient, which expands as it is.
        if (!keepDim && g.Dim > 0) g = g.Reshape(Reduction.KeptShape(inputShape, reduced));
        return [g.Expand(inputShape)];
    }
}

/// <summary>Maximum or minimum over all elements; the gradient is shared evenly among ties, as PyTorch's max().</summary>
internal sealed class ExtremeAllBackward(bool max) : Node
{
    public override string Name => max ? "MaxBackward1" : "MinBackward1";

    public static Tensor Forward(Tensor x, bool max)
    {
        if (x.Count == 0) throw new ArgumentException($"{(max ? "Max" : "Min")}: the tensor is empty; give a dim or check its shape {Shapes.Format(x.Shape)}");
        var flat = x.Contiguous().Reshape(1, x.Count);
        var (values, _) = Reduction.ArgExtreme(flat, 1, false, max);
        var r = values.Reshape();
        if (!GradMode.Records(x)) return r;
        var node = new ExtremeAllBackward(max);
        node.Save(x, r);
        return node.Attach(r, x);
    }

    // A NaN result came from the NaN elements, which share the gradient (x == NaN is never true), as in PyTorch; the
    // others get an exact 0, even where g is NaN or infinite.
    internal override Tensor?[] Apply(Tensor g)
    {
        var x = Saved(0);
        var r = Saved(1);
        var mask = double.IsNaN(r.Item()) ? x.Ne(x) : x.Eq(r);
        return [Tensor.Where(mask, g / mask.To(g.DType).Sum(), 0L)];
    }
}

/// <summary>Maximum or minimum along one dim with the index of the first; the gradient goes to that index.</summary>
internal sealed class ExtremeDimBackward(int[] inputShape, int dim, bool keepDim, bool max) : Node
{
    public override string Name => max ? "MaxBackward0" : "MinBackward0";

    // op: the name the user called, for errors (Max or Min by default, ArgMax or ArgMin).
    public static (Tensor Values, Tensor Indices) Forward(Tensor x, int dim, bool keepDim, bool max, string? op = null)
    {
        op ??= max ? "Max" : "Min";
        dim = Shapes.Dim(dim, x.Dim, op);
        if (x.Dim > 0 && x.ShapeArray[dim] == 0)
            throw new ArgumentException($"{op}: dim {dim} of shape {Shapes.Format(x.Shape)} is empty");
        var (values, indices) = Reduction.ArgExtreme(x, dim, keepDim, max);
        if (!GradMode.Records(x)) return (values, indices);
        var node = new ExtremeDimBackward(x.ShapeArray, dim, keepDim, max);
        node.Save(indices);
        return (node.Attach(values, x), indices);
    }

    internal override Tensor?[] Apply(Tensor g)
    {
        var idx = Saved(0);
        if (!keepDim && inputShape.Length > 0)
        {
            g = g.Unsqueeze(dim);
            idx = idx.Unsqueeze(dim);
        }
        return [Reduction.ScatterAlong(g.Contiguous(), idx.Contiguous(), inputShape, dim)];
    }
}

/// <summary>The shape bookkeeping and kernel dispatch shared by the reductions.</summary>
internal static class Reduction
{
    public static bool[] Dims(int[]? dims, int rank, string op)
    {
        var reduced = new bool[rank];
        if (dims is null || dims.Length == 0)
        {
            Array.Fill(reduced, true);
            return reduced;
        }
        // A zero-dim tensor has no dims to mark, but takes dim 0 (or -1) once, as in PyTorch.
        var seen = new bool[Math.Max(rank, 1)];
        foreach (var d in dims)
        {
            int w = Shapes.Dim(d, rank, op);
            if (seen[w]) throw new ArgumentException($"{op}: dim {w} appears more than once in {Shapes.Format(dims)}");
            seen[w] = true;
        }
        if (rank > 0) Array.Copy(seen, reduced, rank);
        return reduced;
    }

    public static int[] KeptShape(int[] shape, bool[] reduced)
    {
        var r = (int[])shape.Clone();
        for (int i = 0; i < r.Length; i++) if (reduced[i]) r[i] = 1;
        return r;
    }

    public static int[] OutShape(int[] shape, bool[] reduced, bool keepDim)
    {
        if (keepDim) return KeptShape(shape, reduced);
        int kept = 0;
        foreach (bool isReduced in reduced) if (!isReduced) kept++;
        var r = new int[kept];
        for (int i = 0, o = 0; i < shape.Length; i++) if (!reduced[i]) r[o++] = shape[i];
        return r;
    }

    public static Tensor Sum(Tensor x, bool[] reduced, bool keepDim)
    {
        var outShape = OutShape(x.ShapeArray, reduced, keepDim);
        var r = Tensor.Empty(outShape, x.DType);
        switch (x.DType)
        {
            case DType.Float32: Sum<float>(x, reduced, r); break;
            case DType.Float64: Sum<double>(x, reduced, r); break;
            default: Sum<long>(x, reduced, r); break;
        }
        return r;
    }

    private static void Sum<T>(Tensor x, bool[] reduced, Tensor r) where T : unmanaged, INumber<T>
    {
        int rank = x.Dim;
        int lead = 0;
        while (lead < rank && reduced[lead]) lead++;
        int trail = 0;
        while (trail < rank && reduced[rank - 1 - trail]) trail++;
        bool allReduced = lead == rank;
        if (allReduced)
        {
            var c = x.Contiguous();
            r.Span<T>()[0] = Reduce.SumParallel(c.Data<T>(), c.Offset, c.Count);
            return;
        }
        // Reduced dims all leading or all trailing of a contiguous tensor: no copy.
        int reducedCount = 0;
        foreach (bool isReduced in reduced) if (isReduced) reducedCount++;
        if (x.IsContiguous && lead == reducedCount)
        {
            int rows = 1;
            for (int i = 0; i < lead; i++) rows *= x.ShapeArray[i];
            Reduce.SumColumns(x.Data<T>(), x.Offset, rows, r.Span<T>());
            return;
        }
        int inner = 1;
        Tensor src = x;
        if (!(x.IsContiguous && trail == reducedCount))
        {
            // Move the reduced dims last and copy once, then sum rows.
            var order = new int[rank];
            int k = 0;
            for (int i = 0; i < rank; i++) if (!reduced[i]) order[k++] = i;
            for (int i = 0; i < rank; i++) if (reduced[i]) order[k++] = i;
            using (GradMode.Set(false)) src = x.Permute(order).Contiguous();
        }
        for (int i = 0; i < rank; i++) if (reduced[i]) inner *= x.ShapeArray[i];
        Reduce.SumRows<T>(src.Span<T>(), r.Span<T>(), inner);
    }

    public static (Tensor Values, Tensor Indices) ArgExtreme(Tensor x, int dim, bool keepDim, bool max)
    {
        // Bools are compared as 0 and 1 and stay bools, as PyTorch's max and min of a mask.
        if (x.DType == DType.Bool)
        {
            var (v, i) = ArgExtreme(x.To(DType.Int64), dim, keepDim, max);
            return (v.To(DType.Bool), i);
        }
        int rank = x.Dim;
        var reduced = new bool[rank];
        if (rank > 0) reduced[dim] = true;
        var outShape = OutShape(x.ShapeArray, reduced, keepDim);
        Tensor src;
        using (GradMode.Set(false)) src = rank == 0 ? x.Reshape(1) : x.Movedim(dim, rank - 1).Contiguous();
        int n = rank == 0 ? 1 : x.ShapeArray[dim];
        var values = Tensor.Empty(outShape, x.DType);
        var indices = Tensor.Empty((int[])outShape.Clone(), DType.Int64);
        switch (x.DType)
        {
            case DType.Float32: Reduce.ArgExtremeRows(src.Span<float>(), values.Span<float>(), indices.Span<long>(), n, max); break;
            case DType.Float64: Reduce.ArgExtremeRows(src.Span<double>(), values.Span<double>(), indices.Span<long>(), n, max); break;
            default: Reduce.ArgExtremeRows(src.Span<long>(), values.Span<long>(), indices.Span<long>(), n, max); break;
        }
        return (values, indices);
    }

    /// <summary>Zeros of <paramref name="shape"/> with <c>g</c> placed at <c>idx</c> along <paramref name="dim"/> (keep-dim layout).</summary>
    public static Tensor ScatterAlong(Tensor g, Tensor idx, int[] shape, int dim)
    {
        var r = Tensor.Zeros(shape, g.DType);
        if (shape.Length == 0)
        {
            Kernels.Copy.Run(g.Reshape(), r);
            return r;
        }
        int outer = 1, inner = 1, n = shape[dim];
        for (int i = 0; i < dim; i++) outer *= shape[i];
        for (int i = dim + 1; i < shape.Length; i++) inner *= shape[i];
        var ix = idx.Span<long>();
        if (g.DType == DType.Float32) Place(g.Span<float>(), ix, r.Span<float>(), outer, n, inner);
        else Place(g.Span<double>(), ix, r.Span<double>(), outer, n, inner);
        return r;
    }

    private static void Place<T>(ReadOnlySpan<T> g, ReadOnlySpan<long> idx, Span<T> r, int outer, int n, int inner)
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
                r[(o * n + (int)idx[o * inner + i]) * inner + i] = g[o * inner + i];
    }
}
