namespace Descent.Kernels;

/// <summary>Strided copies and dtype conversions.</summary>
internal static class Copy
{
    /// <summary>Copies <paramref name="src"/> into <paramref name="dst"/> (same shape, any strides, same dtype).</summary>
    public static void Run(Tensor src, Tensor dst)
    {
        switch (dst.DType)
        {
            case DType.Float32: Run<float>(src, dst); break;
            case DType.Float64: Run<double>(src, dst); break;
            case DType.Int64: Run<long>(src, dst); break;
            case DType.Bool: Run<bool>(src, dst); break;
        }
    }

    private static void Run<T>(Tensor src, Tensor dst)
    {
        if (src.IsContiguous && dst.IsContiguous)
        {
            src.Span<T>().CopyTo(dst.Span<T>());
            return;
        }
        Strided.Run(new Rows<T>(src.Data<T>(), dst.Data<T>()), dst.Shape, src.Strides, src.Offset, src.Strides, src.Offset, dst.Strides, dst.Offset);
    }

    private readonly struct Rows<T>(T[] a, T[] d) : IRowKernel
    {
        public void Row(int oa, int ob, int od, int n, int sa, int sb, int sd)
        {
            if (sa == 1 && sd == 1) { a.AsSpan(oa, n).CopyTo(d.AsSpan(od, n)); return; }
            if (sa == 0 && sd == 1) { d.AsSpan(od, n).Fill(a[oa]); return; }
            for (int i = 0; i < n; i++) d[od + i * sd] = a[oa + i * sa];
        }
    }

    /// <summary>Converts a contiguous tensor's elements to another dtype (PyTorch's rules: truncation toward zero, nonzero is true).</summary>
    public static void Convert(Tensor src, Tensor dst)
    {
        int n = src.Count;
        switch (src.DType, dst.DType)
        {
            case (DType.Float32, DType.Float64): System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<float, double>(src.Span<float>(), dst.Span<double>()); return;
            case (DType.Float64, DType.Float32): System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<double, float>(src.Span<double>(), dst.Span<float>()); return;
            case (DType.Int64, DType.Float32):
                // Rounded once: through double, 2^60 + 2^36 + 1 came out one float below the nearest.
                var from = src.Span<long>();
                var to = dst.Span<float>();
                for (int i = 0; i < n; i++) to[i] = from[i];
                return;
        }
        for (int i = 0; i < n; i++) Set(dst, i, Get(src, i));
    }

    private static double Get(Tensor t, int i) => t.DType switch
    {
        DType.Float32 => t.Span<float>()[i],
        DType.Float64 => t.Span<double>()[i],
        DType.Int64 => t.Span<long>()[i],
        _ => t.Span<bool>()[i] ? 1 : 0,
    };

    private static void Set(Tensor t, int i, double v)
    {
        switch (t.DType)
        {
            case DType.Float32: t.Span<float>()[i] = (float)v; break;
            case DType.Float64: t.Span<double>()[i] = v; break;
            case DType.Int64: t.Span<long>()[i] = double.IsNaN(v) ? long.MinValue : (long)Math.Truncate(v); break;
            default: t.Span<bool>()[i] = v != 0; break;
        }
    }
}
