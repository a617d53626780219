using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Descent.Kernels;

/// <summary>
/// What the kernels that take short rows eight at a time in vectors share (<see cref="GemmRowDots"/>,
/// <see cref="LinearMse"/>): which rows a whole-vector load may read, and the eight rows' sums in one tree.
/// </summary>
internal static class RowVectors
{
    /// <summary>
    /// The end (exclusive, at most <paramref name="r1"/>) of the rows of <paramref name="d"/> floats from
    /// <paramref name="xOff"/> whose load of <paramref name="width"/> floats stays inside an array of
    /// <paramref name="length"/>: row i fits when <c>xOff + i d + width &lt;= length</c>. None fit when fewer than
    /// <paramref name="width"/> floats follow <paramref name="xOff"/>.
    /// </summary>
    internal static long VectorRowsEnd(long length, long xOff, int width, int d, long r1)
    {
        long room = length - xOff - width;
        return room < 0 ? 0 : Math.Min(r1, room / d + 1);
    }

    /// <summary>The sums of eight vectors, lane r the sum of vector r (one horizontal-add tree).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Sum8(Vector256<float> p0, Vector256<float> p1, Vector256<float> p2, Vector256<float> p3,
        Vector256<float> p4, Vector256<float> p5, Vector256<float> p6, Vector256<float> p7)
    {
        // hadd(hadd(p0,p1), hadd(p2,p3)) holds the sums of the low halves of p0-p3 in its low lane and of the high
        // halves in its high lane; the lanes of the two trees, added, give p0-p7.
        var h0123 = Avx.HorizontalAdd(Avx.HorizontalAdd(p0, p1), Avx.HorizontalAdd(p2, p3));
        var h4567 = Avx.HorizontalAdd(Avx.HorizontalAdd(p4, p5), Avx.HorizontalAdd(p6, p7));
        return Avx.Permute2x128(h0123, h4567, 0x20) + Avx.Permute2x128(h0123, h4567, 0x31);
    }
}
