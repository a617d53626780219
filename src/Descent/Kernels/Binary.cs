using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Descent.Kernels;

/// <summary>An elementwise binary operation, with span forms that map to SIMD <see cref="TensorPrimitives"/>.</summary>
internal interface IBinaryOp
{
    static abstract T Apply<T>(T a, T b) where T : unmanaged, INumber<T>;
    static abstract void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) where T : unmanaged, INumber<T>;
    static abstract void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> d) where T : unmanaged, INumber<T>;
    static abstract void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> d) where T : unmanaged, INumber<T>;
}

internal struct AddOp : IBinaryOp
{
    public static T Apply<T>(T a, T b) where T : unmanaged, INumber<T> => a + b;
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Add(a, b, d);
    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Add(a, b, d);
    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Add(b, a, d);
}

internal struct SubOp : IBinaryOp
{
    public static T Apply<T>(T a, T b) where T : unmanaged, INumber<T> => a - b;
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Subtract(a, b, d);
    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Subtract(a, b, d);
    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Subtract(a, b, d);
}

internal struct MulOp : IBinaryOp
{
    public static T Apply<T>(T a, T b) where T : unmanaged, INumber<T> => a * b;
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(a, b, d);
    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(a, b, d);
    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(b, a, d);
}

internal struct DivOp : IBinaryOp
{
    public static T Apply<T>(T a, T b) where T : unmanaged, INumber<T> => a / b;
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Divide(a, b, d);
    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Divide(a, b, d);
    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Divide(a, b, d);
}

/// <summary>Elementwise maximum that propagates NaN, as <c>torch.maximum</c>.</summary>
internal struct MaximumOp : IBinaryOp
{
    public static T Apply<T>(T a, T b) where T : unmanaged, INumber<T> => T.IsNaN(a) || T.IsNaN(b) ? (T.IsNaN(a) ? a : b) : T.Max(a, b);
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Max(a, b, d);
    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Max(a, b, d);
    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Max(b, a, d);
}

/// <summary>Elementwise minimum that propagates NaN, as <c>torch.minimum</c>.</summary>
internal struct MinimumOp : IBinaryOp
{
    public static T Apply<T>(T a, T b) where T : unmanaged, INumber<T> => T.IsNaN(a) || T.IsNaN(b) ? (T.IsNaN(a) ? a : b) : T.Min(a, b);
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Min(a, b, d);
    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Min(a, b, d);
    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Min(b, a, d);
}

/// <summary>
/// Elementwise power. Integers keep PyTorch's integer rules: products wrap on overflow, and a negative exponent
/// gives what integer division would (1 for a base of 1, ±1 for -1, else 0).
/// </summary>
internal struct PowOp : IBinaryOp
{
    public static T Apply<T>(T a, T b) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) return (T)(object)MathF.Pow((float)(object)a, (float)(object)b);
        if (typeof(T) == typeof(double)) return (T)(object)Math.Pow((double)(object)a, (double)(object)b);
        if (typeof(T) == typeof(long)) return (T)(object)Integer((long)(object)a, (long)(object)b);
        throw new NotSupportedException($"Pow: not defined for {typeof(T).Name}");
    }

    /// <summary><c>a^b</c> by repeated squaring, wrapping as int64 arithmetic does.</summary>
    private static long Integer(long a, long b)
    {
        if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) == 0 ? 1 : -1) : 0;
        long result = 1;
        unchecked
        {
            for (; b > 0; b >>= 1)
            {
                if ((b & 1) != 0) result *= a;
                a *= a;
            }
        }
        return result;
    }

    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) TensorPrimitives.Pow(MemoryMarshal.Cast<T, float>(a), MemoryMarshal.Cast<T, float>(b), MemoryMarshal.Cast<T, float>(d));
        else if (typeof(T) == typeof(double)) TensorPrimitives.Pow(MemoryMarshal.Cast<T, double>(a), MemoryMarshal.Cast<T, double>(b), MemoryMarshal.Cast<T, double>(d));
        else for (int i = 0; i < d.Length; i++) d[i] = Apply(a[i], b[i]);
    }

    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> d) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) TensorPrimitives.Pow(MemoryMarshal.Cast<T, float>(a), (float)(object)b, MemoryMarshal.Cast<T, float>(d));
        else if (typeof(T) == typeof(double)) TensorPrimitives.Pow(MemoryMarshal.Cast<T, double>(a), (double)(object)b, MemoryMarshal.Cast<T, double>(d));
        else for (int i = 0; i < d.Length; i++) d[i] = Apply(a[i], b);
    }

    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> d) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < d.Length; i++) d[i] = Apply(a, b[i]);
    }
}

/// <summary>
/// The gradient of ReLU from its output (PyTorch's <c>threshold_backward(g, y, 0)</c>): 0 where <c>b &lt;= 0</c>,
/// else <c>a</c> (so a NaN output passes the gradient, as in PyTorch), in one pass over both operands.
/// </summary>
internal struct ReluGradOp : IBinaryOp
{
    public static T Apply<T>(T a, T b) where T : unmanaged, INumber<T> => b <= T.Zero ? T.Zero : a;

    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && d.Length >= Vector<T>.Count)
        {
            ref T pa = ref MemoryMarshal.GetReference(a);
            ref T pb = ref MemoryMarshal.GetReference(b);
            ref T pd = ref MemoryMarshal.GetReference(d);
            for (; i <= d.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var drop = Vector.LessThanOrEqual(Vector.LoadUnsafe(ref pb, (nuint)i), Vector<T>.Zero);
                Vector.ConditionalSelect(drop, Vector<T>.Zero, Vector.LoadUnsafe(ref pa, (nuint)i)).StoreUnsafe(ref pd, (nuint)i);
            }
        }
        for (; i < d.Length; i++) d[i] = Apply(a[i], b[i]);
    }

    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> d) where T : unmanaged, INumber<T>
    {
        if (b <= T.Zero) d.Clear();
        else a.CopyTo(d);
    }

    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> d) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < d.Length; i++) d[i] = Apply(a, b[i]);
    }
}

/// <summary>Runs a binary op over three strided operands of one shape.</summary>
internal static class Binary
{
    public static void Run<TOp>(Tensor a, Tensor b, Tensor d) where TOp : struct, IBinaryOp
    {
        switch (d.DType)
        {
            case DType.Float32: Run<float, TOp>(a, b, d); break;
            case DType.Float64: Run<double, TOp>(a, b, d); break;
            case DType.Int64: Run<long, TOp>(a, b, d); break;
            default: throw new DTypeMismatchException($"{typeof(TOp).Name[..^2]}: not defined for {d.DType.Name()} tensors");
        }
    }

    private static void Run<T, TOp>(Tensor a, Tensor b, Tensor d) where T : unmanaged, INumber<T> where TOp : struct, IBinaryOp
    {
        // A zero-dim operand broadcasts against any shape: a stride-0 view of it.
        if (a.Dim == 0 && d.Dim > 0) a = new Tensor(a.Storage, d.ShapeArray, new int[d.Dim], a.Offset);
        if (b.Dim == 0 && d.Dim > 0) b = new Tensor(b.Storage, d.ShapeArray, new int[d.Dim], b.Offset);
        if (a.IsContiguous && b.IsContiguous && d.IsContiguous && d.Count < Strided.ParallelThreshold)
        {
            TOp.Apply<T>(a.Span<T>(), b.Span<T>(), d.Span<T>());
            return;
        }
        if (d.Count > 0 && d.Count < Strided.ParallelThreshold && d.IsContiguous)
        {
            // A number broadcast against a contiguous tensor (x * lr, g / n): one SIMD call, no walk.
            if (a.IsContiguous && IsOneValue(b)) { TOp.Apply(a.Span<T>(), b.Data<T>()[b.Offset], d.Span<T>()); return; }
            if (b.IsContiguous && IsOneValue(a)) { TOp.Apply(a.Data<T>()[a.Offset], b.Span<T>(), d.Span<T>()); return; }
        }
        if (d.IsContiguous && d.Count < MinTiled)
        {
            // A short row broadcast over a few rows (the lesson's 5 x 2 + b): one plain loop, no walk.
            if (a.IsContiguous && Period(b) is > 0 and var qb) { Repeated<T, TOp>(a, b, d, qb, repeatIsB: true); return; }
            if (b.IsContiguous && Period(a) is > 0 and var qa) { Repeated<T, TOp>(b, a, d, qa, repeatIsB: false); return; }
        }
        else if (d.IsContiguous)
        {
            // A short row broadcast over many rows (x @ w.T + b): repeat it into a tile and run whole spans.
            if (a.IsContiguous && Period(b) is > 0 and <= MaxPeriod and var pb) { Tiled<T, TOp>(a, b, d, pb, repeatIsB: true); return; }
            if (b.IsContiguous && Period(a) is > 0 and <= MaxPeriod and var pa) { Tiled<T, TOp>(b, a, d, pa, repeatIsB: false); return; }
        }
        Strided.Run(new Rows<T, TOp>(a.Data<T>(), b.Data<T>(), d.Data<T>()), d.Shape,
            a.Strides, a.Offset, b.Strides, b.Offset, d.Strides, d.Offset);
    }

    private const int MinTiled = 256;

    private static bool IsOneValue(Tensor t)
    {
        foreach (int s in t.StridesArray) if (s != 0) return false;
        return true;
    }
    private const int MaxPeriod = 64;
    private const int TileLength = 4096;

    /// <summary>
    /// The length L when <paramref name="t"/> is a contiguous block of L elements repeated by an expand (stride 0 on
    /// every leading dim), else 0.
    /// </summary>
    private static int Period(Tensor t)
    {
        var shape = t.ShapeArray;
        var strides = t.StridesArray;
        int i = shape.Length - 1, period = 1;
        for (; i >= 0 && (shape[i] == 1 || strides[i] == period); i--) period *= shape[i];
        if (period == t.Count) return 0;
        for (; i >= 0; i--) if (shape[i] != 1 && strides[i] != 0) return 0;
        return period;
    }

    private static void Repeated<T, TOp>(Tensor full, Tensor repeat, Tensor d, int period, bool repeatIsB) where T : unmanaged, INumber<T> where TOp : struct, IBinaryOp
    {
        var f = full.Data<T>().AsSpan(full.Offset, d.Count);
        // Copied first, as Tiled does, so an output that shares the repeated values' storage cannot change them midway.
        Span<T> r = stackalloc T[period];
        repeat.Data<T>().AsSpan(repeat.Offset, period).CopyTo(r);
        var o = d.Data<T>().AsSpan(d.Offset, d.Count);
        for (int i = 0, j = 0; i < o.Length; i++)
        {
            o[i] = repeatIsB ? TOp.Apply(f[i], r[j]) : TOp.Apply(r[j], f[i]);
            if (++j == period) j = 0;
        }
    }

    private static void Tiled<T, TOp>(Tensor full, Tensor repeat, Tensor d, int period, bool repeatIsB) where T : unmanaged, INumber<T> where TOp : struct, IBinaryOp
    {
        int n = d.Count;
        // A whole number of periods, no longer than the output needs.
        int tileLen = Math.Min(Math.Max(1, TileLength / period), (n + period - 1) / period) * period;
        var tile = GC.AllocateUninitializedArray<T>(tileLen);
        repeat.Data<T>().AsSpan(repeat.Offset, period).CopyTo(tile);
        // Doubling copies: a handful of calls for a one-element bias, not one per repeat.
        for (int filled = period; filled < tileLen; filled *= 2)
            tile.AsSpan(0, Math.Min(filled, tileLen - filled)).CopyTo(tile.AsSpan(filled));
        var f = full.Data<T>();
        var o = d.Data<T>();
        int fo = full.Offset, od = d.Offset, tiles = (n + tileLen - 1) / tileLen;
        if (n < Strided.ParallelThreshold || Environment.ProcessorCount == 1) Range(0, tiles);
        else
        {
            int chunks = Environment.ProcessorCount * 4, per = (tiles + chunks - 1) / chunks;
            WorkerPool.For(chunks, c => Range(c * per, Math.Min(tiles, (c + 1) * per)));
        }

        void Range(int t0, int t1)
        {
            for (int t = t0; t < t1; t++)
            {
                int s = t * tileLen, len = Math.Min(tileLen, n - s);
                if (repeatIsB) TOp.Apply<T>(f.AsSpan(fo + s, len), tile.AsSpan(0, len), o.AsSpan(od + s, len));
                else TOp.Apply<T>(tile.AsSpan(0, len), f.AsSpan(fo + s, len), o.AsSpan(od + s, len));
            }
        }
    }

    private readonly struct Rows<T, TOp>(T[] a, T[] b, T[] d) : IRowKernel where T : unmanaged, INumber<T> where TOp : struct, IBinaryOp
    {
        public void Row(int oa, int ob, int od, int n, int sa, int sb, int sd)
        {
            if (sd == 1)
            {
                var dst = d.AsSpan(od, n);
                if (sa == 1 && sb == 1) { TOp.Apply<T>(a.AsSpan(oa, n), b.AsSpan(ob, n), dst); return; }
                if (sa == 1 && sb == 0) { TOp.Apply(a.AsSpan(oa, n), b[ob], dst); return; }
                if (sa == 0 && sb == 1) { TOp.Apply(a[oa], b.AsSpan(ob, n), dst); return; }
            }
            for (int i = 0; i < n; i++) d[od + i * sd] = TOp.Apply(a[oa + i * sa], b[ob + i * sb]);
        }
    }
}
