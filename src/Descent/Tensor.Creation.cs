using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Descent;

public sealed partial class Tensor
{
    /// <summary>
    /// A tensor holding a copy of a C# array of any rank (PyTorch's <c>torch.tensor(data)</c>): <c>float[]</c>,
    /// <c>float[,]</c>, <c>double[,,]</c>, <c>long[]</c>, <c>int[]</c> (stored as int64), <c>bool[]</c> and so on.
    /// Jagged arrays are not accepted: use a rectangular array.
    /// </summary>
    public static Tensor From(Array data, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        var shape = new int[data.Rank];
        for (int i = 0; i < shape.Length; i++) shape[i] = data.GetLength(i);
        var elem = data.GetType().GetElementType()!;
        if (elem.IsArray)
            throw new ArgumentException($"From: jagged arrays ({elem.Name}[]) are not supported; use a rectangular array such as {elem.GetElementType()!.Name}[,]", nameof(data));
        Tensor t;
        if (elem == typeof(int))
        {
            var src = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, int>(ref MemoryMarshal.GetArrayDataReference(data)), data.Length);
            t = Empty(shape, DType.Int64);
            var dst = t.Span<long>();
            for (int i = 0; i < src.Length; i++) dst[i] = src[i];
        }
        else
        {
            var dtype = elem == typeof(float) ? DType.Float32 : elem == typeof(double) ? DType.Float64
                : elem == typeof(long) ? DType.Int64 : elem == typeof(bool) ? DType.Bool
                : throw new ArgumentException($"From: arrays of {elem.Name} are not supported; use float, double, long, int or bool", nameof(data));
            t = Empty(shape, dtype);
            int bytes = data.Length * dtype.ElementSize();
            MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(data), bytes)
                .CopyTo(MemoryMarshal.AsBytes(t.ByteSpanSource()));
        }
        t.RequiresGrad = requiresGrad;
        return t;
    }

    private Span<byte> ByteSpanSource() => DType switch
    {
        DType.Float32 => MemoryMarshal.AsBytes(Span<float>()),
        DType.Float64 => MemoryMarshal.AsBytes(Span<double>()),
        DType.Int64 => MemoryMarshal.AsBytes(Span<long>()),
        _ => MemoryMarshal.AsBytes(Span<bool>()),
    };

    /// <summary>A tensor of the given shape holding a copy of <paramref name="data"/> in row-major order (the lesson's <c>torch.from_numpy</c>).</summary>
    public static Tensor FromSpan<T>(ReadOnlySpan<T> data, params int[] shape) where T : unmanaged
    {
        var dtype = DTypeExtensions.Of<T>();
        var checkedShape = NewShape(shape, "FromSpan");
        int n = Shapes.Numel(checkedShape);
        if (n != data.Length)
            throw new ShapeMismatchException($"FromSpan: {data.Length} values cannot fill shape {Shapes.Format(shape)} ({n} elements)");
        var t = Empty(checkedShape, dtype);
        data.CopyTo(t.Span<T>());
        return t;
    }

    /// <summary>A zero-dim tensor holding one number.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32)
    {
        var t = Empty([], dtype);
        t.SetFlat(0, value);
        return t;
    }

    /// <summary>A tensor filled with zeros.</summary>
    public static Tensor Zeros(params int[] shape) => Zeros(shape, DType.Float32);

    /// <summary>A tensor filled with zeros.</summary>
    public static Tensor Zeros(int[] shape, DType dtype = DType.Float32, bool requiresGrad = false) =>
        Empty(NewShape(shape, "Zeros"), dtype, zeroed: true).WithRequiresGrad(requiresGrad);

    /// <summary>A tensor filled with ones.</summary>
    public static Tensor Ones(params int[] shape) => Full(shape, 1.0);

    /// <summary>A tensor filled with ones.</summary>
    public static Tensor Ones(int[] shape, DType dtype = DType.Float32, bool requiresGrad = false) => Full(shape, 1.0, dtype, requiresGrad);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, bool requiresGrad = false)
    {
        var t = Empty(NewShape(shape, "Full"), dtype);
        t.FillRaw(value);
        return t.WithRequiresGrad(requiresGrad);
    }

    /// <summary>Zeros with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like, DType? dtype = null) => Zeros(like.ShapeArray, dtype ?? like.DType);

    /// <summary>Ones with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like, DType? dtype = null) => Full(like.ShapeArray, 1.0, dtype ?? like.DType);

    /// <summary><paramref name="value"/> with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor FullLike(Tensor like, double value, DType? dtype = null) => Full(like.ShapeArray, value, dtype ?? like.DType);

    /// <summary>Uniform samples in [0, 1) with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor RandLike(Tensor like, Generator? generator = null) => Rand(like.ShapeArray, like.DType, generator: generator);

    /// <summary>Standard normal samples with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor RandNLike(Tensor like, Generator? generator = null) => RandN(like.ShapeArray, like.DType, generator: generator);

    /// <summary>Values from <paramref name="start"/> up to but not including <paramref name="end"/>, <paramref name="step"/> apart. Int64 when all three are whole and no dtype is given, as PyTorch.</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType? dtype = null)
    {
        if (step == 0) throw new ArgumentException("Arange: step must be nonzero");
        if ((end - start) / step < 0) throw new ArgumentException($"Arange: start {start}, end {end} and step {step} are inconsistent");
        int n = (int)Math.Ceiling((end - start) / step);
        var dt = dtype ?? (start % 1 == 0 && end % 1 == 0 && step % 1 == 0 ? DType.Int64 : DType.Float32);
        var t = Empty([n], dt);
        for (int i = 0; i < n; i++) t.SetFlat(i, start + i * step);
        return t;
    }

    /// <summary>Whole numbers 0, 1, ..., end-1 as int64.</summary>
    public static Tensor Arange(long end) => Arange(0, end);

    /// <summary><paramref name="steps"/> values evenly spaced from <paramref name="start"/> to <paramref name="end"/> inclusive.</summary>
    public static Tensor Linspace(double start, double end, int steps, DType dtype = DType.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        var t = Empty([steps], dtype);
        if (steps == 1)
        {
            t.SetFlat(0, start);
            return t;
        }
        double step = (end - start) / (steps - 1);
        // PyTorch fills the second half from the end, so the last value is exactly `end`.
        int half = steps / 2;
        for (int i = 0; i < steps; i++) t.SetFlat(i, i < half ? start + step * i : end - step * (steps - 1 - i));
        return t;
    }

    /// <summary>The identity matrix (n x m, m defaults to n).</summary>
    public static Tensor Eye(int n, int? m = null, DType dtype = DType.Float32)
    {
        int cols = m ?? n;
        var t = Zeros([n, cols], dtype);
        for (int i = 0; i < Math.Min(n, cols); i++) t.SetFlat(i * cols + i, 1);
        return t;
    }

    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor Rand(params int[] shape) => Rand(shape, DType.Float32);

    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor Rand(int[] shape, DType dtype = DType.Float32, bool requiresGrad = false, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var t = Empty(NewShape(shape, "Rand"), RequireFloat(dtype, "Rand"));
        if (dtype == DType.Float32) foreach (ref var v in t.Span<float>()) v = g.NextSingle();
        else foreach (ref var v in t.Span<double>()) v = g.NextDouble();
        return t.WithRequiresGrad(requiresGrad);
    }

    /// <summary>Standard normal samples (PyTorch's <c>randn</c>): the lesson's random weights.</summary>
    public static Tensor RandN(params int[] shape) => RandN(shape, DType.Float32);

    /// <summary>Standard normal samples (PyTorch's <c>randn</c>): the lesson's random weights.</summary>
    public static Tensor RandN(int[] shape, DType dtype = DType.Float32, bool requiresGrad = false, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var t = Empty(NewShape(shape, "RandN"), RequireFloat(dtype, "RandN"));
        if (dtype == DType.Float32) foreach (ref var v in t.Span<float>()) v = (float)g.NextNormal();
        else foreach (ref var v in t.Span<double>()) v = g.NextNormal();
        return t.WithRequiresGrad(requiresGrad);
    }

    /// <summary>Uniform whole numbers in [low, high), int64 (PyTorch's <c>randint</c>).</summary>
    public static Tensor RandInt(long low, long high, int[] shape, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        if (high <= low) throw new ArgumentOutOfRangeException(nameof(high), $"RandInt: high ({high}) must be greater than low ({low})");
        var t = Empty(NewShape(shape, "RandInt"), DType.Int64);
        foreach (ref var v in t.Span<long>()) v = g.NextInt64(low, high);
        return t;
    }

    /// <summary>A random permutation of 0..n-1 as int64 (PyTorch's <c>randperm</c>).</summary>
    public static Tensor RandPerm(int n, Generator? generator = null) => From((generator ?? Generator.Default).Permutation(n));

    /// <summary>Reseeds the default generator (PyTorch's <c>torch.manual_seed</c>).</summary>
    public static void ManualSeed(long seed) => Generator.Default.ManualSeed(seed);

    /// <summary>A copy of a shape given to a creation method, checked for negative sizes.</summary>
    private static int[] NewShape(int[] shape, string op)
    {
        ArgumentNullException.ThrowIfNull(shape);
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"{op}: sizes cannot be negative, got shape {Shapes.Format(shape)}", nameof(shape));
        return (int[])shape.Clone();
    }

    private static DType RequireFloat(DType dtype, string op) => dtype.IsFloatingPoint() ? dtype
        : throw new DTypeMismatchException($"{op}: needs a floating-point dtype, got {dtype.Name()}");

    /// <summary>Writes <paramref name="value"/> at flat index <paramref name="i"/> of a contiguous tensor.</summary>
    internal void SetFlat(int i, double value)
    {
        switch (DType)
        {
            case DType.Float32: Span<float>()[i] = (float)value; break;
            case DType.Float64: Span<double>()[i] = value; break;
            case DType.Int64: Span<long>()[i] = (long)value; break;
            default: Span<bool>()[i] = value != 0; break;
        }
    }

    private void FillRaw(double value)
    {
        switch (DType)
        {
            case DType.Float32: Span<float>().Fill((float)value); break;
            case DType.Float64: Span<double>().Fill(value); break;
            case DType.Int64: Span<long>().Fill((long)value); break;
            default: Span<bool>().Fill(value != 0); break;
        }
    }
}
