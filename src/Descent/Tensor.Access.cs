using System.Runtime.InteropServices;

namespace Descent;

public sealed partial class Tensor
{
    /// <summary>The value of a one-element tensor as <typeparamref name="T"/> (PyTorch's <c>item()</c>), converting from the tensor's dtype.</summary>
    /// <exception cref="InvalidOperationException">The tensor does not have exactly one element.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, double, long, int or bool.</exception>
    public T Item<T>() where T : unmanaged
    {
        if (Count != 1)
            throw new InvalidOperationException($"Item: only a tensor with one element can be converted to a number, but this one has shape {Shapes.Format(Shape)} ({Count} elements)");
        // int64 values beyond 2^53 do not survive a trip through double.
        if (DType == DType.Int64 && typeof(T) == typeof(long)) return (T)(object)Data<long>()[Offset];
        var v = ValueAt(Offset);
        if (typeof(T) == typeof(float)) return (T)(object)(float)v;
        if (typeof(T) == typeof(double)) return (T)(object)v;
        if (typeof(T) == typeof(long)) return (T)(object)(long)v;
        if (typeof(T) == typeof(int)) return (T)(object)(int)v;
        if (typeof(T) == typeof(bool)) return (T)(object)(v != 0);
        throw new NotSupportedException($"Item: {typeof(T).Name} is not supported; use float, double, long, int or bool");
    }

    /// <summary>The value of a one-element tensor as a double.</summary>
    public double Item() => Item<double>();

    /// <summary>The elements in row-major order as a flat array of <typeparamref name="T"/>, which must match the dtype.</summary>
    /// <exception cref="DTypeMismatchException"><typeparamref name="T"/> is not the element type of this tensor's dtype.</exception>
    public T[] ToArray<T>() where T : unmanaged
    {
        if (DTypeExtensions.Of<T>() != DType)
            throw new DTypeMismatchException($"ToArray: the tensor is {DType.Name()}, not {DTypeExtensions.Of<T>().Name()}; convert with To() first");
        return Contiguous().Span<T>().ToArray();
    }

    /// <summary>The elements as a C# array of the tensor's rank and element type (<c>float[,]</c> for a 2-D float32 tensor; a zero-dim tensor gives a 1-element <c>T[]</c>).</summary>
    public Array ToArray()
    {
        var array = Dim <= 1 ? NewArray(Count) : Array.CreateInstanceFromArrayType(ArrayType(), ShapeArray);
        var bytes = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(array), Count * DType.ElementSize());
        Contiguous().ByteSpanSource().CopyTo(bytes);
        return array;
    }

    private Array NewArray(int n) => DType switch
    {
        DType.Float32 => new float[n],
        DType.Float64 => new double[n],
        DType.Int64 => new long[n],
        _ => new bool[n],
    };

    // Named array types keep ToArray() free of run-time code generation, so it works under Native AOT.
    private Type ArrayType() => (DType, Dim) switch
    {
        (DType.Float32, 2) => typeof(float[,]),
        (DType.Float32, 3) => typeof(float[,,]),
        (DType.Float32, 4) => typeof(float[,,,]),
        (DType.Float64, 2) => typeof(double[,]),
        (DType.Float64, 3) => typeof(double[,,]),
        (DType.Float64, 4) => typeof(double[,,,]),
        (DType.Int64, 2) => typeof(long[,]),
        (DType.Int64, 3) => typeof(long[,,]),
        (DType.Int64, 4) => typeof(long[,,,]),
        (DType.Bool, 2) => typeof(bool[,]),
        (DType.Bool, 3) => typeof(bool[,,]),
        (DType.Bool, 4) => typeof(bool[,,,]),
        _ => throw new NotSupportedException($"ToArray: tensors of {Dim} dims are returned flat by ToArray<T>(); ToArray() builds arrays of up to 4 dims"),
    };

    /// <summary>The element at a storage position as a double (for formatting and Item).</summary>
    internal double ValueAt(int storageIndex) => DType switch
    {
        DType.Float32 => Data<float>()[storageIndex],
        DType.Float64 => Data<double>()[storageIndex],
        DType.Int64 => Data<long>()[storageIndex],
        _ => Data<bool>()[storageIndex] ? 1 : 0,
    };
}
