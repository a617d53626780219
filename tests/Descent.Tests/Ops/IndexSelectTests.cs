using Xunit;

namespace Descent.Tests.Ops;

public class IndexSelectTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void GathersSlicesAlongAnyDimAndScattersGradientsBack(int dim)
    {
        var x = Tensor.Arange(0, 2 * 3 * 4, dtype: DType.Float32).Reshape(2, 3, 4);
        x.RequiresGrad = true;
        int size = x.Size(dim);
        var idx = new long[] { size - 1, 0, size - 1, 1 };
        var r = x.IndexSelect(dim, Tensor.From(idx));
        var xv = x.Detach().ToArray<float>();
        var shape = new[] { 2, 3, 4 };
        var rs = r.Shape.ToArray();
        Assert.Equal(idx.Length, rs[dim]);
        var got = r.Detach().ToArray<float>();
        var expectGrad = new float[24];
        for (int a = 0; a < rs[0]; a++)
            for (int b = 0; b < rs[1]; b++)
                for (int c = 0; c < rs[2]; c++)
                {
                    int[] src = [a, b, c];
                    long k = idx[src[dim]];
                    src[dim] = (int)k;
                    int flat = (src[0] * shape[1] + src[1]) * shape[2] + src[2];
                    Assert.Equal(xv[flat], got[(a * rs[1] + b) * rs[2] + c]);
                    expectGrad[flat] += 1;
                }
        r.Sum().Backward();
        Assert.Equal(expectGrad, x.Grad!.ToArray<float>());
    }

    [Theory]
    [InlineData(16, 4096)]
    [InlineData(3, 20_000)]
    [InlineData(1, 40_000)]
    [InlineData(33, 1_001)]
    public void LargeShuffledBatchesGatherEveryRow(int width, int count)
    {
        var g = new Generator(width);
        var x = Tensor.RandN([50_000, width], generator: g);
        var idx = Tensor.RandInt(0, 50_000, [count], generator: g);
        var r = x.IndexSelect(0, idx);
        Assert.Equal([count, width], r.Shape.ToArray());
        var xv = x.ToArray<float>();
        var iv = idx.ToArray<long>();
        var got = r.ToArray<float>();
        for (int j = 0; j < count; j++)
        {
            long row = iv[j];
            for (int c = 0; c < width; c++)
                Assert.Equal(xv[row * width + c], got[j * width + c]);
        }
    }

    public static TheoryData<string, int, int> RowWidths()
    {
        var data = new TheoryData<string, int, int>();
        // Row lengths around every vector width of the short-row copy and past its limit; few rows (one thread) and
        // enough bytes to be shared between threads.
        foreach (var dtype in new[] { "float32", "float64", "int64", "bool" })
            foreach (int width in new[] { 1, 2, 3, 5, 7, 8, 15, 16, 17, 24, 31, 33, 63, 64, 65, 100, 129, 200 })
                foreach (int count in new[] { 37, 3_001 })
                    data.Add(dtype, width, count);
        return data;
    }

    [Theory]
    [MemberData(nameof(RowWidths))]
    public void GathersRowsOfEveryWidthFromOffsetViews(string dtypeName, int width, int count)
    {
        var dtype = dtypeName switch { "float32" => DType.Float32, "float64" => DType.Float64, "int64" => DType.Int64, _ => DType.Bool };
        const int rows = 700;
        var g = new Generator(width * 31 + count);
        // x and the index both start inside their storage: offset views.
        var whole = (Tensor.RandN([rows + 9, width], generator: g) * 3).To(dtype);
        var x = whole.Narrow(0, 9, rows);
        var index = Tensor.RandInt(0, rows, [count + 5], g).Narrow(0, 5, count);
        var r = x.IndexSelect(0, index);
        Assert.Equal([count, width], r.Shape.ToArray());
        var xv = x.To(DType.Float64).ToArray<double>();
        var iv = index.ToArray<long>();
        var got = r.To(DType.Float64).ToArray<double>();
        for (int j = 0; j < count; j++)
        {
            long row = iv[j];
            for (int c = 0; c < width; c++)
                Assert.Equal(xv[row * width + c], got[j * width + c]);
        }
    }

    [Theory]
    [InlineData(10)]
    [InlineData(5_000)]
    public void ABatchOfSeveralTensorsIsGatheredAsIndexSelectGathersEach(int count)
    {
        // A DataLoader's batch: rows of tensors of several dtypes and widths, one thread or split between threads.
        var g = new Generator(count);
        const int rows = 3_000;
        var tensors = new[]
        {
            Tensor.RandN([rows, 16], generator: g),
            Tensor.RandN([rows], generator: g).To(DType.Float64),
            Tensor.RandInt(0, 10, [rows], g),
            (Tensor.RandN([rows, 3], generator: g) > 0).Narrow(1, 1, 2),
        };
        var index = Tensor.RandInt(0, rows, [count], g);
        var batch = Descent.Ops.IndexSelectBackward.Batch(tensors, index);
        Assert.Equal(tensors.Length, batch.Length);
        for (int i = 0; i < tensors.Length; i++)
        {
            var expected = tensors[i].IndexSelect(0, index);
            Assert.Equal(expected.Shape.ToArray(), batch[i].Shape.ToArray());
            Assert.Equal(expected.To(DType.Float64).ToArray<double>(), batch[i].To(DType.Float64).ToArray<double>());
        }
    }

    [Fact]
    public void ABatchWithATensorThatNeedsGradRecordsTheGather()
    {
        var x = Tensor.Arange(0, 12, dtype: DType.Float32).Reshape(6, 2);
        x.RequiresGrad = true;
        var y = Tensor.Arange(0, 6, dtype: DType.Float32);
        var batch = Descent.Ops.IndexSelectBackward.Batch([x, y], Tensor.From(new long[] { 5, 0, 5 }));
        Assert.Equal([10f, 11, 0, 1, 10, 11], batch[0].Detach().ToArray<float>());
        Assert.Equal([5f, 0, 5], batch[1].ToArray<float>());
        batch[0].Sum().Backward();
        Assert.Equal([1f, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void GathersRowsOfAView()
    {
        var x = Tensor.Arange(0, 12, dtype: DType.Float64).Reshape(3, 4).T; // 4 x 3, not contiguous
        var r = x.IndexSelect(0, Tensor.From(new long[] { 2, 2, 0 })).ToArray<double>();
        Assert.Equal([2.0, 6, 10, 2, 6, 10, 0, 4, 8], r);
    }
}
