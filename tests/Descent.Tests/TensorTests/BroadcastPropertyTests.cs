using CsCheck;
using Xunit;

namespace Descent.Tests.TensorTests;

/// <summary>Broadcasting on random shapes, against a reference that indexes flat arrays.</summary>
public class BroadcastPropertyTests
{
    // Pairs that broadcast (suffixes of one shape with some dims set to 1), and pairs drawn independently
    // from small sizes, about half of which do not broadcast. Sizes include 0.
    private static readonly Gen<(int[] A, int[] B)> Compatible =
        Gen.Select(Gen.Int[0, 4], Gen.Int[0, 4].Array[4], Gen.Int[0, 4], Gen.Int[0, 4], Gen.Bool.Array[4], Gen.Bool.Array[4])
            .Select(t =>
            {
                var (rank, dims, ra, rb, onesA, onesB) = t;
                var full = dims[..rank];
                int[] Operand(int r, bool[] ones)
                {
                    var s = full[(rank - Math.Min(r, rank))..];
                    for (int i = 0; i < s.Length; i++) if (ones[i]) s[i] = 1;
                    return s;
                }
                return (Operand(ra, onesA), Operand(rb, onesB));
            });

    private static readonly Gen<(int[] A, int[] B)> Independent =
        Gen.Select(Gen.Int[1, 3].Array[0, 4], Gen.Int[1, 3].Array[0, 4]);

    private static readonly Gen<(int[] A, int[] B)> Shapes = Gen.OneOf(Compatible, Independent);

    private static int[]? ReferenceShape(int[] a, int[] b)
    {
        int n = Math.Max(a.Length, b.Length);
        var r = new int[n];
        for (int i = 0; i < n; i++)
        {
            int da = i < n - a.Length ? 1 : a[i - (n - a.Length)];
            int db = i < n - b.Length ? 1 : b[i - (n - b.Length)];
            if (da != db && da != 1 && db != 1) return null;
            r[i] = da == 1 ? db : da;
        }
        return r;
    }

    /// <summary>For each position of the result (row-major), the flat position in an operand of shape <paramref name="s"/>.</summary>
    private static int[] SourceIndex(int[] result, int[] s)
    {
        int n = result.Aggregate(1, (x, y) => x * y);
        var map = new int[n];
        var m = new int[result.Length];
        for (int p = 0; p < n; p++)
        {
            int rem = p;
            for (int d = result.Length - 1; d >= 0; d--)
            {
                m[d] = rem % result[d];
                rem /= result[d];
            }
            int flat = 0;
            for (int d = 0; d < s.Length; d++)
            {
                int md = m[d + result.Length - s.Length];
                flat = flat * s[d] + (s[d] == 1 ? 0 : md);
            }
            map[p] = flat;
        }
        return map;
    }

    private static Tensor Make(int[] shape, float scale)
    {
        int n = shape.Aggregate(1, (x, y) => x * y);
        return Tensor.FromSpan<float>(Enumerable.Range(1, n).Select(i => i * scale).ToArray(), shape);
    }

    private static string S(int[] s) => "[" + string.Join(", ", s) + "]";

    [Fact]
    public void AddFollowsTheBroadcastRuleAndTheFlatReference()
    {
        int refused = 0, empty = 0, scalars = 0;
        Property.ForAll(Shapes, t =>
        {
            var (sa, sb) = t;
            if (sa.Length == 0 || sb.Length == 0) scalars++;
            var a = Make(sa, 1);
            var b = Make(sb, 100);
            var shape = ReferenceShape(sa, sb);
            if (shape is null)
            {
                var e = Assert.Throws<ShapeMismatchException>(() => a + b);
                Assert.Contains("Add", e.Message);
                Assert.Contains(S(sa), e.Message);
                Assert.Contains(S(sb), e.Message);
                Assert.Throws<ShapeMismatchException>(() => b * a);
                refused++;
                return;
            }
            var sum = a + b;
            if (sum.Count == 0) empty++;
            Assert.Equal(shape, sum.Shape.ToArray());
            var av = a.ToArray<float>();
            var bv = b.ToArray<float>();
            var ia = SourceIndex(shape, sa);
            var ib = SourceIndex(shape, sb);
            var expected = new float[ia.Length];
            for (int p = 0; p < expected.Length; p++) expected[p] = av[ia[p]] + bv[ib[p]];
            Assert.Equal(expected, sum.ToArray<float>());
        });
        // The generators reach every kind of case.
        Assert.InRange(refused, 20, 180);
        Assert.True(empty > 0 && scalars > 0, $"{empty} empty results, {scalars} pairs with a zero-dim operand");
    }

    [Fact]
    public void AddAndMulCommute()
    {
        Property.ForAll(Shapes.Where(t => ReferenceShape(t.A, t.B) is not null), t =>
        {
            var a = Make(t.A, 0.5f);
            var b = Make(t.B, -3);
            Assert.Equal((a + b).ToArray<float>(), (b + a).ToArray<float>());
            Assert.Equal((a * b).ToArray<float>(), (b * a).ToArray<float>());
            Assert.Equal((a + b).Shape.ToArray(), (b + a).Shape.ToArray());
        });
    }

    [Fact]
    public void BroadcastingEqualsExplicitlyExpandedOperands()
    {
        Property.ForAll(Shapes.Where(t => ReferenceShape(t.A, t.B) is not null), t =>
        {
            var shape = ReferenceShape(t.A, t.B)!;
            var a = Make(t.A, 1);
            var b = Make(t.B, 7);
            var ea = a.Expand(shape);
            var eb = b.Expand(shape);
            Assert.Equal(shape, ea.Shape.ToArray());
            var expected = (ea.Contiguous() - eb.Contiguous()).ToArray<float>();
            Assert.Equal(expected, (a - b).ToArray<float>());
            Assert.Equal(expected, (ea - eb).ToArray<float>());
        });
    }

    [Fact]
    public void GradientsOfBroadcastOperandsAreSummedBackToTheirShapes()
    {
        Property.ForAll(Shapes.Where(t => ReferenceShape(t.A, t.B) is not null), t =>
        {
            var shape = ReferenceShape(t.A, t.B)!;
            var a = Make(t.A, 1);
            var b = Make(t.B, 10);
            a.RequiresGrad = true;
            b.RequiresGrad = true;
            (a * b).Sum().Backward();
            Assert.Equal(t.A, a.Grad!.Shape.ToArray());
            Assert.Equal(t.B, b.Grad!.Shape.ToArray());
            // d/da_j of sum(a * b) is the sum of the b values met by a_j, and the other way round.
            var av = a.ToArray<float>();
            var bv = b.ToArray<float>();
            var ia = SourceIndex(shape, t.A);
            var ib = SourceIndex(shape, t.B);
            var ga = new double[av.Length];
            var gb = new double[bv.Length];
            for (int p = 0; p < ia.Length; p++)
            {
                ga[ia[p]] += bv[ib[p]];
                gb[ib[p]] += av[ia[p]];
            }
            Assert.Equal(ga.Select(v => (float)v), a.Grad.ToArray<float>());
            Assert.Equal(gb.Select(v => (float)v), b.Grad.ToArray<float>());
        });
    }

    [Fact]
    public void InPlaceBroadcastsTheOtherOperandOnly()
    {
        Property.ForAll(Shapes, t =>
        {
            var a = Make(t.A, 1);
            var b = Make(t.B, 100);
            var shape = ReferenceShape(t.A, t.B);
            if (shape is null || !shape.SequenceEqual(t.A))
            {
                Assert.Throws<ShapeMismatchException>(() => a.AddInPlace(b));
                return;
            }
            var expected = (a + b).ToArray<float>();
            a.AddInPlace(b);
            Assert.Equal(t.A, a.Shape.ToArray());
            Assert.Equal(expected, a.ToArray<float>());
        });
    }
}
