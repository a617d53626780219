namespace Descent.NN;

/// <summary>
/// A fully connected layer, <c>y = x Wᵀ + b</c> (PyTorch's <c>nn.Linear</c>).
/// Shape: input (*, inFeatures) → output (*, outFeatures); <see cref="Weight"/> is (outFeatures, inFeatures) and
/// <see cref="Bias"/> (outFeatures).
/// </summary>
public sealed class Linear : Module<Tensor, Tensor>
{
    /// <summary>A layer with weight and bias initialised as PyTorch does (see <see cref="ResetParameters"/>).</summary>
    /// <param name="inFeatures">Size of each input sample.</param>
    /// <param name="outFeatures">Size of each output sample.</param>
    /// <param name="bias">Whether to learn an additive bias.</param>
    /// <param name="dtype">The parameters' dtype, float32 by default.</param>
    /// <param name="generator">The source of the initial values; the default generator when null.</param>
    public Linear(int inFeatures, int outFeatures, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegative(outFeatures);
        if (!dtype.IsFloatingPoint()) throw new DTypeMismatchException($"Linear: parameters must be floating point, got {dtype.Name()}");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", Tensor.Zeros([outFeatures, inFeatures], dtype));
        if (bias) Bias = RegisterParameter("bias", Tensor.Zeros([outFeatures], dtype));
        ResetParameters(generator);
    }

    /// <summary>The number of input features.</summary>
    public int InFeatures { get; }

    /// <summary>The number of output features.</summary>
    public int OutFeatures { get; }

    /// <summary>The learnable weight, shape (outFeatures, inFeatures).</summary>
    public Tensor Weight { get; }

    /// <summary>The learnable bias, shape (outFeatures), or null when built with <c>bias: false</c>.</summary>
    public Tensor? Bias { get; }

    /// <summary>
    /// Reinitialises the parameters in place as PyTorch's <c>reset_parameters</c>: the weight by
    /// <see cref="Init.KaimingUniform"/> with <c>a = sqrt(5)</c>, which is uniform in ±1/sqrt(inFeatures), and the
    /// bias uniform in ±1/sqrt(inFeatures).
    /// </summary>
    public void ResetParameters(Generator? generator = null)
    {
        Init.KaimingUniform(Weight, Math.Sqrt(5), generator);
        if (Bias is null) return;
        double bound = InFeatures > 0 ? 1 / Math.Sqrt(InFeatures) : 0;
        Init.Uniform(Bias, -bound, bound, generator);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"in_features={InFeatures}, out_features={OutFeatures}, bias={PyRepr.Bool(Bias is not null)}";
}
