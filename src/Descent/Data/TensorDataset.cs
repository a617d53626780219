namespace Descent.Data;

/// <summary>
/// A dataset whose sample <c>i</c> is row <c>i</c> of each of its tensors (PyTorch's <c>TensorDataset</c>): the
/// lesson's <c>TensorDataset(inputs, targets)</c>. Shape: every tensor (N, *), with the same N.
/// </summary>
public sealed class TensorDataset : IDataset<Tensor[]>
{
    private readonly Tensor[] _tensors;

    /// <summary>A dataset over <paramref name="tensors"/>, which must share their first dim.</summary>
    /// <exception cref="ShapeMismatchException">A tensor is zero-dim or the first dims differ.</exception>
    public TensorDataset(params Tensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("TensorDataset: give at least one tensor", nameof(tensors));
        foreach (var t in tensors)
        {
            ArgumentNullException.ThrowIfNull(t, nameof(tensors));
            if (t.Dim == 0) throw new ShapeMismatchException("TensorDataset: every tensor needs a first (sample) dim, got a zero-dim tensor");
            if (t.Size(0) != tensors[0].Size(0))
                throw new ShapeMismatchException($"TensorDataset: size mismatch between tensors: the first dims must be equal, got shapes {string.Join(" and ", tensors.Select(x => Shapes.Format(x.Shape)))}");
        }
        _tensors = [.. tensors];
    }

    /// <summary>The tensors, in the order given.</summary>
    public IReadOnlyList<Tensor> Tensors => _tensors;

    /// <inheritdoc/>
    public int Count => _tensors[0].Size(0);

    /// <summary>Row <paramref name="index"/> of each tensor, as views (PyTorch's <c>dataset[i]</c>).</summary>
    public Tensor[] this[int index]
    {
        get
        {
            if (index < 0 || index >= Count)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"TensorDataset: index {index} is out of range for {Count} samples");
            var row = new Tensor[_tensors.Length];
            for (int i = 0; i < row.Length; i++) row[i] = _tensors[i].Select(0, index);
            return row;
        }
    }
}
