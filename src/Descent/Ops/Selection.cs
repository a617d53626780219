using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Descent.Autograd;
using Descent.Kernels;

namespace Descent.Ops;

/// <summary>Elementwise choice <c>cond ? a : b</c>; the gradient goes to whichever side was chosen.</summary>
internal sealed class WhereBackward : Node
{
    public static Tensor Forward(Tensor cond, Tensor a, Tensor b)
    {
        if (cond.DType != DType.Bool)
            throw new DTypeMismatchException($"Where: the condition must be a bool tensor, got {cond.DType.Name()}; compare with Gt, Eq, ... to make one");
        // Two bool branches give a bool result, as in PyTorch.
        (a, b) = Elementwise.Prepare(a, b, "Where", keepBool: true);
        var shape = Shapes.Broadcast(cond.Shape, a.Shape, "Where");
        if (!a.ShapeArray.AsSpan().SequenceEqual(shape))
        {
            a = a.Expand(shape);
            b = b.Expand(shape);
        }
        cond = cond.Expand(shape);
        var r = Tensor.Empty((int[])shape.Clone(), a.DType);
        Tensor c, ac, bc;
        using (GradMode.Set(false))
        {
            c = cond.Contiguous();
            ac = a.Contiguous();
            bc = b.Contiguous();
        }
        var m = c.Span<bool>();
        switch (r.DType)
        {
            case DType.Float32: Choose(m, ac.Span<float>(), bc.Span<float>(), r.Span<float>()); break;
            case DType.Float64: Choose(m, ac.Span<double>(), bc.Span<double>(), r.Span<double>()); break;
            case DType.Bool: Choose(m, ac.Span<bool>(), bc.Span<bool>(), r.Span<bool>()); break;
            default: Choose(m, ac.Span<long>(), bc.Span<long>(), r.Span<long>()); break;
        }
        if (!GradMode.Records(a, b)) return r;
        var node = new WhereBackward();
        node.Save(cond);
        return node.Attach(r, a, b);
    }

    private static void Choose<T>(ReadOnlySpan<bool> m, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r)
    {
        for (int i = 0; i < r.Length; i++) r[i] = m[i] ? a[i] : b[i];
    }

    internal override Tensor?[] Apply(Tensor g)
    {
        var c = Saved(0);
        var zero = Tensor.ZerosLike(g);
        return [NeedsGrad(0) ? Tensor.Where(c, g, zero) : null, NeedsGrad(1) ? Tensor.Where(c, zero, g) : null];
    }
}

/// <summary>Comparisons and logical ops: bool results, never differentiable.</summary>
internal static class Compare
{
    public enum Kind { Eq, Ne, Lt, Le, Gt, Ge }

    public static Tensor Forward(Tensor a, Tensor b, Kind kind)
    {
        Tensor ac, bc;
        using (GradMode.Set(false))
        {
            (a, b) = Elementwise.Prepare(a, b, kind.ToString());
            ac = a.Contiguous();
            bc = b.Contiguous();
        }
        var r = Tensor.Empty((int[])a.ShapeArray.Clone(), DType.Bool);
        var d = r.Span<bool>();
        switch (ac.DType)
        {
            case DType.Float32: Run(ac.Span<float>(), bc.Span<float>(), d, kind); break;
            case DType.Float64: Run(ac.Span<double>(), bc.Span<double>(), d, kind); break;
            default: Run(ac.Span<long>(), bc.Span<long>(), d, kind); break;
        }
        return r;
    }

    private static void Run<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<bool> d, Kind kind) where T : System.Numerics.INumber<T>
    {
        switch (kind)
        {
            case Kind.Eq: for (int i = 0; i < d.Length; i++) d[i] = a[i] == b[i]; break;
            case Kind.Ne: for (int i = 0; i < d.Length; i++) d[i] = a[i] != b[i]; break;
            case Kind.Lt: for (int i = 0; i < d.Length; i++) d[i] = a[i] < b[i]; break;
            case Kind.Le: for (int i = 0; i < d.Length; i++) d[i] = a[i] <= b[i]; break;
            case Kind.Gt: for (int i = 0; i < d.Length; i++) d[i] = a[i] > b[i]; break;
            default: for (int i = 0; i < d.Length; i++) d[i] = a[i] >= b[i]; break;
        }
    }

    // Any dtype takes part, nonzero (NaN too) being true, as in PyTorch's logical_and, logical_or and logical_not.
    private static Tensor Truth(Tensor t) => t.DType == DType.Bool ? t : t.To(DType.Bool);

    public static Tensor Logical(Tensor a, Tensor b, bool and)
    {
        a = Truth(a);
        b = Truth(b);
        var shape = Shapes.Broadcast(a.Shape, b.Shape, and ? "LogicalAnd" : "LogicalOr");
        var ac = a.Expand(shape).Contiguous();
        var bc = b.Expand(shape).Contiguous();
        var r = Tensor.Empty(shape, DType.Bool);
        var x = ac.Span<bool>();
        var y = bc.Span<bool>();
        var d = r.Span<bool>();
        for (int i = 0; i < d.Length; i++) d[i] = and ? x[i] & y[i] : x[i] | y[i];
        return r;
    }

    public static Tensor Not(Tensor a)
    {
        var c = Truth(a).Contiguous();
        var r = Tensor.Empty((int[])a.ShapeArray.Clone(), DType.Bool);
        var x = c.Span<bool>();
        var d = r.Span<bool>();
        for (int i = 0; i < d.Length; i++) d[i] = !x[i];
        return r;
    }
}

/// <summary>
/// Joins tensors along an existing dim; backward narrows the gradient back into pieces. As in PyTorch, a 1-D empty
/// tensor (<c>torch.tensor([])</c>, the start of a list grown by Cat) joins any shape: it is skipped, but its dtype
/// still takes part in the promotion.
/// </summary>
internal sealed class CatBackward(int dim, int[] sizes, bool[] skipped) : Node
{
    public static Tensor Forward(IReadOnlyList<Tensor> tensors, int dim)
    {
        if (tensors.Count == 0) throw new ArgumentException("Cat: expects at least one tensor");
        var skipped = new bool[tensors.Count];
        int firstKept = -1;
        for (int i = 0; i < tensors.Count; i++)
        {
            skipped[i] = tensors[i] is { Dim: 1, Count: 0 };
            if (!skipped[i] && firstKept < 0) firstKept = i;
        }
        if (firstKept < 0)
        {
            // All skipped: they are all of shape [0], and join as such.
            Array.Fill(skipped, false);
            firstKept = 0;
        }
        var first = tensors[firstKept];
        if (first.Dim == 0) throw new ShapeMismatchException("Cat: zero-dim tensors cannot be concatenated; use Stack");
        dim = Shapes.Dim(dim, first.Dim, "Cat");
        var dtype = first.DType;
        foreach (var t in tensors) dtype = DTypeExtensions.Promote(dtype, t.DType);
        var sizes = new int[tensors.Count];
        int total = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            if (skipped[i]) continue;
            if (t.Dim != first.Dim)
                throw new ShapeMismatchException($"Cat: all tensors need the same number of dims, but tensor {i} has shape {Shapes.Format(t.Shape)} ({t.Dim} dims) and tensor {firstKept} has shape {Shapes.Format(first.Shape)} ({first.Dim} dims)");
            for (int d = 0; d < t.Dim; d++)
                if (d != dim && t.ShapeArray[d] != first.ShapeArray[d])
                    throw new ShapeMismatchException($"Cat: sizes must match except in dim {dim}, but tensor {i} has shape {Shapes.Format(t.Shape)} and tensor {firstKept} has {Shapes.Format(first.Shape)}");
            sizes[i] = t.ShapeArray[dim];
            total += sizes[i];
        }
        var shape = (int[])first.ShapeArray.Clone();
        shape[dim] = total;
        var r = Tensor.Empty(shape, dtype);
        int at = 0;
        var inputs = new Tensor[tensors.Count];
        bool records = false;
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i].DType == dtype ? tensors[i] : tensors[i].To(dtype);
            inputs[i] = t;
            records |= GradMode.Records(t);
            if (skipped[i]) continue;
            using (GradMode.Set(false)) Copy.Run(t, r.Narrow(dim, at, sizes[i]));
            at += sizes[i];
        }
        return records ? new CatBackward(dim, sizes, skipped).Attach(r, inputs) : r;
    }

    internal override Tensor?[] Apply(Tensor g)
    {
        var grads = new Tensor?[sizes.Length];
        int at = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            if (NeedsGrad(i)) grads[i] = skipped[i] ? Tensor.Zeros([0], g.DType) : g.Narrow(dim, at, sizes[i]);
            at += sizes[i];
        }
        return grads;
    }
}

/// <summary>Picks entries along a dim by int64 indices (rows for a DataLoader batch); backward adds the gradient back at those indices.</summary>
internal sealed class IndexSelectBackward(int[] inputShape, int dim) : Node
{
    public static Tensor Forward(Tensor x, int dim, Tensor index)
    {
        if (x.Dim == 0) throw new ArgumentException("IndexSelect: a zero-dim tensor has no dim to select along; Reshape(1) it first");
        dim = Shapes.Dim(dim, x.Dim, "IndexSelect");
        var ic = CheckedIndex(index, x.Dim == 0 ? 1 : x.ShapeArray[dim], dim);
        var (c, r, rows) = Prepare(x, dim, ic);
        GatherAll([new Job(c, r, rows)]);
        if (!GradMode.Records(x)) return r;
        var node = new IndexSelectBackward(x.ShapeArray, dim);
        node.Save(index);
        return node.Attach(r, x);
    }

    /// <summary>
    /// The same rows of several tensors that share their first dim (a DataLoader's batch), gathered together: a
    /// large batch is split between threads once for all of them. Tensors that record a graph take
    /// <see cref="Forward"/> one by one.
    /// </summary>
    public static Tensor[] Batch(IReadOnlyList<Tensor> tensors, Tensor index)
    {
        var batch = new Tensor[tensors.Count];
        if (batch.Length == 0) return batch;
        foreach (var t in tensors)
            if (t.Dim == 0 || t.ShapeArray[0] != tensors[0].ShapeArray[0] || GradMode.Records(t))
            {
                for (int i = 0; i < batch.Length; i++) batch[i] = Forward(tensors[i], 0, index);
                return batch;
            }
        var ic = CheckedIndex(index, tensors[0].ShapeArray[0], 0);
        var jobs = new Job[tensors.Count];
        for (int i = 0; i < jobs.Length; i++)
        {
            var (c, r, rows) = Prepare(tensors[i], 0, ic);
            jobs[i] = new Job(c, r, rows);
            batch[i] = r;
        }
        GatherAll(jobs);
        return batch;
    }

    /// <summary>The index, contiguous, after checking its dtype, its shape and that every entry is in range.</summary>
    private static Tensor CheckedIndex(Tensor index, int size, int dim)
    {
        if (index.DType != DType.Int64)
            throw new DTypeMismatchException($"IndexSelect: the index must be an int64 tensor, got {index.DType.Name()}");
        if (index.Dim > 1)
            throw new ShapeMismatchException($"IndexSelect: the index must have at most 1 dim, got shape {Shapes.Format(index.Shape)}");
        var ic = index.Contiguous();
        // As PyTorch's index_select: from 0 to size - 1, no counting back from the end.
        foreach (var i in ic.Span<long>())
            if ((ulong)i >= (ulong)size)
                throw new ArgumentOutOfRangeException(nameof(index), $"IndexSelect: index {i} is out of range for dim {dim} of size {size} ({(size == 0 ? "the dim is empty" : $"indices run from 0 to {size - 1}")})");
        return ic;
    }

    /// <summary>x made contiguous, the result to fill, and x seen as (outer, size, inner): a copy of <c>inner</c> elements per selected slice.</summary>
    private static (Tensor Source, Tensor Result, Rows Rows) Prepare(Tensor x, int dim, Tensor ic)
    {
        int n = ic.Count, size = x.Dim == 0 ? 1 : x.ShapeArray[dim];
        var shape = (int[])x.ShapeArray.Clone();
        if (x.Dim > 0) shape[dim] = n;
        var r = Tensor.Empty(shape, x.DType);
        Tensor c;
        using (GradMode.Set(false)) c = x.Contiguous();
        int inner = 1, outer = 1;
        for (int d = dim + 1; d < x.Dim; d++) inner *= x.ShapeArray[d];
        for (int d = 0; d < dim; d++) outer *= x.ShapeArray[d];
        return (c, r, new Rows(ic.Data<long>(), ic.Offset, n, outer, size, inner));
    }

    internal override Tensor?[] Apply(Tensor g)
    {
        var full = Tensor.Zeros(inputShape, g.DType);
        var idx = Saved(0).Contiguous().Span<long>();
        int size = inputShape.Length == 0 ? 1 : inputShape[dim];
        int inner = 1, outer = 1;
        for (int d = dim + 1; d < inputShape.Length; d++) inner *= inputShape[d];
        for (int d = 0; d < dim && d < inputShape.Length; d++) outer *= inputShape[d];
        var gc = g.Contiguous();
        if (g.DType == DType.Float32) ScatterAdd(gc.Span<float>(), full.Span<float>(), idx, outer, size, inner);
        else ScatterAdd(gc.Span<double>(), full.Span<double>(), idx, outer, size, inner);
        return [full];
    }

    /// <summary>The index and the (outer, size, inner) view of a contiguous input that a gather reads.</summary>
    private readonly record struct Rows(long[] Index, int IndexOffset, int N, int Outer, int Size, int Inner);

    /// <summary>From this many bytes gathered, two threads (or more) share the rows: each waits for memory less.</summary>
    private const long ParallelGatherBytes = 128 * 1024;

    /// <summary>One gather: a contiguous source, the result, and the rows to copy.</summary>
    private readonly record struct Job(Tensor Source, Tensor Result, Rows Rows);

    /// <summary>
    /// One copy per selected slice. Shuffled batches pick rows all over a large tensor, so each copy would wait for
    /// memory; the rows 32 steps ahead are prefetched so that those waits overlap. They are prefetched into L2, not
    /// L1, whose few miss buffers the copies need: a million rows of 64 bytes took 10 ms so, 13-16 ms into L1. A
    /// large gather is split between threads, each taking its share of the rows of every job. Short rows (a
    /// DataLoader's samples of a few features) are copied with vector moves in place of a call per row.
    /// </summary>
    private static void GatherAll(Job[] jobs)
    {
        int n = jobs[0].Rows.N; // the same index for every job
        long bytes = 0;
        bool flat = true;
        foreach (var job in jobs)
        {
            bytes += (long)job.Rows.Outer * n * job.Rows.Inner * job.Source.DType.ElementSize();
            flat &= job.Rows.Outer == 1;
        }
        if (bytes < ParallelGatherBytes || Environment.ProcessorCount == 1 || !flat)
        {
            foreach (var job in jobs) GatherRange(job, 0, n);
            return;
        }
        int chunks = Math.Min(Environment.ProcessorCount, (int)(bytes / (ParallelGatherBytes / 2)));
        WorkerPool.For(chunks, c =>
        {
            int j0 = (int)((long)n * c / chunks), j1 = (int)((long)n * (c + 1) / chunks);
            foreach (var job in jobs) GatherRange(job, j0, j1);
        });
    }

    private static void GatherRange(Job job, int j0, int j1)
    {
        var (c, r, rows) = job;
        switch (c.DType)
        {
            case DType.Float32: GatherRange(c.Data<float>(), c.Offset, r.Data<float>(), rows, j0, j1); break;
            case DType.Float64: GatherRange(c.Data<double>(), c.Offset, r.Data<double>(), rows, j0, j1); break;
            case DType.Int64: GatherRange(c.Data<long>(), c.Offset, r.Data<long>(), rows, j0, j1); break;
            default: GatherRange(c.Data<bool>(), c.Offset, r.Data<bool>(), rows, j0, j1); break;
        }
    }

    private static unsafe void GatherRange<T>(T[] x, int xOffset, T[] r, Rows rows, int j0, int j1) where T : unmanaged
    {
        const int Ahead = 32;
        int n = rows.N, size = rows.Size, inner = rows.Inner;
        nuint rowBytes = (nuint)inner * (nuint)sizeof(T);
        if ((long)rows.Outer * n * inner > r.Length || xOffset + (long)rows.Outer * size * inner > x.Length
            || rows.IndexOffset + (long)n > rows.Index.Length)
            throw new InvalidOperationException("IndexSelect: the buffers do not match the shape");
        var idx = rows.Index.AsSpan(rows.IndexOffset, n);
        fixed (T* px0 = x)
        fixed (T* pr = r)
        {
            T* px = px0 + xOffset;
            for (int o = 0; o < rows.Outer; o++)
            {
                T* slab = px + (long)o * size * inner;
                T* dst = pr + (long)o * n * inner;
                for (int j = j0; j < j1; j++)
                {
                    if (Sse.IsSupported && j + Ahead < j1)
                    {
                        T* row = slab + idx[j + Ahead] * inner;
                        Sse.Prefetch1(row);
                        Sse.Prefetch1(row + inner - 1);
                    }
                    long i = idx[j];
                    if (inner == 1) dst[j] = slab[i];
                    else if (rowBytes <= ShortRowBytes) CopyShort((byte*)(slab + i * inner), (byte*)(dst + (long)j * inner), rowBytes);
                    else Buffer.MemoryCopy(slab + i * inner, dst + (long)j * inner, rowBytes, rowBytes);
                }
            }
        }
    }

    /// <summary>The row length up to which <see cref="CopyShort"/> beats a call to the general copy.</summary>
    private const int ShortRowBytes = 512;

    /// <summary>Copies a few hundred bytes at most with the widest vector moves, then narrower ones for the tail.</summary>
    private static unsafe void CopyShort(byte* src, byte* dst, nuint bytes)
    {
        nuint k = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; k + 64 <= bytes; k += 64) Vector512.Store(Vector512.Load(src + k), dst + k);
        for (; k + 32 <= bytes; k += 32) Vector256.Store(Vector256.Load(src + k), dst + k);
        for (; k + 16 <= bytes; k += 16) Vector128.Store(Vector128.Load(src + k), dst + k);
        for (; k + 8 <= bytes; k += 8) *(ulong*)(dst + k) = *(ulong*)(src + k);
        for (; k < bytes; k++) dst[k] = src[k];
    }

    private static void ScatterAdd<T>(ReadOnlySpan<T> g, Span<T> full, ReadOnlySpan<long> idx, int outer, int size, int inner)
        where T : unmanaged, System.Numerics.INumber<T>
    {
        int n = idx.Length;
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < n; j++)
            {
                int i = (int)idx[j];
                var dst = full.Slice((o * size + i) * inner, inner);
                System.Numerics.Tensors.TensorPrimitives.Add(dst, g.Slice((o * n + j) * inner, inner), dst);
            }
    }
}
