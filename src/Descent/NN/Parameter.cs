namespace Descent.NN;

/// <summary>
/// Makes trainable tensors (PyTorch's <c>nn.Parameter</c>). <see cref="Tensor"/> is sealed, so a parameter is not
/// a subclass: it is a plain leaf tensor with <see cref="Tensor.RequiresGrad"/> set, and what makes it a module's
/// parameter is <c>RegisterParameter</c> in that module's constructor.
/// </summary>
public static class Parameter
{
    /// <summary>
    /// A leaf tensor sharing <paramref name="data"/>'s storage, cut from any graph, with
    /// <see cref="Tensor.RequiresGrad"/> set to <paramref name="requiresGrad"/> (PyTorch's <c>nn.Parameter(data)</c>).
    /// </summary>
    public static Tensor Create(Tensor data, bool requiresGrad = true)
    {
        ArgumentNullException.ThrowIfNull(data);
        var p = data.Detach();
        p.RequiresGrad = requiresGrad;
        return p;
    }
}
