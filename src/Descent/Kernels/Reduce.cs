using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Descent.Kernels;

/// <summary>
/// Sums, maxima and minima over contiguous rows. Float sums are taken in blocks whose partial sums are added in
/// double, and float32 blocks are summed with short runs per vector lane (<see cref="SumFloat"/>), so that a sum of a
/// thousand or ten million float32 values comes out to float32 precision.
/// </summary>
internal static class Reduce
{
    private const int Block = 4096;

    public static T Sum<T>(ReadOnlySpan<T> x) where T : unmanaged, INumber<T> =>
        typeof(T) == typeof(long) ? TensorPrimitives.Sum(x) : T.CreateTruncating(Blocked<T, Values<T>>(new(x), x.Length));

    /// <summary>Sum of all elements of a large contiguous span, in parallel blocks.</summary>
    public static T SumParallel<T>(T[] data, int offset, int length) where T : unmanaged, INumber<T>
    {
        if (length == 0) return T.Zero; // an empty view's offset may lie past the end of its storage
        if (length < Strided.ParallelThreshold) return Sum<T>(data.AsSpan(offset, length));
        // int64 chunks add exactly (wrapping on overflow, as PyTorch's do).
        if (typeof(T) == typeof(long)) return TensorPrimitives.Sum<T>(Chunked(length, (s, n) => TensorPrimitives.Sum<T>(data.AsSpan(offset + s, n))));
        return T.CreateTruncating(InOrder(Chunked(length, (s, n) => Blocked<T, Values<T>>(new(data.AsSpan(offset + s, n)), n))));
    }

    /// <summary>
    /// <c>Σ (a - b)²</c> over two contiguous runs, in the blocks and chunks of <see cref="SumParallel{T}"/> over a
    /// tensor of the squared differences, so it gives that sum's bits without the tensor: each block's differences
    /// go through a buffer on the stack.
    /// </summary>
    public static T SquaredDifferenceSum<T>(T[] a, int aOff, T[] b, int bOff, int length) where T : unmanaged, INumber<T>
    {
        if (length == 0) return T.Zero;
        if (length < Strided.ParallelThreshold) return T.CreateTruncating(SquaredDifferences(a.AsSpan(aOff, length), b.AsSpan(bOff, length)));
        return T.CreateTruncating(InOrder(Chunked(length, (s, n) => SquaredDifferences(a.AsSpan(aOff + s, n), b.AsSpan(bOff + s, n)))));
    }

    private static double SquaredDifferences<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : unmanaged, INumber<T>
    {
        Span<T> buffer = stackalloc T[Block];
        return Blocked<T, SquaredDifferenceBlocks<T>>(new(a, b, buffer), a.Length);
    }

    /// <summary>What a blocked sum adds up: the sum, in double, of the block at start.</summary>
    private interface IBlocks<T>
    {
        double Sum(int start, int length);
    }

    private readonly ref struct Values<T>(ReadOnlySpan<T> x) : IBlocks<T> where T : unmanaged, INumber<T>
    {
        private readonly ReadOnlySpan<T> _x = x;

        public double Sum(int start, int length) => Total(_x.Slice(start, length));
    }

    /// <summary>A block's <c>(a - b)²</c>, formed in a buffer of at least <see cref="Block"/> elements, then summed.</summary>
    private readonly ref struct SquaredDifferenceBlocks<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> buffer) : IBlocks<T>
        where T : unmanaged, INumber<T>
    {
        private readonly ReadOnlySpan<T> _a = a, _b = b;
        private readonly Span<T> _buffer = buffer;

        public double Sum(int start, int length)
        {
            var d = _buffer[..length];
            TensorPrimitives.Subtract(_a.Slice(start, length), _b.Slice(start, length), d);
            TensorPrimitives.Multiply(d, d, d);
            return Total<T>(d);
        }
    }

    /// <summary>A run summed block by block, the blocks' sums added in double.</summary>
    private static double Blocked<T, TBlocks>(TBlocks blocks, int length)
        where T : unmanaged, INumber<T> where TBlocks : IBlocks<T>, allows ref struct
    {
        if (length <= Block) return blocks.Sum(0, length);
        double acc = 0;
        for (int i = 0; i < length; i += Block)
            acc += blocks.Sum(i, Math.Min(Block, length - i));
        return acc;
    }

    /// <summary>One block's sum in double: float32 through <see cref="SumFloat"/>, float64 as it is.</summary>
    private static double Total<T>(ReadOnlySpan<T> x) where T : unmanaged, INumber<T> =>
        typeof(T) == typeof(float) ? SumFloat(MemoryMarshal.Cast<T, float>(x)) : double.CreateTruncating(TensorPrimitives.Sum(x));

    /// <summary>Each vector lane adds at most this many float32 values before its partial sum goes into double.</summary>
    private const int LaneRun = 16;

    /// <summary>
    /// float32 values summed at memory speed and to about float32's last bit: four vector accumulators whose lanes
    /// each add at most <see cref="LaneRun"/> values in float before the partial sums are widened into double. One
    /// float accumulator per lane over thousands of values loses several last bits of the result, which a variance
    /// of data far from zero then multiplies (1000 values near 10 000 gave a mean three steps off and twice the
    /// variance; PyTorch's cascade sum gives both to the last bit).
    /// </summary>
    private static double SumFloat(ReadOnlySpan<float> x)
    {
        ref float p = ref MemoryMarshal.GetReference(x);
        int n = x.Length, w = Vector<float>.Count, i = 0;
        var lo = Vector<double>.Zero;
        var hi = Vector<double>.Zero;
        if (Vector.IsHardwareAccelerated)
        {
            while (i + 4 * w <= n)
            {
                Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int r = 0; r < LaneRun && i + 4 * w <= n; r++, i += 4 * w)
                {
                    a0 += Vector.LoadUnsafe(ref p, (nuint)i);
                    a1 += Vector.LoadUnsafe(ref p, (nuint)(i + w));
                    a2 += Vector.LoadUnsafe(ref p, (nuint)(i + 2 * w));
                    a3 += Vector.LoadUnsafe(ref p, (nuint)(i + 3 * w));
                }
                Vector.Widen(a0 + a1 + (a2 + a3), out var l, out var h);
                lo += l;
                hi += h;
            }
        }
        double sum = Vector.Sum(lo + hi);
        for (; i < n; i++) sum += Unsafe.Add(ref p, i);
        return sum;
    }

    /// <summary>A long run cut into a fixed number of chunks per core, each summed by <paramref name="chunk"/> on the threads.</summary>
    private static TSum[] Chunked<TSum>(int length, Func<int, int, TSum> chunk)
    {
        int chunks = Environment.ProcessorCount * 4, per = (length + chunks - 1) / chunks;
        var partial = new TSum[chunks];
        WorkerPool.For(chunks, c =>
        {
            int s = c * per, n = Math.Min(per, length - s);
            if (n > 0) partial[c] = chunk(s, n);
        });
        return partial;
    }

    /// <summary>The chunks' sums added in order, so the result does not depend on which thread finished first.</summary>
    private static double InOrder(double[] partial)
    {
        double acc = 0;
        foreach (var p in partial) acc += p;
        return acc;
    }

    /// <summary>
    /// <c>dst = (a - b) * scale</c> over contiguous runs, as a difference then a product by a number would give it,
    /// block by block so that the second pass reads from cache; split between threads when long.
    /// </summary>
    public static void ScaledDifference<T>(T[] a, int aOff, T[] b, int bOff, T scale, T[] dst, int dOff, int length) where T : unmanaged, INumber<T>
    {
        if (length < Strided.ParallelThreshold || Environment.ProcessorCount == 1)
        {
            ScaledRange(a, aOff, b, bOff, scale, dst, dOff, 0, length);
            return;
        }
        int chunks = Environment.ProcessorCount * 4, per = (length + chunks - 1) / chunks;
        WorkerPool.For(chunks, c =>
        {
            int s = c * per, e = Math.Min(length, s + per);
            if (s < e) ScaledRange(a, aOff, b, bOff, scale, dst, dOff, s, e);
        });
    }

    private static void ScaledRange<T>(T[] a, int aOff, T[] b, int bOff, T scale, T[] dst, int dOff, int s, int e) where T : unmanaged, INumber<T>
    {
        for (int i = s; i < e; i += Block)
        {
            int n = Math.Min(Block, e - i);
            var d = dst.AsSpan(dOff + i, n);
            TensorPrimitives.Subtract(a.AsSpan(aOff + i, n), b.AsSpan(bOff + i, n), d);
            TensorPrimitives.Multiply(d, scale, d);
        }
    }

    /// <summary><c>dst[r] = sum(src[r*n .. r*n+n])</c>.</summary>
    public static void SumRows<T>(ReadOnlySpan<T> src, Span<T> dst, int n) where T : unmanaged, INumber<T>
    {
        for (int r = 0; r < dst.Length; r++) dst[r] = Sum(src.Slice(r * n, n));
    }

    /// <summary>
    /// <c>dst[j] = sum over r of src[offset + r*n + j]</c>: the sum over leading rows (a bias gradient). Narrow rows
    /// are summed as whole vectors that each hold several rows, each lane adding at most <see cref="BlockSteps"/>
    /// values in float before double; wide rows go straight into double sums. So a few rows or millions come out to
    /// float32's last bit. Long runs are split across threads.
    /// </summary>
    public static void SumColumns<T>(T[] src, int offset, int rows, Span<T> dst) where T : unmanaged, INumber<T>
    {
        int n = dst.Length;
        // One column ([N, 1] summed over N, a bias gradient with one output) is one contiguous run.
        if (n == 1)
        {
            dst[0] = SumParallel(src, offset, rows);
            return;
        }
        if (typeof(T) == typeof(long))
        {
            dst.Clear();
            for (int r = 0; r < rows; r++) TensorPrimitives.Add(dst, src.AsSpan(offset + r * n, n), dst);
            return;
        }
        var sums = new double[n];
        if ((long)rows * n < Strided.ParallelThreshold || Environment.ProcessorCount == 1) ColumnsRange(src, offset, 0, rows, n, sums);
        else
        {
            int chunks = Environment.ProcessorCount * 2, per = (rows + chunks - 1) / chunks;
            var partial = new double[chunks][];
            WorkerPool.For(chunks, c =>
            {
                partial[c] = new double[n];
                int r0 = c * per, r1 = Math.Min(rows, r0 + per);
                if (r0 < r1) ColumnsRange(src, offset, r0, r1, n, partial[c]);
            });
            foreach (var part in partial)
                for (int j = 0; j < n; j++) sums[j] += part[j];
        }
        for (int j = 0; j < n; j++) dst[j] = T.CreateTruncating(sums[j]);
    }

    /// <summary>Whole-vector steps summed in float before the partial sums go into double: each lane adds at most this many values.</summary>
    private const int BlockSteps = 32;

    private static void ColumnsRange<T>(T[] src, int offset, int r0, int r1, int n, double[] sums) where T : unmanaged, INumber<T>
    {
        int w = Vector<T>.Count;
        int start = offset + r0 * n, end = offset + r1 * n;
        if (start == end) return;
        if (n * w <= 512)
        {
            // w rows at a time are n whole vectors; lane l of vector v holds column (v*w + l) % n.
            Span<Vector<T>> acc = stackalloc Vector<T>[n];
            Span<T> lanes = stackalloc T[w];
            int step = n * w, i = start;
            ref T s0 = ref src[0];
            while (i + step <= end)
            {
                acc.Clear();
                for (int b = 0; b < BlockSteps && i + step <= end; b++, i += step)
                    for (int v = 0; v < n; v++) acc[v] += Vector.LoadUnsafe(ref s0, (nuint)(i + v * w));
                for (int v = 0; v < n; v++)
                {
                    acc[v].CopyTo(lanes);
                    for (int l = 0; l < w; l++) sums[(v * w + l) % n] += double.CreateTruncating(lanes[l]);
                }
            }
            for (; i < end; i++) sums[(i - start) % n] += double.CreateTruncating(src[i]);
            return;
        }
        // Wide rows: each row goes straight into the double sums, so even a few rows come out to the last bit.
        for (int r = r0; r < r1; r++)
        {
            var row = src.AsSpan(offset + r * n, n);
            if (typeof(T) == typeof(float)) AddWidened(MemoryMarshal.Cast<T, float>(row), sums);
            else if (typeof(T) == typeof(double)) TensorPrimitives.Add(sums, MemoryMarshal.Cast<T, double>(row), sums);
            else for (int j = 0; j < n; j++) sums[j] += double.CreateTruncating(row[j]);
        }
    }

    /// <summary><c>sums[j] += row[j]</c>, the floats widened to double a vector at a time.</summary>
    private static void AddWidened(ReadOnlySpan<float> row, Span<double> sums)
    {
        ref float s = ref MemoryMarshal.GetReference(row);
        ref double d = ref MemoryMarshal.GetReference(sums);
        int j = 0, w = Vector<float>.Count, half = Vector<double>.Count;
        for (; j + w <= row.Length; j += w)
        {
            Vector.Widen(Vector.LoadUnsafe(ref s, (nuint)j), out var lo, out var hi);
            (Vector.LoadUnsafe(ref d, (nuint)j) + lo).StoreUnsafe(ref d, (nuint)j);
            (Vector.LoadUnsafe(ref d, (nuint)(j + half)) + hi).StoreUnsafe(ref d, (nuint)(j + half));
        }
        for (; j < row.Length; j++) Unsafe.Add(ref d, j) += Unsafe.Add(ref s, j);
    }

    /// <summary>Per row: the maximum (or minimum) and its first index; NaN wins, as in PyTorch.</summary>
    public static void ArgExtremeRows<T>(ReadOnlySpan<T> src, Span<T> values, Span<long> indices, int n, bool max) where T : unmanaged, INumber<T>
    {
        for (int r = 0; r < values.Length; r++)
        {
            var row = src.Slice(r * n, n);
            int best = 0;
            for (int i = 1; i < n; i++)
            {
                T v = row[i], b = row[best];
                if (T.IsNaN(b)) break;
                if (T.IsNaN(v) || (max ? v > b : v < b)) best = i;
            }
            values[r] = row[best];
            indices[r] = best;
        }
    }
}
