using Xunit;

namespace Descent.Tests.TensorTests;

/// <summary>Creating tensors: from arrays and spans, filled, ranges, identity, random, and the *Like forms.</summary>
public class CreationTests
{
    [Fact]
    public void FromArraysOfEveryRankAndElementType()
    {
        var f1 = Tensor.From(new float[] { 1, 2 });
        var f2 = Tensor.From(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var f3 = Tensor.From(new float[2, 1, 3]);
        var f4 = Tensor.From(new float[1, 2, 3, 4]);
        Assert.Equal([2], f1.Shape.ToArray());
        Assert.Equal([2, 3], f2.Shape.ToArray());
        Assert.Equal([2, 1, 3], f3.Shape.ToArray());
        Assert.Equal([1, 2, 3, 4], f4.Shape.ToArray());
        Assert.All([f1, f2, f3, f4], t => Assert.Equal(DType.Float32, t.DType));
        Assert.Equal([1f, 2, 3, 4, 5, 6], f2.ToArray<float>());

        var d = Tensor.From(new double[,,] { { { 1.5 }, { 2.5 } } });
        Assert.Equal(DType.Float64, d.DType);
        Assert.Equal([1, 2, 1], d.Shape.ToArray());
        Assert.Equal([1.5, 2.5], d.ToArray<double>());

        var l = Tensor.From(new long[,] { { long.MaxValue }, { long.MinValue } });
        Assert.Equal(DType.Int64, l.DType);
        Assert.Equal([long.MaxValue, long.MinValue], l.ToArray<long>());

        var i = Tensor.From(new int[,,,] { { { { -3, 4 } } } });
        Assert.Equal(DType.Int64, i.DType);
        Assert.Equal([1, 1, 1, 2], i.Shape.ToArray());
        Assert.Equal([-3L, 4], i.ToArray<long>());

        var b = Tensor.From(new bool[,] { { true, false } });
        Assert.Equal(DType.Bool, b.DType);
        Assert.Equal([true, false], b.ToArray<bool>());

        var empty = Tensor.From(new float[0, 3]);
        Assert.Equal([0, 3], empty.Shape.ToArray());
        Assert.Equal(0, empty.Count);
    }

    public static TheoryData<string, int> TypesAndRanks()
    {
        var data = new TheoryData<string, int>();
        foreach (var type in new[] { "float", "double", "long", "int", "bool" })
            for (int rank = 1; rank <= 4; rank++) data.Add(type, rank);
        return data;
    }

    [Theory]
    [MemberData(nameof(TypesAndRanks))]
    public void FromEveryElementTypeAtEveryRank(string type, int rank)
    {
        var elementType = type switch
        {
            "float" => typeof(float),
            "double" => typeof(double),
            "long" => typeof(long),
            "int" => typeof(int),
            _ => typeof(bool),
        };
        var lengths = new[] { 2, 3, 1, 2 }[..rank];
        var array = Array.CreateInstance(elementType, lengths);
        int n = array.Length, k = 0;
        var index = new int[rank];
        var expected = new List<double>();
        for (int p = 0; p < n; p++)
        {
            int rem = p;
            for (int d = rank - 1; d >= 0; d--)
            {
                index[d] = rem % lengths[d];
                rem /= lengths[d];
            }
            double v = type == "bool" ? k++ % 2 : (k++ - 3) * 1.5;
            object boxed = type switch
            {
                "float" => (float)v,
                "double" => v,
                "long" => (long)v,
                "int" => (int)v,
                _ => v != 0,
            };
            array.SetValue(boxed, index);
            expected.Add(type is "long" or "int" ? (long)v : v);
        }
        var t = Tensor.From(array);
        Assert.Equal(lengths, t.Shape.ToArray());
        Assert.Equal(type switch { "float" => DType.Float32, "double" => DType.Float64, "bool" => DType.Bool, _ => DType.Int64 }, t.DType);
        Assert.Equal(expected, Enumerable.Range(0, n).Select(i => t.Reshape(-1)[i].Item()));
        var back = t.ToArray();
        Assert.Equal(rank, back.Rank);
        if (type != "int") Assert.Equal(array, back); // int arrays come back as long, the dtype's element type
        else Assert.Equal(array.Cast<int>().Select(v => (long)v), back.Cast<long>());
    }

    [Fact]
    public void ZeroDimTensorsHoldOneNumber()
    {
        var s = Tensor.Scalar(2.5);
        Assert.Equal(0, s.Dim);
        Assert.Equal(1, s.Count);
        Assert.Empty(s.Shape.ToArray());
        Assert.Equal(2.5f, s.Item<float>());
        Assert.Equal(DType.Float64, Tensor.Scalar(1, DType.Float64).DType);
        Assert.Equal(7L, Tensor.Scalar(7, DType.Int64).Item<long>());
        Assert.True(Tensor.Scalar(1, DType.Bool).Item<bool>());
        Assert.Equal(3.0, Tensor.FromSpan<double>([3.0]).Item());
        Assert.Equal(0, Tensor.FromSpan<double>([3.0]).Dim);
    }

    [Fact]
    public void FromCopiesTheArray()
    {
        var data = new float[] { 1, 2 };
        var t = Tensor.From(data, requiresGrad: true);
        data[0] = 100;
        Assert.Equal([1f, 2], t.ToArray<float>());
        Assert.True(t.RequiresGrad);
        Assert.True(t.IsLeaf);
        var span = new double[] { 1, 2, 3, 4, 5, 6 };
        var s = Tensor.FromSpan<double>(span, 2, 3);
        span[5] = 0;
        Assert.Equal([2, 3], s.Shape.ToArray());
        Assert.Equal(6.0, s[1, 2].Item());
        Assert.Equal(DType.Int64, Tensor.FromSpan<long>([1L, 2], 2).DType);
        Assert.Equal(DType.Bool, Tensor.FromSpan<bool>([true], 1, 1).DType);
        Assert.Equal(DType.Float32, Tensor.FromSpan<float>([1f], 1).DType);
    }

    [Fact]
    public void FromRefusesWhatItCannotHold()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => Tensor.FromSpan<float>([1f, 2, 3], 2, 2));
        Assert.Contains("3 values", e.Message);
        Assert.Contains("[2, 2]", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => Tensor.From(new short[] { 1 }));
        Assert.Contains("Int16", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => Tensor.From(new float[][] { [1f], [2f] }));
        Assert.Contains("jagged", e3.Message);
        Assert.Throws<ArgumentNullException>(() => Tensor.From(null!));
        var e4 = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, -1));
        Assert.Contains("[2, -1]", e4.Message);
        Assert.Contains("Zeros", e4.Message);
        Assert.Throws<ArgumentException>(() => Tensor.RandN(-3));
        Assert.Throws<ArgumentException>(() => Tensor.Full([-1], 2));
    }

    [Fact]
    public void FilledTensors()
    {
        Assert.Equal([0f, 0, 0, 0, 0, 0], Tensor.Zeros(2, 3).ToArray<float>());
        Assert.Equal([1f, 1], Tensor.Ones(2).ToArray<float>());
        Assert.Equal([2.5, 2.5], Tensor.Full([1, 2], 2.5, DType.Float64).ToArray<double>());
        Assert.Equal([3L, 3], Tensor.Full([2], 3.9, DType.Int64).ToArray<long>());
        Assert.Equal([true], Tensor.Ones([1], DType.Bool).ToArray<bool>());
        Assert.Equal(DType.Int64, Tensor.Zeros([2], DType.Int64).DType);
        Assert.True(Tensor.Zeros([2], requiresGrad: true).RequiresGrad);
        Assert.True(Tensor.Ones([2], requiresGrad: true).RequiresGrad);
        Assert.Equal(0, Tensor.Zeros().Dim);
        Assert.Equal(1f, Tensor.Ones().Item<float>());
        var shape = new[] { 2 };
        var z = Tensor.Zeros(shape);
        shape[0] = 5;
        Assert.Equal([2], z.Shape.ToArray()); // the shape array is copied
    }

    [Fact]
    public void ArangeIsInt64ForWholeArgumentsAndFloatOtherwise()
    {
        var a = Tensor.Arange(5);
        Assert.Equal(DType.Int64, a.DType);
        Assert.Equal([0L, 1, 2, 3, 4], a.ToArray<long>());
        Assert.Equal([2L, 5, 8], Tensor.Arange(2, 10, 3).ToArray<long>());
        Assert.Equal([5L, 3, 1], Tensor.Arange(5, 0, -2).ToArray<long>());
        var f = Tensor.Arange(0, 1, 0.25);
        Assert.Equal(DType.Float32, f.DType);
        Assert.Equal([0f, 0.25f, 0.5f, 0.75f], f.ToArray<float>());
        Assert.Equal([1.5f, 2.5f, 3.5f], Tensor.Arange(1.5, 4).ToArray<float>());
        // As PyTorch: n = ceil((end - start) / step), element i = start + i * step, rounded once.
        Assert.Equal(10, Tensor.Arange(0, 1, 0.1).Count);
        Assert.Equal((float)(0.1 * 7), Tensor.Arange(0, 1, 0.1).ToArray<float>()[7]);
        Assert.Equal([10f, 8.5f, 7, 5.5f, 4, 2.5f, 1], Tensor.Arange(10, 0, -1.5).ToArray<float>());
        Assert.Equal(DType.Float64, Tensor.Arange(0, 3, 1, DType.Float64).DType);
        Assert.Equal(0, Tensor.Arange(3, 3).Count);
        Assert.Contains("step", Assert.Throws<ArgumentException>(() => Tensor.Arange(0, 1, 0)).Message);
        Assert.Contains("inconsistent", Assert.Throws<ArgumentException>(() => Tensor.Arange(0, 5, -1)).Message);
    }

    [Fact]
    public void LinspaceHitsBothEndpointsExactly()
    {
        foreach (var (start, end, steps) in new[] { (0.0, 1.0, 7), (-3.7, 2.2, 13), (0.1, 0.9, 9), (5.0, -5.0, 8), (1e-3, 7.3, 100) })
        {
            var t = Tensor.Linspace(start, end, steps).ToArray<float>();
            Assert.Equal(steps, t.Length);
            Assert.Equal((float)start, t[0]);
            Assert.Equal((float)end, t[^1]);
            double step = (end - start) / (steps - 1);
            for (int i = 0; i < steps; i++) Assert.Equal(start + i * step, t[i], 1e-6 * Math.Max(Math.Abs(start), Math.Abs(end)));
            var d = Tensor.Linspace(start, end, steps, DType.Float64).ToArray<double>();
            Assert.Equal(start, d[0]);
            Assert.Equal(end, d[^1]);
        }
        Assert.Equal([-1f, -0.5f, 0, 0.5f, 1], Tensor.Linspace(-1, 1, 5).ToArray<float>());
        Assert.Equal([2f], Tensor.Linspace(2, 3, 1).ToArray<float>()); // one step: the start, as PyTorch
        Assert.Empty(Tensor.Linspace(2, 3, 0).ToArray<float>());
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Linspace(0, 1, -1));
    }

    [Fact]
    public void Eye()
    {
        Assert.Equal([1f, 0, 0, 0, 1, 0, 0, 0, 1], Tensor.Eye(3).ToArray<float>());
        var r = Tensor.Eye(2, 3, DType.Int64);
        Assert.Equal([2, 3], r.Shape.ToArray());
        Assert.Equal([1L, 0, 0, 0, 1, 0], r.ToArray<long>());
        Assert.Equal([1.0, 0, 0, 1, 0, 0], Tensor.Eye(3, 2, DType.Float64).ToArray<double>());
        Assert.Equal([0, 0], Tensor.Eye(0).Shape.ToArray());
    }

    [Fact]
    public void LikeFormsTakeShapeAndDtype()
    {
        var x = Tensor.From(new double[,] { { 1, 2, 3 } }, requiresGrad: true);
        foreach (var t in new[] { Tensor.ZerosLike(x), Tensor.OnesLike(x), Tensor.FullLike(x, 4), Tensor.RandLike(x, new Generator(1)), Tensor.RandNLike(x, new Generator(1)) })
        {
            Assert.Equal([1, 3], t.Shape.ToArray());
            Assert.Equal(DType.Float64, t.DType);
            Assert.False(t.RequiresGrad);
        }
        Assert.Equal([4.0, 4, 4], Tensor.FullLike(x, 4).ToArray<double>());
        Assert.Equal([1.0, 1, 1], Tensor.OnesLike(x).ToArray<double>());
        Assert.Equal(DType.Int64, Tensor.ZerosLike(x, DType.Int64).DType);
        var i = Tensor.From(new long[] { 1, 2 });
        Assert.Equal(DType.Int64, Tensor.OnesLike(i).DType);
        Assert.Throws<DTypeMismatchException>(() => Tensor.RandLike(i));
    }

    [Fact]
    public void RandomTensorsHaveTheirRangesAndShapes()
    {
        var g = new Generator(123);
        var u = Tensor.Rand([10_000], generator: g).ToArray<float>();
        Assert.All(u, v => Assert.InRange(v, 0f, 0.99999994f));
        Assert.InRange(u.Average(), 0.49, 0.51);
        var ud = Tensor.Rand([1000], DType.Float64, generator: g).ToArray<double>();
        Assert.All(ud, v => Assert.InRange(v, 0.0, 1.0 - 1e-17));
        var ri = Tensor.RandInt(-2, 3, [2, 1000], g);
        Assert.Equal(DType.Int64, ri.DType);
        Assert.Equal([2, 1000], ri.Shape.ToArray());
        var counts = ri.ToArray<long>().GroupBy(v => v).ToDictionary(k => k.Key, k => k.Count());
        Assert.Equal([-2L, -1, 0, 1, 2], counts.Keys.Order());
        Assert.All(counts.Values, c => Assert.InRange(c, 300, 500));
        var p = Tensor.RandPerm(50, g);
        Assert.Equal(DType.Int64, p.DType);
        Assert.Equal(Enumerable.Range(0, 50).Select(v => (long)v), p.ToArray<long>().Order());
        Assert.NotEqual(Enumerable.Range(0, 50).Select(v => (long)v), p.ToArray<long>());
        Assert.Empty(Tensor.RandPerm(0, g).ToArray<long>());
        Assert.Throws<DTypeMismatchException>(() => Tensor.Rand([2], DType.Int64));
        Assert.Throws<DTypeMismatchException>(() => Tensor.RandN([2], DType.Bool));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.RandInt(3, 3, [2], g));
        Assert.Contains("RandInt", e.Message);
        Assert.True(Tensor.RandN([2], requiresGrad: true, generator: g).RequiresGrad);
    }

    [Fact]
    public void RandNHasMeanZeroAndStdOne()
    {
        var x = Tensor.RandN([100_000], generator: new Generator(2024));
        Assert.InRange(x.Mean().Item(), -0.01, 0.01);
        Assert.InRange(x.Std().Item(), 0.99, 1.01);
        var values = x.ToArray<float>();
        // About 68.3% within one standard deviation, 95.4% within two.
        Assert.InRange(values.Count(v => Math.Abs(v) < 1) / 1e5, 0.678, 0.688);
        Assert.InRange(values.Count(v => Math.Abs(v) < 2) / 1e5, 0.950, 0.958);
        var d = Tensor.RandN([100_000], DType.Float64, generator: new Generator(7));
        Assert.InRange(d.Mean().Item(), -0.01, 0.01);
        Assert.InRange(d.Std().Item(), 0.99, 1.01);
    }
}
