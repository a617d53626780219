using CsCheck;
using Descent.Data;
using Xunit;

namespace Descent.Tests.Data;

public class DataLoaderTests
{
    /// <summary>n rows: x row i is (i, 10 i), y row i is i + 0.5, so every row says where it came from.</summary>
    private static TensorDataset Rows(int n)
    {
        var x = new float[n, 2];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i, 0] = i;
            x[i, 1] = 10 * i;
            y[i] = i + 0.5f;
        }
        return new TensorDataset(Tensor.From(x), Tensor.From(y));
    }

    /// <summary>The row ids of one epoch, batch by batch, checking that x and y stay paired.</summary>
    private static List<int[]> Epoch(IEnumerable<Tensor[]> loader)
    {
        var batches = new List<int[]>();
        foreach (var (x, y) in loader)
        {
            var xs = x.ToArray<float>();
            var ys = y.ToArray<float>();
            var ids = new int[ys.Length];
            for (int j = 0; j < ids.Length; j++)
            {
                ids[j] = (int)xs[2 * j];
                Assert.Equal(10f * ids[j], xs[2 * j + 1]);
                Assert.Equal(ids[j] + 0.5f, ys[j]);
            }
            batches.Add(ids);
        }
        return batches;
    }

    [Fact]
    public void TensorDatasetIndexesRowsAndChecksFirstDims()
    {
        var data = Rows(4);
        Assert.Equal(4, data.Count);
        var (x, y) = data[2];
        Assert.Equal([2f, 20f], x.ToArray<float>());
        Assert.Equal(2.5f, y.Item<float>());
        var ex = Assert.Throws<ShapeMismatchException>(() => new TensorDataset(Tensor.Zeros(4, 2), Tensor.Zeros(3)));
        Assert.Contains("[4, 2]", ex.Message);
        Assert.Contains("[3]", ex.Message);
        Assert.Throws<ShapeMismatchException>(() => new TensorDataset(Tensor.Scalar(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => data[4]);
    }

    [Fact]
    public void WithoutShuffleBatchesAreInOrderViewsOfTheData()
    {
        var data = Rows(15);
        var loader = new DataLoader(data, batchSize: 5);
        Assert.Equal(3, loader.Count);
        var batches = Epoch(loader);
        Assert.Equal([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11, 12, 13, 14]], batches);
        var first = loader.First();
        Assert.Same(data.Tensors[0].Storage, first[0].Storage);
        Assert.Same(data.Tensors[1].Storage, first[1].Storage);
    }

    [Fact]
    public void InOrderBatchesRefuseInPlaceChangesThatWouldChangeTheData()
    {
        var x = Tensor.Arange(0, 12, dtype: DType.Float32).Reshape(6, 2);
        var y = Tensor.Arange(0, 6, dtype: DType.Float32);
        var loader = new DataLoader(new TensorDataset(x, y), batchSize: 3);
        var batch = loader.First();
        var e = Assert.Throws<InvalidOperationException>(() => batch[0].MulInPlace(2));
        Assert.Contains("DataLoader's dataset", e.Message);
        Assert.Contains("Clone()", e.Message);
        // Views of the batch, and the batch detached, share the data too.
        Assert.Throws<InvalidOperationException>(() => batch[0].Narrow(0, 1, 1).ZeroInPlace());
        Assert.Throws<InvalidOperationException>(() => batch[0].Reshape(6).AddInPlace(1));
        Assert.Throws<InvalidOperationException>(() => batch[0].T.FillInPlace(1));
        Assert.Throws<InvalidOperationException>(() => batch[1].Detach().SubInPlace(1));
        Assert.Throws<InvalidOperationException>(() => batch[1].CopyInPlace(Tensor.Zeros(3)));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (float)i), x.ToArray<float>());
        // A clone is the caller's own; the dataset itself stays changeable.
        var mine = batch[0].Clone().MulInPlace(2);
        Assert.Equal([0f, 2, 4, 6, 8, 10], mine.ToArray<float>());
        x.AddInPlace(1);
        Assert.Equal(1f, x.ToArray<float>()[0]);
        // Shuffled batches are copies already.
        var shuffled = new DataLoader(new TensorDataset(x, y), batchSize: 3, shuffle: true, generator: new Generator(1)).First();
        shuffled[0].MulInPlace(0);
        Assert.Equal(1f, x.ToArray<float>()[0]);
    }

    [Fact]
    public void TheLastBatchIsShortUnlessDropped()
    {
        var data = Rows(15);
        Assert.Equal([4, 4, 4, 3], Epoch(new DataLoader(data, 4)).Select(b => b.Length));
        Assert.Equal([4, 4, 4], Epoch(new DataLoader(data, 4, dropLast: true)).Select(b => b.Length));
        Assert.Equal(3, new DataLoader(data, 4, dropLast: true).Count);
        Assert.Equal(4, new DataLoader(data, 4).Count);
        Assert.Empty(Epoch(new DataLoader(data, 16, dropLast: true)));
        Assert.Equal([15], Epoch(new DataLoader(data, 16)).Select(b => b.Length));
    }

    [Fact]
    public void ShuffleIsReproducibleWithASeedAndDiffersAcrossEpochs()
    {
        var data = Rows(20);
        var loader = new DataLoader(data, 6, shuffle: true, generator: new Generator(123));
        var epoch1 = Epoch(loader).SelectMany(b => b).ToArray();
        var epoch2 = Epoch(loader).SelectMany(b => b).ToArray();
        Assert.Equal(Enumerable.Range(0, 20), epoch1.Order());
        Assert.Equal(Enumerable.Range(0, 20), epoch2.Order());
        Assert.NotEqual(epoch1, epoch2);
        Assert.NotEqual(Enumerable.Range(0, 20), epoch1);

        var again = new DataLoader(data, 6, shuffle: true, generator: new Generator(123));
        Assert.Equal(epoch1, Epoch(again).SelectMany(b => b));
        Assert.Equal(epoch2, Epoch(again).SelectMany(b => b));
        var other = new DataLoader(data, 6, shuffle: true, generator: new Generator(124));
        Assert.NotEqual(epoch1, Epoch(other).SelectMany(b => b));
    }

    [Fact]
    public void EachEpochFollowsTheGeneratorsPermutationEvenWhenEpochsOverlapOrStopEarly()
    {
        // The loader reuses the order array of a finished epoch: overlapping and abandoned epochs must not share one.
        var data = Rows(50);
        var loader = new DataLoader(data, 7, shuffle: true, generator: new Generator(5));
        var twin = new Generator(5);
        var first = Epoch(loader).SelectMany(b => b);
        Assert.Equal(twin.Permutation(50).Select(i => (int)i), first);

        var outerOrder = twin.Permutation(50).Select(i => (int)i).ToArray();
        var innerOrders = new List<int[]>();
        var outer = new List<int>();
        int k = 0;
        foreach (var (x, _) in loader)
        {
            outer.AddRange(x.ToArray<float>().Where((_, j) => j % 2 == 0).Select(v => (int)v));
            if (k++ < 2)
            {
                innerOrders.Add(twin.Permutation(50).Select(i => (int)i).ToArray());
                Assert.Equal(innerOrders[^1], Epoch(loader).SelectMany(b => b));
            }
        }
        Assert.Equal(outerOrder, outer);

        // An epoch left after one batch, then a whole one.
        var abandoned = twin.Permutation(50).Select(i => (int)i).ToArray();
        using (var e = loader.GetEnumerator())
        {
            Assert.True(e.MoveNext());
            Assert.Equal(abandoned.Take(7), e.Current[0].ToArray<float>().Where((_, j) => j % 2 == 0).Select(v => (int)v));
        }
        Assert.Equal(twin.Permutation(50).Select(i => (int)i), Epoch(loader).SelectMany(b => b));
    }

    [Fact]
    public void EveryRowOncePerEpochForAnySizeBatchAndOptions()
    {
        Gen.Select(Gen.Int[0, 40], Gen.Int[1, 12], Gen.Bool, Gen.Bool, Gen.Long).Sample((n, batch, shuffle, dropLast, seed) =>
        {
            var loader = new DataLoader(Rows(n), batch, shuffle, dropLast, new Generator(seed));
            for (int epoch = 0; epoch < 2; epoch++)
            {
                var batches = Epoch(loader);
                int expected = dropLast ? n / batch * batch : n;
                Assert.Equal(loader.Count, batches.Count);
                Assert.All(batches, b => Assert.InRange(b.Length, 1, batch));
                Assert.All(batches.SkipLast(1), b => Assert.Equal(batch, b.Length));
                var ids = batches.SelectMany(b => b).ToArray();
                Assert.Equal(expected, ids.Length);
                Assert.Equal(ids.Length, ids.Distinct().Count());
                if (!dropLast) Assert.Equal(Enumerable.Range(0, n), ids.Order());
                if (!shuffle) Assert.Equal(Enumerable.Range(0, expected), ids);
            }
        }, iter: 200);
    }

    [Fact]
    public void RandomSplitPartitionsReproducibly()
    {
        var data = Rows(15);
        var parts = Dataset.RandomSplit(data, [12, 3], new Generator(5));
        Assert.Equal([12, 3], parts.Select(p => p.Count));
        var all = parts.SelectMany(p => p.Indices).ToArray();
        Assert.Equal(Enumerable.Range(0, 15), all.Order());
        Assert.NotEqual(Enumerable.Range(0, 15), all);
        Assert.Equal(all, Dataset.RandomSplit(data, [12, 3], new Generator(5)).SelectMany(p => p.Indices));
        var (x, _) = parts[1][0];
        Assert.Equal((float)parts[1].Indices[0], x[0].Item<float>());
        Assert.Contains("add up to 14", Assert.Throws<ArgumentException>(() => Dataset.RandomSplit(data, [12, 2])).Message);
    }

    [Fact]
    public void RandomSplitByFractionsDistributesTheRemainderAsPyTorch()
    {
        Assert.Equal([12, 3], Dataset.RandomSplit(Rows(15), [0.8, 0.2], new Generator(1)).Select(p => p.Count));
        // Lengths as PyTorch 1.13 computes them: floor(n * fraction) each, then the rest one by one from the first subset.
        Assert.Equal([3, 3, 4], Dataset.RandomSplit(Rows(10), [0.3, 0.3, 0.4], new Generator(1)).Select(p => p.Count));
        Assert.Equal([3, 3, 3, 2], Dataset.RandomSplit(Rows(11), [0.25, 0.25, 0.25, 0.25], new Generator(1)).Select(p => p.Count));
        Assert.Equal([3, 2, 2], Dataset.RandomSplit(Rows(7), [0.34, 0.33, 0.33], new Generator(1)).Select(p => p.Count));
        Assert.Throws<ArgumentException>(() => Dataset.RandomSplit(Rows(10), [0.5, 0.4]));
    }

    [Fact]
    public void LoadersOverSubsetsGatherTheSubsetsRows()
    {
        var data = Rows(15);
        var parts = Dataset.RandomSplit(data, [0.8, 0.2], new Generator(9));
        var train = Epoch(new DataLoader(parts[0], 5)).SelectMany(b => b).ToArray();
        Assert.Equal(parts[0].Indices, train);
        var nested = new Subset<Tensor[]>(parts[0], [3, 0]);
        Assert.Equal([parts[0].Indices[3], parts[0].Indices[0]], Epoch(new DataLoader(nested, 2)).Single());
        var shuffled = Epoch(new DataLoader(parts[1], 2, shuffle: true, generator: new Generator(2))).SelectMany(b => b);
        Assert.Equal(parts[1].Indices.Order(), shuffled.Order());
    }

    private sealed class Squares(int n) : IDataset<Tensor[]>
    {
        public int Count => n;

        public Tensor[] this[int index] => [Tensor.From(new float[] { index, 10 * index }), Tensor.Scalar(index + 0.5)];
    }

    [Fact]
    public void OtherDatasetsAreStackedSampleBySample()
    {
        var batches = Epoch(new DataLoader(new Squares(7), 3, shuffle: true, generator: new Generator(3)));
        Assert.Equal([3, 3, 1], batches.Select(b => b.Length));
        Assert.Equal(Enumerable.Range(0, 7), batches.SelectMany(b => b).Order());
        var (x, y) = new DataLoader(new Squares(4), 4).Single();
        Assert.Equal([4, 2], x.Shape.ToArray());
        Assert.Equal([4], y.Shape.ToArray());
    }

    [Fact]
    public void DeconstructNeedsTheRightNumberOfTensors()
    {
        var (a, b, c) = new[] { Tensor.Ones(1), Tensor.Zeros(1), Tensor.Ones(2) };
        Assert.Equal(2, c.Count);
        Assert.Equal(0f, b.Item<float>());
        Assert.Equal(1f, a.Item<float>());
        Assert.Contains("holds 3 tensor(s), not 2", Assert.Throws<ArgumentException>(() =>
        {
            var (x, y) = new[] { Tensor.Ones(1), Tensor.Ones(1), Tensor.Ones(1) };
        }).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Rows(3), 0));
    }
}
