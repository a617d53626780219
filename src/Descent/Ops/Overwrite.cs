using Descent.Autograd;

namespace Descent.Ops;

/// <summary>
/// The history of a tensor after an in-place fill or copy (PyTorch's <c>FillBackward0</c>, <c>CopyBackwards</c>):
/// its old values are gone, so its old history gets a zero gradient, and the copied source gets the gradient,
/// summed back to the source's shape and converted to its dtype.
/// </summary>
internal sealed class OverwriteBackward(string name, int[] sourceShape, DType sourceDType) : Node
{
    public override string Name => name;

    /// <summary>Records the overwrite of <paramref name="target"/>, whose values already came from <paramref name="source"/> (or a constant when null).</summary>
    public static void Record(string name, Tensor target, Tensor? source)
    {
        var node = new OverwriteBackward(name, source?.ShapeArray ?? [], source?.DType ?? target.DType);
        if (source is null) node.Attach(target, target);
        else node.Attach(target, target, source);
    }

    internal override Tensor?[] Apply(Tensor g) =>
    [
        NeedsGrad(0) ? Tensor.ZerosLike(g) : null,
        NeedsGrad(1) ? g.SumToShape(sourceShape).To(sourceDType) : null,
    ];
}
