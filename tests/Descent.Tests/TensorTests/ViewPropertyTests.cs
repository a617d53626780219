using CsCheck;
using Xunit;

namespace Descent.Tests.TensorTests;

/// <summary>
/// Random chains of views (permute, transpose, narrow, slicing, select, reshape, squeeze, unsqueeze) against a
/// reference that keeps, for every element of the view, its position in a flat array.
/// </summary>
public class ViewPropertyTests
{
    /// <summary>A view as the reference sees it: a shape and, in row-major order, each element's position in the base.</summary>
    private sealed record Ref(int[] Shape, int[] Index)
    {
        public int Count => Index.Length;

        public int[] Multi(int p)
        {
            var m = new int[Shape.Length];
            for (int d = Shape.Length - 1; d >= 0; d--)
            {
                m[d] = p % Shape[d];
                p /= Shape[d];
            }
            return m;
        }

        public int Flat(int[] m)
        {
            int f = 0;
            for (int d = 0; d < Shape.Length; d++) f = f * Shape[d] + m[d];
            return f;
        }

        public Ref Permute(int[] perm)
        {
            var shape = perm.Select(p => Shape[p]).ToArray();
            var r = new Ref(shape, new int[Count]);
            for (int p = 0; p < Count; p++)
            {
                var mNew = r.Multi(p);
                var mOld = new int[Shape.Length];
                for (int i = 0; i < perm.Length; i++) mOld[perm[i]] = mNew[i];
                r.Index[p] = Index[Flat(mOld)];
            }
            return r;
        }

        public Ref Narrow(int dim, int start, int length)
        {
            var shape = (int[])Shape.Clone();
            shape[dim] = length;
            var r = new Ref(shape, new int[shape.Aggregate(1, (a, b) => a * b)]);
            for (int p = 0; p < r.Count; p++)
            {
                var m = r.Multi(p);
                m[dim] += start;
                r.Index[p] = Index[Flat(m)];
            }
            return r;
        }

        public Ref Reshape(int[] shape) => new(shape, Index);

        public Ref Select(int dim, int i)
        {
            var n = Narrow(dim, i, 1);
            return n.Reshape([.. n.Shape.Where((_, d) => d != dim)]);
        }

        /// <summary>True when some offset and strides give every element's position: then a view can hold it.</summary>
        public bool Strided()
        {
            if (Count == 0) return true;
            var strides = new int[Shape.Length];
            for (int d = 0; d < Shape.Length; d++)
            {
                if (Shape[d] == 1) continue;
                var m = new int[Shape.Length];
                m[d] = 1;
                strides[d] = Index[Flat(m)] - Index[0];
            }
            for (int p = 0; p < Count; p++)
            {
                var m = Multi(p);
                int at = Index[0];
                for (int d = 0; d < m.Length; d++) at += m[d] * strides[d];
                if (at != Index[p]) return false;
            }
            return true;
        }

        public bool Contiguous() => Index.Select((v, p) => v - p).Distinct().Count() <= 1;
    }

    private sealed record Case(int[] Shape, int[] Steps)
    {
        public override string ToString() => $"shape [{string.Join(", ", Shape)}], steps [{string.Join(", ", Steps)}]";
    }

    private static readonly Gen<Case> Cases =
        Gen.Select(Gen.Int[1, 5].Array[1, 4], Gen.Int[0, int.MaxValue].Array[1, 8], (s, o) => new Case(s, o));

    /// <summary>
    /// Applies one step, chosen by <paramref name="word"/>, to the tensor and to two references: <paramref name="r"/>
    /// holds positions in the base (for the values), <paramref name="layout"/> positions in the tensor's own storage,
    /// which starts again from 0..n-1 when a reshape has to copy. Returns whether the step copied.
    /// </summary>
    private static (Tensor T, Ref R, Ref Layout, bool Copied, string Name) Step(Tensor t, Ref r, Ref layout, int word)
    {
        var rng = new Random(word);
        int rank = r.Shape.Length;
        switch (word % 8)
        {
            case 0 when rank >= 1:
                {
                    var perm = Enumerable.Range(0, rank).OrderBy(_ => rng.Next()).ToArray();
                    return (t.Permute(perm), r.Permute(perm), layout.Permute(perm), false, $"Permute({string.Join(", ", perm)})");
                }
            case 1 when rank >= 1:
                {
                    int a = rng.Next(rank), b = rng.Next(rank);
                    var perm = Enumerable.Range(0, rank).ToArray();
                    (perm[a], perm[b]) = (perm[b], perm[a]);
                    // Negative dims count from the end.
                    return (t.Transpose(a - rank, b), r.Permute(perm), layout.Permute(perm), false, $"Transpose({a - rank}, {b})");
                }
            case 2 when rank >= 1:
                {
                    int d = rng.Next(rank), size = r.Shape[d];
                    int start = rng.Next(size + 1), length = rng.Next(size - start + 1);
                    return (t.Narrow(d, start, length), r.Narrow(d, start, length), layout.Narrow(d, start, length), false, $"Narrow({d}, {start}, {length})");
                }
            case 3 when rank >= 1:
                {
                    // The indexer: a range on one dim, written with ^ from the end half of the time.
                    int d = rng.Next(rank), size = r.Shape[d];
                    int start = rng.Next(size + 1), end = start + rng.Next(size - start + 1);
                    Range range = rng.Next(2) == 0 ? start..end : start..^(size - end);
                    var indices = Enumerable.Range(0, d + 1).Select(i => i < d ? (TensorIndex)(..) : range).ToArray();
                    return (t[indices], r.Narrow(d, start, end - start), layout.Narrow(d, start, end - start), false, $"[{d}: {range}]");
                }
            case 4 when rank >= 1 && r.Shape.All(s => s > 0):
                {
                    int d = rng.Next(rank), i = rng.Next(r.Shape[d]);
                    bool fromEnd = rng.Next(2) == 0;
                    var indices = Enumerable.Range(0, d + 1).Select(k => k < d ? (TensorIndex)(..) : fromEnd ? ^(r.Shape[d] - i) : i).ToArray();
                    return (t[indices], r.Select(d, i), layout.Select(d, i), false, $"[{d}: {(fromEnd ? "^" + (r.Shape[d] - i) : i)}]");
                }
            case 5 when rank < 4:
                {
                    int d = rng.Next(rank + 1);
                    var shape = r.Shape.ToList();
                    shape.Insert(d, 1);
                    return (t.Unsqueeze(d), r.Reshape([.. shape]), layout.Reshape([.. shape]), false, $"Unsqueeze({d})");
                }
            case 6 when rank >= 1:
                {
                    int d = rng.Next(rank);
                    var shape = r.Shape.ToList();
                    if (shape[d] == 1) shape.RemoveAt(d);
                    return (t.Squeeze(d), r.Reshape([.. shape]), layout.Reshape([.. shape]), false, $"Squeeze({d})");
                }
            default:
                {
                    var shape = RandomShape(r.Count, rng);
                    var next = layout.Reshape(shape);
                    // A view exists exactly when some offset and strides give every element's storage position.
                    bool viewable = next.Strided();
                    if (viewable) Assert.Equal(shape, t.View(shape).Shape.ToArray());
                    else
                    {
                        var e = Assert.Throws<InvalidOperationException>(() => t.View(shape));
                        Assert.Contains("Reshape", e.Message);
                        next = new Ref(shape, Enumerable.Range(0, r.Count).ToArray());
                    }
                    return (t.Reshape(shape), r.Reshape(shape), next, !viewable, $"Reshape({string.Join(", ", shape)})");
                }
        }
    }

    /// <summary>A random shape of up to 4 dims holding <paramref name="n"/> elements.</summary>
    private static int[] RandomShape(int n, Random rng)
    {
        int rank = rng.Next(1, 5);
        var shape = Enumerable.Repeat(1, rank).ToArray();
        if (n == 0)
        {
            shape[rng.Next(rank)] = 0;
            for (int i = 0; i < rank; i++) if (shape[i] != 0) shape[i] = rng.Next(1, 4);
            return shape;
        }
        for (int f = 2; n > 1; f++)
            while (n % f == 0)
            {
                shape[rng.Next(rank)] *= f;
                n /= f;
            }
        return shape;
    }

    [Fact]
    public void ViewChainsMatchTheFlatReferenceAndShareStorageUntilACopy()
    {
        int copies = 0, shared = 0, empty = 0;
        Property.ForAll(Cases, c =>
        {
            int n = c.Shape.Aggregate(1, (a, b) => a * b);
            var flat = Tensor.Arange(0, n, 1, DType.Float64);
            var t = flat.Reshape(c.Shape);
            var r = new Ref(c.Shape, Enumerable.Range(0, n).ToArray());
            var layout = r;
            bool copied = false;
            var trail = new List<string>();
            foreach (var word in c.Steps)
            {
                (t, r, layout, bool copy, string name) = Step(t, r, layout, word);
                trail.Add(name);
                copied |= copy;
                Assert.True(r.Shape.SequenceEqual(t.Shape.ToArray()), $"after {string.Join(" ", trail)}: shape [{string.Join(", ", t.Shape.ToArray())}], expected [{string.Join(", ", r.Shape)}]");
            }
            var expected = r.Index.Select(i => (double)i).ToArray();
            Assert.Equal(expected, t.ToArray<double>());
            var steps = string.Join(" ", trail);
            Assert.True(layout.Contiguous() == t.IsContiguous, $"after {steps}: IsContiguous is {t.IsContiguous} with strides [{string.Join(", ", t.Strides.ToArray())}]");

            var contiguous = t.Contiguous();
            Assert.True(contiguous.IsContiguous);
            Assert.Equal(expected, contiguous.ToArray<double>());
            var clone = t.Clone();
            clone.AddInPlace(-1.0);
            Assert.Equal(Enumerable.Range(0, n).Select(i => (double)i), flat.ToArray<double>());

            // Writing through the view writes the base, and bumps the one version counter they share.
            int version = flat.Version;
            t.AddInPlace(1000.0);
            var after = flat.ToArray<double>();
            var written = new HashSet<int>(r.Index);
            for (int i = 0; i < n; i++)
                Assert.Equal(i + (!copied && written.Contains(i) ? 1000.0 : 0), after[i]);
            Assert.Equal(copied ? version : version + 1, flat.Version);
            if (copied) copies++;
            else shared++;
            if (t.Count == 0) empty++;
        }, cases: 300);
        Assert.True(copies > 10 && shared > 100 && empty > 0, $"{copies} chains copied, {shared} stayed views, {empty} empty");
    }
}
