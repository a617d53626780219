namespace Descent.Data;

/// <summary>
/// A collection of samples that can be counted and read by index (PyTorch's map-style <c>Dataset</c>, with
/// <c>__len__</c> as <see cref="Count"/> and <c>__getitem__</c> as the indexer).
/// </summary>
/// <typeparam name="T">The sample type; <see cref="DataLoader"/> batches datasets of <c>Tensor[]</c>.</typeparam>
public interface IDataset<out T>
{
    /// <summary>The number of samples.</summary>
    int Count { get; }

    /// <summary>Sample <paramref name="index"/>, from 0 to <see cref="Count"/> - 1.</summary>
    T this[int index] { get; }
}

/// <summary>Operations on datasets (PyTorch's <c>torch.utils.data</c> functions).</summary>
public static class Dataset
{
    /// <summary>
    /// Splits <paramref name="dataset"/> at random into non-overlapping subsets of the given lengths, which must
    /// add up to its count (PyTorch's <c>random_split</c>): one permutation of all indices, cut in order.
    /// </summary>
    public static Subset<T>[] RandomSplit<T>(IDataset<T> dataset, IReadOnlyList<int> lengths, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(lengths);
        long total = 0;
        foreach (var n in lengths)
        {
            if (n < 0) throw new ArgumentOutOfRangeException(nameof(lengths), n, "RandomSplit: lengths must not be negative");
            total += n;
        }
        if (total != dataset.Count)
            throw new ArgumentException($"RandomSplit: the lengths add up to {total} but the dataset has {dataset.Count} samples", nameof(lengths));
        var perm = (generator ?? Generator.Default).Permutation(dataset.Count);
        var subsets = new Subset<T>[lengths.Count];
        int at = 0;
        for (int i = 0; i < subsets.Length; i++)
        {
            var indices = new int[lengths[i]];
            for (int j = 0; j < indices.Length; j++) indices[j] = (int)perm[at + j];
            subsets[i] = new Subset<T>(dataset, indices);
            at += indices.Length;
        }
        return subsets;
    }

    /// <summary>
    /// Splits <paramref name="dataset"/> at random by fractions that add up to 1, such as <c>[0.8, 0.2]</c>, as
    /// PyTorch does: each subset gets <c>floor(count * fraction)</c> samples and the remaining samples go one each to
    /// the subsets in order.
    /// </summary>
    public static Subset<T>[] RandomSplit<T>(IDataset<T> dataset, IReadOnlyList<double> fractions, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(fractions);
        double sum = 0;
        foreach (var f in fractions)
        {
            if (!(f >= 0 && f <= 1)) throw new ArgumentOutOfRangeException(nameof(fractions), f, "RandomSplit: fractions must be between 0 and 1");
            sum += f;
        }
        if (fractions.Count == 0 || Math.Abs(sum - 1) > 1e-9 || sum > 1)
            throw new ArgumentException($"RandomSplit: the fractions must add up to 1, got {sum}", nameof(fractions));
        var lengths = new int[fractions.Count];
        int assigned = 0;
        for (int i = 0; i < lengths.Length; i++) assigned += lengths[i] = (int)Math.Floor(dataset.Count * fractions[i]);
        for (int i = 0; i < dataset.Count - assigned; i++) lengths[i % lengths.Length]++;
        return RandomSplit(dataset, lengths, generator);
    }
}

/// <summary>The samples of <see cref="Dataset"/> at <see cref="Indices"/> (PyTorch's <c>Subset</c>), as <see cref="Dataset.RandomSplit{T}(IDataset{T}, IReadOnlyList{int}, Generator?)"/> returns them.</summary>
/// <typeparam name="T">The sample type.</typeparam>
public sealed class Subset<T> : IDataset<T>
{
    private readonly int[] _indices;

    /// <summary>The samples of <paramref name="dataset"/> at <paramref name="indices"/>, in that order.</summary>
    public Subset(IDataset<T> dataset, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(indices);
        _indices = [.. indices];
        foreach (var i in _indices)
            if (i < 0 || i >= dataset.Count)
                throw new ArgumentOutOfRangeException(nameof(indices), i, $"Subset: index {i} is out of range for a dataset of {dataset.Count} samples");
        Dataset = dataset;
    }

    /// <summary>The whole dataset.</summary>
    public IDataset<T> Dataset { get; }

    /// <summary>The indices into <see cref="Dataset"/> of this subset's samples.</summary>
    public IReadOnlyList<int> Indices => _indices;

    /// <inheritdoc/>
    public int Count => _indices.Length;

    /// <inheritdoc/>
    public T this[int index] => Dataset[_indices[index]];
}
