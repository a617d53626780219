using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Descent.Kernels;

/// <summary>
/// The register-blocked heart of <see cref="GemmPacked{TK}"/>: an <c>MR x NR</c> tile of C computed from an
/// <c>MR x kc</c> micro-panel of packed A (<c>[p * MR + r]</c>) and a <c>kc x NR</c> micro-panel of packed B
/// (<c>[p * NR + j]</c>), kept in vector registers for the whole k loop. The block sizes keep an A micro-panel in
/// L1 while B micro-panels stream from L2 past it (see docs/notes/gemm.md).
/// </summary>
internal interface IMicroKernel
{
    /// <summary>Rows of the C tile (A values broadcast per k step).</summary>
    static abstract int MR { get; }

    /// <summary>Columns of the C tile (whole vectors of B per k step).</summary>
    static abstract int NR { get; }

    /// <summary>Most rows of C in one block a thread claims (a multiple of MR).</summary>
    static abstract int MC { get; }

    /// <summary>Most depth of one slice of the inner dim (slices are made even, so they may be shallower).</summary>
    static abstract int KC { get; }

    /// <summary>Columns of B packed per panel (a multiple of NR).</summary>
    static abstract int NC { get; }

    /// <summary>Whether this machine runs the kernel in hardware.</summary>
    static abstract bool IsSupported { get; }

    /// <summary>Writes (or, with <paramref name="add"/>, adds) the tile <c>A_panel @ B_panel</c> at <paramref name="c"/> with row step <paramref name="ldc"/>.</summary>
    static abstract void Run(int kc, ref float a, ref float b, ref float c, nint ldc, bool add);
}

/// <summary>12 x 32 tile in 24 <see cref="Vector512{T}"/> accumulators, for AVX-512 machines.</summary>
internal struct Kernel512 : IMicroKernel
{
    public static int MR => 12;
    public static int NR => 32;
    public static int MC => 480;
    public static int KC => 384;
    public static int NC => 3072;
    public static bool IsSupported => Vector512.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, ref float a, ref float b, ref float c, nint ldc, bool add)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default,
            c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default,
            c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        ref float pa = ref a;
        ref float pb = ref b;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.LoadUnsafe(ref pb);
            var b1 = Vector512.LoadUnsafe(ref pb, 16);
            var x = Vector512.Create(pa);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(Unsafe.Add(ref pa, 1));
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(Unsafe.Add(ref pa, 2));
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(Unsafe.Add(ref pa, 3));
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(Unsafe.Add(ref pa, 4));
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(Unsafe.Add(ref pa, 5));
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(Unsafe.Add(ref pa, 6));
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(Unsafe.Add(ref pa, 7));
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            x = Vector512.Create(Unsafe.Add(ref pa, 8));
            c80 = Vector512.FusedMultiplyAdd(x, b0, c80); c81 = Vector512.FusedMultiplyAdd(x, b1, c81);
            x = Vector512.Create(Unsafe.Add(ref pa, 9));
            c90 = Vector512.FusedMultiplyAdd(x, b0, c90); c91 = Vector512.FusedMultiplyAdd(x, b1, c91);
            x = Vector512.Create(Unsafe.Add(ref pa, 10));
            ca0 = Vector512.FusedMultiplyAdd(x, b0, ca0); ca1 = Vector512.FusedMultiplyAdd(x, b1, ca1);
            x = Vector512.Create(Unsafe.Add(ref pa, 11));
            cb0 = Vector512.FusedMultiplyAdd(x, b0, cb0); cb1 = Vector512.FusedMultiplyAdd(x, b1, cb1);
            pa = ref Unsafe.Add(ref pa, 12);
            pb = ref Unsafe.Add(ref pb, 32);
        }
        Store(ref c, 0, c00, c01, add); Store(ref c, ldc, c10, c11, add); Store(ref c, 2 * ldc, c20, c21, add);
        Store(ref c, 3 * ldc, c30, c31, add); Store(ref c, 4 * ldc, c40, c41, add); Store(ref c, 5 * ldc, c50, c51, add);
        Store(ref c, 6 * ldc, c60, c61, add); Store(ref c, 7 * ldc, c70, c71, add); Store(ref c, 8 * ldc, c80, c81, add);
        Store(ref c, 9 * ldc, c90, c91, add); Store(ref c, 10 * ldc, ca0, ca1, add); Store(ref c, 11 * ldc, cb0, cb1, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref float c, nint offset, Vector512<float> x, Vector512<float> y, bool add)
    {
        ref float row = ref Unsafe.Add(ref c, offset);
        if (add)
        {
            x += Vector512.LoadUnsafe(ref row);
            y += Vector512.LoadUnsafe(ref row, 16);
        }
        x.StoreUnsafe(ref row);
        y.StoreUnsafe(ref row, 16);
    }
}

/// <summary>6 x 16 tile in 12 <see cref="Vector256{T}"/> accumulators, for AVX2/FMA machines without AVX-512.</summary>
internal struct Kernel256 : IMicroKernel
{
    public static int MR => 6;
    public static int NR => 16;
    public static int MC => 168;
    public static int KC => 256;
    public static int NC => 4080;
    public static bool IsSupported => Vector256.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, ref float a, ref float b, ref float c, nint ldc, bool add)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        ref float pa = ref a;
        ref float pb = ref b;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.LoadUnsafe(ref pb);
            var b1 = Vector256.LoadUnsafe(ref pb, 8);
            var x = Vector256.Create(pa);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(Unsafe.Add(ref pa, 1));
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(Unsafe.Add(ref pa, 2));
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(Unsafe.Add(ref pa, 3));
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(Unsafe.Add(ref pa, 4));
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(Unsafe.Add(ref pa, 5));
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            pa = ref Unsafe.Add(ref pa, 6);
            pb = ref Unsafe.Add(ref pb, 16);
        }
        Store(ref c, 0, c00, c01, add); Store(ref c, ldc, c10, c11, add); Store(ref c, 2 * ldc, c20, c21, add);
        Store(ref c, 3 * ldc, c30, c31, add); Store(ref c, 4 * ldc, c40, c41, add); Store(ref c, 5 * ldc, c50, c51, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref float c, nint offset, Vector256<float> x, Vector256<float> y, bool add)
    {
        ref float row = ref Unsafe.Add(ref c, offset);
        if (add)
        {
            x += Vector256.LoadUnsafe(ref row);
            y += Vector256.LoadUnsafe(ref row, 8);
        }
        x.StoreUnsafe(ref row);
        y.StoreUnsafe(ref row, 8);
    }
}

/// <summary>8 x 8 tile in 16 <see cref="Vector128{T}"/> accumulators: the portable kernel (Arm64 NEON, older x64).</summary>
internal struct Kernel128 : IMicroKernel
{
    public static int MR => 8;
    public static int NR => 8;
    public static int MC => 128;
    public static int KC => 256;
    public static int NC => 2048;
    public static bool IsSupported => Vector128.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, ref float a, ref float b, ref float c, nint ldc, bool add)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default,
            c60 = default, c61 = default, c70 = default, c71 = default;
        ref float pa = ref a;
        ref float pb = ref b;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.LoadUnsafe(ref pb);
            var b1 = Vector128.LoadUnsafe(ref pb, 4);
            var x = Vector128.Create(pa);
            c00 = Vector128.FusedMultiplyAdd(x, b0, c00); c01 = Vector128.FusedMultiplyAdd(x, b1, c01);
            x = Vector128.Create(Unsafe.Add(ref pa, 1));
            c10 = Vector128.FusedMultiplyAdd(x, b0, c10); c11 = Vector128.FusedMultiplyAdd(x, b1, c11);
            x = Vector128.Create(Unsafe.Add(ref pa, 2));
            c20 = Vector128.FusedMultiplyAdd(x, b0, c20); c21 = Vector128.FusedMultiplyAdd(x, b1, c21);
            x = Vector128.Create(Unsafe.Add(ref pa, 3));
            c30 = Vector128.FusedMultiplyAdd(x, b0, c30); c31 = Vector128.FusedMultiplyAdd(x, b1, c31);
            x = Vector128.Create(Unsafe.Add(ref pa, 4));
            c40 = Vector128.FusedMultiplyAdd(x, b0, c40); c41 = Vector128.FusedMultiplyAdd(x, b1, c41);
            x = Vector128.Create(Unsafe.Add(ref pa, 5));
            c50 = Vector128.FusedMultiplyAdd(x, b0, c50); c51 = Vector128.FusedMultiplyAdd(x, b1, c51);
            x = Vector128.Create(Unsafe.Add(ref pa, 6));
            c60 = Vector128.FusedMultiplyAdd(x, b0, c60); c61 = Vector128.FusedMultiplyAdd(x, b1, c61);
            x = Vector128.Create(Unsafe.Add(ref pa, 7));
            c70 = Vector128.FusedMultiplyAdd(x, b0, c70); c71 = Vector128.FusedMultiplyAdd(x, b1, c71);
            pa = ref Unsafe.Add(ref pa, 8);
            pb = ref Unsafe.Add(ref pb, 8);
        }
        Store(ref c, 0, c00, c01, add); Store(ref c, ldc, c10, c11, add); Store(ref c, 2 * ldc, c20, c21, add);
        Store(ref c, 3 * ldc, c30, c31, add); Store(ref c, 4 * ldc, c40, c41, add); Store(ref c, 5 * ldc, c50, c51, add);
        Store(ref c, 6 * ldc, c60, c61, add); Store(ref c, 7 * ldc, c70, c71, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref float c, nint offset, Vector128<float> x, Vector128<float> y, bool add)
    {
        ref float row = ref Unsafe.Add(ref c, offset);
        if (add)
        {
            x += Vector128.LoadUnsafe(ref row);
            y += Vector128.LoadUnsafe(ref row, 4);
        }
        x.StoreUnsafe(ref row);
        y.StoreUnsafe(ref row, 4);
    }
}
