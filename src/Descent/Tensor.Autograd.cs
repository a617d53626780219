using Descent.Autograd;

namespace Descent;

public sealed partial class Tensor
{
    /// <summary>
    /// Computes the gradient of this one-element tensor (a loss) with respect to every leaf that requires grad,
    /// adding it into their <see cref="Grad"/>. The graph is freed afterwards unless <paramref name="retainGraph"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">This tensor has more than one element (pass a gradient, or reduce it
    /// first); it does not require grad; the graph was freed by an earlier backward; or a tensor saved for backward was
    /// changed in place since (the message names its shape and both versions).</exception>
    public void Backward(bool retainGraph = false)
    {
        if (Count != 1)
            throw new InvalidOperationException($"Backward: grad can be created implicitly only for a tensor with one element, but this one has shape {Shapes.Format(Shape)}; pass a gradient of that shape, or reduce it first (Sum() or Mean())");
        Engine.Backward(this, OnesLike(this), retainGraph);
    }

    /// <summary>Backward from a tensor of any shape, given the gradient of some scalar with respect to it (PyTorch's <c>backward(gradient)</c>).</summary>
    /// <exception cref="ShapeMismatchException"><paramref name="gradient"/> does not have this tensor's shape.</exception>
    /// <exception cref="InvalidOperationException">As for <see cref="Backward(bool)"/>, apart from the element count.</exception>
    public void Backward(Tensor gradient, bool retainGraph = false)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        if (!gradient.SameShape(this))
            throw new ShapeMismatchException($"Backward: the gradient has shape {Shapes.Format(gradient.Shape)} but the tensor has shape {Shapes.Format(Shape)}");
        Engine.Backward(this, gradient.Detach().To(DType), retainGraph);
    }

    /// <summary>
    /// A scope in which operations are not recorded for backward (PyTorch's <c>torch.no_grad()</c>):
    /// <c>using (Tensor.NoGrad()) { w.SubInPlace(w.Grad! * lr); }</c>. Nestable and per thread.
    /// </summary>
    public static GradMode.Scope NoGrad() => GradMode.Set(false);

    /// <summary>A scope in which recording is on again, inside a <see cref="NoGrad"/> (PyTorch's <c>torch.enable_grad()</c>).</summary>
    public static GradMode.Scope EnableGrad() => GradMode.Set(true);

    /// <summary>True when operations are recorded on this thread (PyTorch's <c>torch.is_grad_enabled()</c>).</summary>
    public static bool IsGradEnabled => GradMode.IsEnabled;
}
