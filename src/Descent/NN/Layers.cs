namespace Descent.NN;

/// <summary>Rectified linear unit, <c>max(x, 0)</c> elementwise (PyTorch's <c>nn.ReLU</c>). Shape: any → same.</summary>
public sealed class ReLU : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Relu(input);
}

/// <summary>Logistic sigmoid, <c>1 / (1 + e^-x)</c> elementwise (PyTorch's <c>nn.Sigmoid</c>). Shape: any → same.</summary>
public sealed class Sigmoid : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Sigmoid(input);
}

/// <summary>Hyperbolic tangent elementwise (PyTorch's <c>nn.Tanh</c>). Shape: any → same.</summary>
public sealed class Tanh : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Tanh(input);
}

/// <summary>Softmax along <see cref="Dim"/> (PyTorch's <c>nn.Softmax(dim)</c>); see <see cref="Functional.Softmax"/>. Shape: any → same.</summary>
/// <param name="dim">The dim whose entries sum to 1.</param>
public sealed class Softmax(int dim) : Module<Tensor, Tensor>
{
    /// <summary>The dim whose entries sum to 1.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Softmax(input, Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>Log of softmax along <see cref="Dim"/> (PyTorch's <c>nn.LogSoftmax(dim)</c>); see <see cref="Functional.LogSoftmax"/>. Shape: any → same.</summary>
/// <param name="dim">The dim to normalise over.</param>
public sealed class LogSoftmax(int dim) : Module<Tensor, Tensor>
{
    /// <summary>The dim to normalise over.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.LogSoftmax(input, Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>
/// Inverted dropout (PyTorch's <c>nn.Dropout(p)</c>): in training mode each element is zeroed with probability
/// <see cref="P"/> and the survivors are scaled by <c>1 / (1 - p)</c>, so evaluation mode, which passes the input
/// through unchanged, needs no rescaling. Shape: any → same.
/// </summary>
public sealed class Dropout : Module<Tensor, Tensor>
{
    private readonly Generator? _generator;

    /// <summary>A dropout layer dropping with probability <paramref name="p"/>, drawing its masks from <paramref name="generator"/> (the default generator when null).</summary>
    public Dropout(double p = 0.5, Generator? generator = null)
    {
        Functional.CheckDropoutP(p);
        P = p;
        _generator = generator;
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout(input, P, Training, _generator);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"p={PyRepr.Float(P)}, inplace=False";
}

/// <summary>
/// Flattens dims <see cref="StartDim"/> to <see cref="EndDim"/> into one (PyTorch's <c>nn.Flatten</c>); by default
/// every dim but the batch dim. Shape: (N, *) → (N, product of *).
/// </summary>
/// <param name="startDim">The first dim to flatten.</param>
/// <param name="endDim">The last dim to flatten.</param>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module<Tensor, Tensor>
{
    /// <summary>The first dim to flatten.</summary>
    public int StartDim { get; } = startDim;

    /// <summary>The last dim to flatten.</summary>
    public int EndDim { get; } = endDim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Flatten(StartDim, EndDim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}
