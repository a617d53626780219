using Descent.Autograd;

namespace Descent.NN;

/// <summary>
/// Stateless layers, activations and losses (PyTorch's <c>torch.nn.functional</c>, usually imported as <c>F</c>;
/// in C#: <c>using F = Descent.NN.Functional;</c>). Each is composed from differentiable tensor operations, so none
/// needs backward code of its own.
/// </summary>
public static partial class Functional
{
    /// <summary>
    /// <c>input @ weightᵀ + bias</c> (PyTorch's <c>F.linear</c>).
    /// Shape: input (*, in), weight (out, in), bias (out) → (*, out).
    /// </summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ValidateLinear(input, weight, bias);
        if (Ops.AddmmBackward.Applies(input, weight, bias)) return Ops.AddmmBackward.Forward(input, weight, bias);
        var y = input.MatMul(weight.T);
        return bias is null ? y : y + bias;
    }

    private static void ValidateLinear(Tensor input, Tensor weight, Tensor? bias)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Dim != 2)
            throw new ShapeMismatchException($"Linear: the weight must have 2 dims (out, in), got shape {Shapes.Format(weight.Shape)}");
        if (input.Dim == 0 || input.Size(-1) != weight.Size(1))
            throw new ShapeMismatchException($"Linear: the input's last dim must be {weight.Size(1)} (the weight has shape {Shapes.Format(weight.Shape)}), got input shape {Shapes.Format(input.Shape)}");
        if (bias is not null && (bias.Dim != 1 || bias.Size(0) != weight.Size(0)))
            throw new ShapeMismatchException($"Linear: the bias must have shape [{weight.Size(0)}], got {Shapes.Format(bias.Shape)}");
        // PyTorch refuses mixed dtypes here too ("mat1 and mat2 must have the same dtype"); naming Linear and the fix
        // helps more than the MatMul underneath, for the common case of float64 data into a float32 layer.
        if (input.DType != weight.DType)
            throw new DTypeMismatchException($"Linear: the input is {input.DType.Name()} but the weight is {weight.DType.Name()}; convert the input with To(DType.{weight.DType})");
        if (bias is not null && bias.DType != weight.DType)
            throw new DTypeMismatchException($"Linear: the bias is {bias.DType.Name()} but the weight is {weight.DType.Name()}; they must have one dtype");
    }

    /// <summary><c>max(x, 0)</c> elementwise (PyTorch's <c>F.relu</c>).</summary>
    public static Tensor Relu(Tensor input) => input.Relu();

    /// <summary><c>1 / (1 + e^-x)</c> elementwise (PyTorch's <c>F.sigmoid</c>, <c>torch.sigmoid</c>).</summary>
    public static Tensor Sigmoid(Tensor input) => input.Sigmoid();

    /// <summary>Hyperbolic tangent elementwise (PyTorch's <c>F.tanh</c>, <c>torch.tanh</c>).</summary>
    public static Tensor Tanh(Tensor input) => input.Tanh();

    /// <summary>
    /// <c>exp(x) / sum(exp(x))</c> along <paramref name="dim"/> (PyTorch's <c>F.softmax(x, dim)</c>), computed as
    /// <c>exp(x - max)</c> over its sum so that large inputs do not overflow. Shape: any → same.
    /// </summary>
    public static Tensor Softmax(Tensor input, int dim)
    {
        var e = Shifted(input, dim, "Softmax").Exp();
        return e / e.Sum(dim, keepDim: true);
    }

    /// <summary>
    /// <c>log(softmax(x))</c> along <paramref name="dim"/> (PyTorch's <c>F.log_softmax(x, dim)</c>), computed as
    /// <c>(x - max) - log(sum(exp(x - max)))</c>, which stays finite where the softmax underflows to 0. Shape: any → same.
    /// </summary>
    public static Tensor LogSoftmax(Tensor input, int dim)
    {
        var s = Shifted(input, dim, "LogSoftmax");
        return s - s.Exp().Sum(dim, keepDim: true).Log();
    }

    /// <summary>
    /// <c>x - max(x)</c> along <paramref name="dim"/>. The max is a constant to autograd: softmax does not change when
    /// its input is shifted, so the true derivative through the shift is zero and recording it would only add work.
    /// </summary>
    private static Tensor Shifted(Tensor input, int dim, string op)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!input.DType.IsFloatingPoint())
            throw new DTypeMismatchException($"{op}: needs a floating-point tensor, got {input.DType.Name()}; convert with To(DType.Float32)");
        if (input.Count == 0) return input;
        Tensor max;
        using (GradMode.Set(false)) max = input.Max(dim, keepDim: true).Values;
        return input - max;
    }

    /// <summary>
    /// Inverted dropout (PyTorch's <c>F.dropout</c>): when <paramref name="training"/>, zeroes each element with
    /// probability <paramref name="p"/> and scales the rest by <c>1 / (1 - p)</c>; otherwise returns the input.
    /// </summary>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckDropoutP(p);
        if (!training || p == 0) return input;
        if (p == 1) return input * 0.0;
        var keep = Tensor.Rand(input.ShapeArray, input.DType, generator: generator).Lt(1 - p);
        return input * (keep.To(input.DType) / (1 - p));
    }

    internal static void CheckDropoutP(double p)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"Dropout: the probability must be between 0 and 1, got {p}");
    }
}
