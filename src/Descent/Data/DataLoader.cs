using System.Collections;
using Descent.Ops;

namespace Descent.Data;

/// <summary>
/// Batches of a dataset, one epoch per enumeration (PyTorch's <c>DataLoader</c>):
/// <c>foreach (var (x, y) in new DataLoader(dataset, batchSize: 5)) ...</c>. Each batch holds one tensor per
/// tensor of the samples, with the samples stacked along a new first dim.
/// </summary>
/// <remarks>
/// For a <see cref="TensorDataset"/>, and any <see cref="Subset{T}"/> of one, a batch is cut from the whole
/// tensors at once: in order without shuffling, a batch is a view (<see cref="Tensor.Narrow"/>) that shares the
/// dataset's storage, and in-place changes to it are refused, since they would change the dataset (PyTorch's
/// DataLoader hands out copies; <see cref="Tensor.Clone"/> one to change it); otherwise one
/// <see cref="Tensor.IndexSelect"/> per tensor gathers the batch's rows. Other
/// datasets are read sample by sample and stacked, as PyTorch's default collate does.
/// With <c>shuffle</c>, every enumeration draws a new permutation from the generator, so epochs differ from each
/// other and a seeded generator repeats the same sequence of epochs.
/// </remarks>
public sealed class DataLoader : IEnumerable<Tensor[]>
{
    private readonly Generator? _generator;

    /// <summary>A loader over <paramref name="dataset"/>.</summary>
    /// <param name="dataset">The samples; each is an array of tensors of one shape per position.</param>
    /// <param name="batchSize">The number of samples per batch.</param>
    /// <param name="shuffle">Visit the samples in a new random order every epoch.</param>
    /// <param name="dropLast">Drop the last batch when it is smaller than <paramref name="batchSize"/>.</param>
    /// <param name="generator">The source of the shuffling order; the default generator when null.</param>
    public DataLoader(IDataset<Tensor[]> dataset, int batchSize = 1, bool shuffle = false, bool dropLast = false, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        _generator = generator;
    }

    /// <summary>The dataset.</summary>
    public IDataset<Tensor[]> Dataset { get; }

    /// <summary>The number of samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the samples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a last batch smaller than <see cref="BatchSize"/> is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>The number of batches per epoch (PyTorch's <c>len(loader)</c>).</summary>
    public int Count => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>Enumerates one epoch of batches; with shuffling, draws this epoch's order first.</summary>
    public IEnumerator<Tensor[]> GetEnumerator()
    {
        int n = Dataset.Count;
        int[]? order = null;
        if (Shuffle)
        {
            // The order of the epoch before, when no other enumeration holds it: a fresh array of a million entries
            // costs more in page faults than the shuffle itself.
            order = Interlocked.Exchange(ref _spareOrder, null);
            if (order is null || order.Length != n) order = new int[n];
            (_generator ?? Generator.Default).Permute(order);
        }
        return Batches(n, order);
    }

    private int[]? _spareOrder;

    private IEnumerator<Tensor[]> Batches(int n, int[]? order)
    {
        var (root, map) = Resolve(Dataset);
        int batches = Count;
        try
        {
            for (int b = 0; b < batches; b++)
            {
                int start = b * BatchSize, length = Math.Min(BatchSize, n - start);
                if (root is not null && order is null && map is null)
                {
                    yield return Slice(root, start, length);
                    continue;
                }
                var indices = new long[length];
                for (int j = 0; j < length; j++)
                {
                    long i = order is null ? start + j : order[start + j];
                    indices[j] = map is null ? i : map[i];
                }
                yield return root is not null ? Gather(root, indices) : Collate(indices);
            }
        }
        finally
        {
            if (order is not null) _spareOrder = order;
        }
    }

    private const string SharedDataset = "a DataLoader's dataset (a batch taken in order, without shuffling)";

    private static Tensor[] Slice(TensorDataset data, int start, int length)
    {
        var batch = new Tensor[data.Tensors.Count];
        for (int i = 0; i < batch.Length; i++)
            batch[i] = data.Tensors[i].Narrow(0, start, length).SharedWith(SharedDataset);
        return batch;
    }

    private static Tensor[] Gather(TensorDataset data, long[] indices)
    {
        return IndexSelectBackward.Batch(data.Tensors, Tensor.From(indices));
    }

    private Tensor[] Collate(long[] indices)
    {
        var samples = new Tensor[indices.Length][];
        for (int j = 0; j < indices.Length; j++) samples[j] = Dataset[(int)indices[j]];
        int width = samples[0].Length;
        var batch = new Tensor[width];
        for (int i = 0; i < width; i++)
        {
            var column = new Tensor[samples.Length];
            for (int j = 0; j < samples.Length; j++)
            {
                if (samples[j].Length != width)
                    throw new InvalidOperationException($"DataLoader: sample {indices[j]} has {samples[j].Length} tensors but sample {indices[0]} has {width}; every sample needs the same number");
                column[j] = samples[j][i];
            }
            batch[i] = Tensor.Stack(column);
        }
        return batch;
    }

    /// <summary>The tensor dataset under a chain of subsets, with the composed index map (null for the identity).</summary>
    private static (TensorDataset? Root, int[]? Map) Resolve(IDataset<Tensor[]> dataset)
    {
        int[]? map = null;
        while (true)
        {
            switch (dataset)
            {
                case TensorDataset t:
                    return (t, map);
                case Subset<Tensor[]> s:
                    var inner = s.Indices;
                    var composed = new int[map?.Length ?? inner.Count];
                    for (int i = 0; i < composed.Length; i++) composed[i] = inner[map is null ? i : map[i]];
                    map = composed;
                    dataset = s.Dataset;
                    break;
                default:
                    return (null, null);
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Deconstruction of a batch into its tensors: <c>foreach (var (x, y) in loader)</c>.</summary>
public static class BatchExtensions
{
    /// <summary>The two tensors of a batch of (input, target) pairs.</summary>
    /// <exception cref="ArgumentException">The batch does not hold exactly two tensors.</exception>
    public static void Deconstruct(this Tensor[] batch, out Tensor first, out Tensor second)
    {
        Check(batch, 2);
        first = batch[0];
        second = batch[1];
    }

    /// <summary>The three tensors of a batch of triples.</summary>
    /// <exception cref="ArgumentException">The batch does not hold exactly three tensors.</exception>
    public static void Deconstruct(this Tensor[] batch, out Tensor first, out Tensor second, out Tensor third)
    {
        Check(batch, 3);
        first = batch[0];
        second = batch[1];
        third = batch[2];
    }

    private static void Check(Tensor[] batch, int n)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Length != n)
            throw new ArgumentException($"Deconstruct: the batch holds {batch.Length} tensor(s), not {n}; index it instead", nameof(batch));
    }
}
