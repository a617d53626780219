using System.Numerics;
using System.Numerics.Tensors;

namespace Descent.Kernels;

/// <summary>
/// Sums, maxima and minima over contiguous rows. Float sums are taken in blocks whose partial sums are added in
/// double, so that ten million float32 values still sum to float32 precision.
/// </summary>
internal static class Reduce
{
    private const int Block = 4096;

    public static T Sum<T>(ReadOnlySpan<T> x) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(long)) return TensorPrimitives.Sum(x);
        if (x.Length <= Block) return TensorPrimitives.Sum(x);
        double acc = 0;
        for (int i = 0; i < x.Length; i += Block)
            acc += double.CreateTruncating(TensorPrimitives.Sum(x.Slice(i, Math.Min(Block, x.Length - i))));
        return T.CreateTruncating(acc);
    }

    /// <summary>Sum of all elements of a large contiguous span, in parallel blocks.</summary>
    public static T SumParallel<T>(T[] data, int offset, int length) where T : unmanaged, INumber<T>
    {
        if (length == 0) return T.Zero; // an empty view's offset may lie past the end of its storage
        if (length < Strided.ParallelThreshold) return Sum<T>(data.AsSpan(offset, length));
        int chunks = Environment.ProcessorCount * 4, per = (length + chunks - 1) / chunks;
        var partial = new double[chunks];
        Parallel.For(0, chunks, c =>
        {
            int s = c * per, n = Math.Min(per, length - s);
            if (n > 0) partial[c] = double.CreateTruncating(Sum<T>(data.AsSpan(offset + s, n)));
        });
        double acc = 0;
        foreach (var p in partial) acc += p;
        return T.CreateTruncating(acc);
    }

    /// <summary><c>dst[r] = sum(src[r*n .. r*n+n])</c>.</summary>
    public static void SumRows<T>(ReadOnlySpan<T> src, Span<T> dst, int n) where T : unmanaged, INumber<T>
    {
        for (int r = 0; r < dst.Length; r++) dst[r] = Sum(src.Slice(r * n, n));
    }

    /// <summary><c>dst[j] = sum over r of src[r*n + j]</c>: the sum over leading rows, row by row with SIMD adds.</summary>
    public static void SumColumns<T>(ReadOnlySpan<T> src, Span<T> dst, int rows) where T : unmanaged, INumber<T>
    {
        int n = dst.Length;
        dst.Clear();
        if (n == 1)
        {
            dst[0] = Sum(src[..rows]);
            return;
        }
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(dst, src.Slice(r * n, n), dst);
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
