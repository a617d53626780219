using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Descent.IO;

/// <summary>
/// The contents of a safetensors file: its tensors by name, in ordinal name order, and the free-form
/// <c>__metadata__</c> string map (empty when the file has none). It is a read-only dictionary of the tensors, so it
/// can be passed straight to a state-dict loader.
/// </summary>
public sealed class SafetensorsFile : IReadOnlyDictionary<string, Tensor>
{
    private readonly SortedDictionary<string, Tensor> _tensors;

    internal SafetensorsFile(SortedDictionary<string, Tensor> tensors, SortedDictionary<string, string> metadata)
    {
        _tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The tensors by name, in ordinal name order.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors => _tensors;

    /// <summary>The file's <c>__metadata__</c> map, in ordinal key order; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor named <paramref name="name"/>; throws <see cref="KeyNotFoundException"/> naming it when absent.</summary>
    public Tensor this[string name] => _tensors.TryGetValue(name, out var t) ? t
        : throw new KeyNotFoundException($"the file has no tensor named '{name}' (it has {string.Join(", ", _tensors.Keys.Select(k => $"'{k}'"))})");

    /// <summary>The tensor names in ordinal order.</summary>
    public IEnumerable<string> Keys => _tensors.Keys;

    /// <summary>The tensors in name order.</summary>
    public IEnumerable<Tensor> Values => _tensors.Values;

    /// <summary>The number of tensors.</summary>
    public int Count => _tensors.Count;

    /// <summary>True when the file has a tensor named <paramref name="key"/>.</summary>
    public bool ContainsKey(string key) => _tensors.ContainsKey(key);

    /// <summary>Gets the tensor named <paramref name="key"/> if there is one.</summary>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out Tensor value) => _tensors.TryGetValue(key, out value);

    /// <summary>Enumerates the tensors in name order.</summary>
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => _tensors.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
