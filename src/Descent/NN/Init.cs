using Descent.Autograd;

namespace Descent.NN;

/// <summary>
/// In-place initialisers for parameters (PyTorch's <c>torch.nn.init</c>). Each fills the tensor without recording
/// gradients and returns it.
/// </summary>
public static class Init
{
    /// <summary>Fills <paramref name="tensor"/> with samples uniform in [<paramref name="low"/>, <paramref name="high"/>) (PyTorch's <c>uniform_(a, b)</c>).</summary>
    public static Tensor Uniform(Tensor tensor, double low = 0, double high = 1, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!tensor.DType.IsFloatingPoint())
            throw new DTypeMismatchException($"Uniform: needs a floating-point tensor, got {tensor.DType.Name()}");
        if (high < low) throw new ArgumentException($"Uniform: low ({low}) must not exceed high ({high})");
        using (GradMode.Set(false))
        {
            var u = Tensor.Rand(tensor.ShapeArray, tensor.DType, generator: generator);
            tensor.CopyInPlace(u * (high - low) + low);
        }
        return tensor;
    }

    /// <summary>
    /// Kaiming (He) uniform initialisation in fan-in mode for a leaky ReLU of negative slope <paramref name="a"/>
    /// (PyTorch's <c>kaiming_uniform_(tensor, a)</c>): uniform in ±bound with
    /// <c>bound = sqrt(3) * sqrt(2 / (1 + a²)) / sqrt(fanIn)</c>. A tensor with fan-in 0 is left as it is, as PyTorch does.
    /// </summary>
    public static Tensor KaimingUniform(Tensor tensor, double a = 0, Generator? generator = null)
    {
        var (fanIn, _) = CalculateFanInAndFanOut(tensor);
        if (tensor.Count == 0 || fanIn == 0) return tensor;
        double gain = Math.Sqrt(2.0 / (1 + a * a));
        double bound = Math.Sqrt(3.0) * (gain / Math.Sqrt(fanIn));
        return Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>Fills <paramref name="tensor"/> with <paramref name="value"/> (PyTorch's <c>constant_</c>).</summary>
    public static Tensor Constant(Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using (GradMode.Set(false)) tensor.FillInPlace(value);
        return tensor;
    }

    /// <summary>Fills <paramref name="tensor"/> with zeros (PyTorch's <c>zeros_</c>).</summary>
    public static Tensor Zeros(Tensor tensor) => Constant(tensor, 0);

    /// <summary>
    /// The fan-in and fan-out of a weight of at least 2 dims (PyTorch's <c>_calculate_fan_in_and_fan_out</c>): for
    /// a Linear weight of shape (out, in) they are in and out; further dims (a convolution's kernel) multiply both.
    /// </summary>
    public static (int FanIn, int FanOut) CalculateFanInAndFanOut(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Dim < 2)
            throw new ArgumentException($"CalculateFanInAndFanOut: fan in and fan out cannot be computed for a tensor with fewer than 2 dims (shape {Shapes.Format(tensor.Shape)})");
        int receptive = 1;
        for (int i = 2; i < tensor.Dim; i++) receptive *= tensor.Shape[i];
        return (tensor.Shape[1] * receptive, tensor.Shape[0] * receptive);
    }
}
