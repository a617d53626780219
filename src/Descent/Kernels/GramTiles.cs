using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Descent.Kernels;

/// <summary>The register tile of <see cref="Gram"/> at one vector width.</summary>
internal interface ITile
{
    /// <summary>Doubles per vector.</summary>
    static abstract int Width { get; }

    /// <summary>
    /// <c>d[r * ldd + c] += Σ_i a[i * lda + r] · b[i * ldb + c]</c> over <paramref name="rows"/> rows, for r &lt; 4 and
    /// c below one vector, or two when <paramref name="two"/>.
    /// </summary>
    static abstract void Tile(int rows, ref double a, nint lda, ref double b, nint ldb, ref double d, nint ldd, bool two);

    /// <summary>
    /// <c>y[i * ldy] −= x[i * n ..] · w</c> for each of <paramref name="rows"/> rows of x (n doubles each); returns the
    /// sum of the squared results.
    /// </summary>
    static abstract double Residuals(int rows, ref double x, int n, ref double w, ref double y, int ldy);
}

/// <summary>4 x 16 tiles in eight <see cref="Vector512{T}"/> accumulators (AVX-512).</summary>
internal struct Tile512 : ITile
{
    public static int Width => 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int rows, ref double a, nint lda, ref double b, nint ldb, ref double d, nint ldd, bool two)
    {
        Vector512<double> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        ref double pa = ref a;
        ref double pb = ref b;
        if (two)
        {
            for (int i = 0; i < rows; i++)
            {
                var b0 = Vector512.LoadUnsafe(ref pb);
                var b1 = Vector512.LoadUnsafe(ref pb, 8);
                var x = Vector512.Create(pa);
                c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
                x = Vector512.Create(Unsafe.Add(ref pa, 1));
                c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
                x = Vector512.Create(Unsafe.Add(ref pa, 2));
                c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
                x = Vector512.Create(Unsafe.Add(ref pa, 3));
                c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
                pa = ref Unsafe.Add(ref pa, lda);
                pb = ref Unsafe.Add(ref pb, ldb);
            }
            Add(c01, ref Unsafe.Add(ref d, 8));
            Add(c11, ref Unsafe.Add(ref d, ldd + 8));
            Add(c21, ref Unsafe.Add(ref d, 2 * ldd + 8));
            Add(c31, ref Unsafe.Add(ref d, 3 * ldd + 8));
        }
        else
        {
            for (int i = 0; i < rows; i++)
            {
                var b0 = Vector512.LoadUnsafe(ref pb);
                c00 = Vector512.FusedMultiplyAdd(Vector512.Create(pa), b0, c00);
                c10 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pa, 1)), b0, c10);
                c20 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pa, 2)), b0, c20);
                c30 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref pa, 3)), b0, c30);
                pa = ref Unsafe.Add(ref pa, lda);
                pb = ref Unsafe.Add(ref pb, ldb);
            }
        }
        Add(c00, ref d);
        Add(c10, ref Unsafe.Add(ref d, ldd));
        Add(c20, ref Unsafe.Add(ref d, 2 * ldd));
        Add(c30, ref Unsafe.Add(ref d, 3 * ldd));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(Vector512<double> v, ref double d) => (Vector512.LoadUnsafe(ref d) + v).StoreUnsafe(ref d);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Residuals(int rows, ref double x, int n, ref double w, ref double y, int ldy)
    {
        double sum = 0;
        int i = 0;
        // Four rows at a time, so that four independent sums are in flight.
        for (; i <= rows - 4; i += 4)
        {
            ref double x0 = ref Unsafe.Add(ref x, i * n);
            Vector512<double> a0 = default, a1 = default, a2 = default, a3 = default;
            int j = 0;
            for (; j <= n - 8; j += 8)
            {
                var wv = Vector512.LoadUnsafe(ref w, (nuint)j);
                a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x0, (nuint)j), wv, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x0, (nuint)(n + j)), wv, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x0, (nuint)(2 * n + j)), wv, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x0, (nuint)(3 * n + j)), wv, a3);
            }
            double s0 = Vector512.Sum(a0), s1 = Vector512.Sum(a1), s2 = Vector512.Sum(a2), s3 = Vector512.Sum(a3);
            for (; j < n; j++)
            {
                double wj = Unsafe.Add(ref w, j);
                s0 += Unsafe.Add(ref x0, j) * wj;
                s1 += Unsafe.Add(ref x0, n + j) * wj;
                s2 += Unsafe.Add(ref x0, 2 * n + j) * wj;
                s3 += Unsafe.Add(ref x0, 3 * n + j) * wj;
            }
            sum += Store(ref Unsafe.Add(ref y, i * ldy), s0) + Store(ref Unsafe.Add(ref y, (i + 1) * ldy), s1)
                + Store(ref Unsafe.Add(ref y, (i + 2) * ldy), s2) + Store(ref Unsafe.Add(ref y, (i + 3) * ldy), s3);
        }
        for (; i < rows; i++)
        {
            ref double xi = ref Unsafe.Add(ref x, i * n);
            var acc = Vector512<double>.Zero;
            int j = 0;
            for (; j <= n - 8; j += 8)
                acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xi, (nuint)j), Vector512.LoadUnsafe(ref w, (nuint)j), acc);
            double s = Vector512.Sum(acc);
            for (; j < n; j++) s += Unsafe.Add(ref xi, j) * Unsafe.Add(ref w, j);
            sum += Store(ref Unsafe.Add(ref y, i * ldy), s);
        }
        return sum;
    }

    // y −= s; returns the new y squared.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double Store(ref double y, double s)
    {
        double r = y - s;
        y = r;
        return r * r;
    }
}

/// <summary>4 x 2W tiles in <see cref="Vector{T}"/> accumulators: 256-bit on AVX2, 128-bit on Arm64.</summary>
internal struct TileVector : ITile
{
    public static int Width => Vector<double>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int rows, ref double a, nint lda, ref double b, nint ldb, ref double d, nint ldd, bool two)
    {
        Vector<double> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        int w = Vector<double>.Count;
        ref double pa = ref a;
        ref double pb = ref b;
        for (int i = 0; i < rows; i++)
        {
            var b0 = Vector.LoadUnsafe(ref pb);
            var b1 = two ? Vector.LoadUnsafe(ref pb, (nuint)w) : default;
            var x = new Vector<double>(pa);
            c00 = Vector.FusedMultiplyAdd(x, b0, c00); c01 = Vector.FusedMultiplyAdd(x, b1, c01);
            x = new Vector<double>(Unsafe.Add(ref pa, 1));
            c10 = Vector.FusedMultiplyAdd(x, b0, c10); c11 = Vector.FusedMultiplyAdd(x, b1, c11);
            x = new Vector<double>(Unsafe.Add(ref pa, 2));
            c20 = Vector.FusedMultiplyAdd(x, b0, c20); c21 = Vector.FusedMultiplyAdd(x, b1, c21);
            x = new Vector<double>(Unsafe.Add(ref pa, 3));
            c30 = Vector.FusedMultiplyAdd(x, b0, c30); c31 = Vector.FusedMultiplyAdd(x, b1, c31);
            pa = ref Unsafe.Add(ref pa, lda);
            pb = ref Unsafe.Add(ref pb, ldb);
        }
        Add(c00, ref d);
        Add(c10, ref Unsafe.Add(ref d, ldd));
        Add(c20, ref Unsafe.Add(ref d, 2 * ldd));
        Add(c30, ref Unsafe.Add(ref d, 3 * ldd));
        if (!two) return;
        Add(c01, ref Unsafe.Add(ref d, w));
        Add(c11, ref Unsafe.Add(ref d, ldd + w));
        Add(c21, ref Unsafe.Add(ref d, 2 * ldd + w));
        Add(c31, ref Unsafe.Add(ref d, 3 * ldd + w));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(Vector<double> v, ref double d) => (Vector.LoadUnsafe(ref d) + v).StoreUnsafe(ref d);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Residuals(int rows, ref double x, int n, ref double w, ref double y, int ldy)
    {
        double sum = 0;
        int width = Vector<double>.Count;
        for (int i = 0; i < rows; i++)
        {
            ref double xi = ref Unsafe.Add(ref x, i * n);
            var acc = Vector<double>.Zero;
            int j = 0;
            for (; j <= n - width; j += width)
                acc = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref xi, (nuint)j), Vector.LoadUnsafe(ref w, (nuint)j), acc);
            double s = Vector.Sum(acc);
            for (; j < n; j++) s += Unsafe.Add(ref xi, j) * Unsafe.Add(ref w, j);
            sum += Tile512.Store(ref Unsafe.Add(ref y, i * ldy), s);
        }
        return sum;
    }
}
