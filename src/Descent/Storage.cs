namespace Descent;

/// <summary>
/// The flat buffer behind one or more tensors. Views share a storage, and so share its version counter:
/// every in-place write bumps it, which is how autograd notices that a tensor it saved was changed
/// (see docs/notes/autograd-engine.md).
/// </summary>
internal sealed class Storage(Array data, DType dtype)
{
    public readonly Array Data = data;
    public readonly DType DType = dtype;
    public int Version;

    public int Length => Data.Length;

    public static Storage Allocate(DType dtype, int length, bool zeroed = true) => new(dtype.NewArray(length, zeroed), dtype);
}
