using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Descent.Kernels;

/// <summary>An elementwise unary operation over a contiguous span.</summary>
internal interface IUnaryOp
{
    static abstract void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T>;
}

internal struct NegOp : IUnaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Negate(x, d);
}

internal struct AbsOp : IUnaryOp
{
    // TensorPrimitives.Abs throws on long.MinValue; integers wrap there instead, as PyTorch's abs and Neg do.
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(long))
        {
            var xs = MemoryMarshal.Cast<T, long>(x);
            var ds = MemoryMarshal.Cast<T, long>(d);
            for (int i = 0; i < ds.Length; i++) ds[i] = xs[i] < 0 ? unchecked(-xs[i]) : xs[i];
        }
        else TensorPrimitives.Abs(x, d);
    }
}

internal struct SignOp : IUnaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < d.Length; i++) d[i] = T.IsNaN(x[i]) ? x[i] : T.CreateTruncating(T.Sign(x[i]));
    }
}

internal struct ReluOp : IUnaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Max(x, T.Zero, d);
}

/// <summary>Float-only functions: the JIT keeps the one branch that matches T.</summary>
internal struct ExpOp : IUnaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) TensorPrimitives.Exp(F(x), F(d));
        else TensorPrimitives.Exp(D(x), D(d));
    }

    internal static ReadOnlySpan<float> F<T>(ReadOnlySpan<T> x) where T : struct => MemoryMarshal.Cast<T, float>(x);
    internal static Span<float> F<T>(Span<T> x) where T : struct => MemoryMarshal.Cast<T, float>(x);
    internal static ReadOnlySpan<double> D<T>(ReadOnlySpan<T> x) where T : struct => MemoryMarshal.Cast<T, double>(x);
    internal static Span<double> D<T>(Span<T> x) where T : struct => MemoryMarshal.Cast<T, double>(x);
}

internal struct LogOp : IUnaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) TensorPrimitives.Log(ExpOp.F(x), ExpOp.F(d));
        else TensorPrimitives.Log(ExpOp.D(x), ExpOp.D(d));
    }
}

internal struct SqrtOp : IUnaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) TensorPrimitives.Sqrt(ExpOp.F(x), ExpOp.F(d));
        else TensorPrimitives.Sqrt(ExpOp.D(x), ExpOp.D(d));
    }
}

/// <summary>
/// TensorPrimitives.Tanh goes through exp(2x) and loses relative precision as x nears 0 (tanh(1e-7f) comes out
/// 40% low, tanh(1e-4f) 3e-4 low); below |x| = 0.5 the elements are redone with the scalar function, exact to an ulp.
/// </summary>
internal struct TanhOp : IUnaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            ReadOnlySpan<float> xs = ExpOp.F(x);
            Span<float> ds = ExpOp.F(d);
            if (xs.Overlaps(ds))
            {
                for (int i = 0; i < ds.Length; i++) ds[i] = MathF.Tanh(xs[i]);
                return;
            }
            TensorPrimitives.Tanh(xs, ds);
            for (int i = 0; i < ds.Length; i++)
                if (MathF.Abs(xs[i]) < 0.5f) ds[i] = MathF.Tanh(xs[i]);
        }
        else
        {
            ReadOnlySpan<double> xs = ExpOp.D(x);
            Span<double> ds = ExpOp.D(d);
            if (xs.Overlaps(ds))
            {
                for (int i = 0; i < ds.Length; i++) ds[i] = Math.Tanh(xs[i]);
                return;
            }
            TensorPrimitives.Tanh(xs, ds);
            for (int i = 0; i < ds.Length; i++)
                if (Math.Abs(xs[i]) < 0.5) ds[i] = Math.Tanh(xs[i]);
        }
    }
}

internal struct SigmoidOp : IUnaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) TensorPrimitives.Sigmoid(ExpOp.F(x), ExpOp.F(d));
        else TensorPrimitives.Sigmoid(ExpOp.D(x), ExpOp.D(d));
    }
}

/// <summary>Runs a unary op from a contiguous source into a contiguous destination, in chunks on large inputs.</summary>
internal static class Unary
{
    public static void Run<TOp>(Tensor x, Tensor d) where TOp : struct, IUnaryOp
    {
        switch (d.DType)
        {
            case DType.Float32: Run<float, TOp>(x, d); break;
            case DType.Float64: Run<double, TOp>(x, d); break;
            case DType.Int64: Run<long, TOp>(x, d); break;
            default: throw new DTypeMismatchException($"{typeof(TOp).Name[..^2]}: not defined for {d.DType.Name()} tensors");
        }
    }

    private static void Run<T, TOp>(Tensor x, Tensor d) where T : unmanaged, INumber<T> where TOp : struct, IUnaryOp
    {
        if (d.Count == 0) return; // some TensorPrimitives functions (Sigmoid) reject empty spans
        if (d.Count < Strided.ParallelThreshold)
        {
            TOp.Apply<T>(x.Span<T>(), d.Span<T>());
            return;
        }
        var xs = x.Data<T>();
        var ds = d.Data<T>();
        int xo = x.Offset, dOff = d.Offset, n = d.Count;
        int chunks = Environment.ProcessorCount * 4, per = (n + chunks - 1) / chunks;
        WorkerPool.For(chunks, c =>
        {
            int s = c * per, len = Math.Min(per, n - s);
            if (len > 0) TOp.Apply<T>(xs.AsSpan(xo + s, len), ds.AsSpan(dOff + s, len));
        });
    }
}
