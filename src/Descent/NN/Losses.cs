namespace Descent.NN;

/// <summary>Mean squared error as a module (PyTorch's <c>nn.MSELoss</c>); see <see cref="Functional.MseLoss"/>.</summary>
/// <param name="reduction">How the per-element losses are combined.</param>
public sealed class MseLoss(Reduction reduction = Reduction.Mean) : Module<Tensor, Tensor, Tensor>
{
    /// <summary>How the per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>.</summary>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.MseLoss(input, target, Reduction);

    /// <inheritdoc/>
    protected override string GetName() => "MSELoss";
}

/// <summary>Mean absolute error as a module (PyTorch's <c>nn.L1Loss</c>); see <see cref="Functional.L1Loss"/>.</summary>
/// <param name="reduction">How the per-element losses are combined.</param>
public sealed class L1Loss(Reduction reduction = Reduction.Mean) : Module<Tensor, Tensor, Tensor>
{
    /// <summary>How the per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>.</summary>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.L1Loss(input, target, Reduction);
}

/// <summary>Huber loss as a module (PyTorch's <c>nn.HuberLoss</c>); see <see cref="Functional.HuberLoss"/>.</summary>
/// <param name="reduction">How the per-element losses are combined.</param>
/// <param name="delta">Where the loss turns from quadratic to linear.</param>
public sealed class HuberLoss(Reduction reduction = Reduction.Mean, double delta = 1.0) : Module<Tensor, Tensor, Tensor>
{
    /// <summary>How the per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public double Delta { get; } = delta;

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>.</summary>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.HuberLoss(input, target, Reduction, Delta);
}

/// <summary>Smooth L1 loss as a module (PyTorch's <c>nn.SmoothL1Loss</c>); see <see cref="Functional.SmoothL1Loss"/>.</summary>
/// <param name="reduction">How the per-element losses are combined.</param>
/// <param name="beta">Where the loss turns from quadratic to linear.</param>
public sealed class SmoothL1Loss(Reduction reduction = Reduction.Mean, double beta = 1.0) : Module<Tensor, Tensor, Tensor>
{
    /// <summary>How the per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public double Beta { get; } = beta;

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>.</summary>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.SmoothL1Loss(input, target, Reduction, Beta);
}

/// <summary>
/// Binary cross-entropy on logits as a module (PyTorch's <c>nn.BCEWithLogitsLoss</c>); see
/// <see cref="Functional.BinaryCrossEntropyWithLogits"/>. The weights are buffers, so they appear in the state dict.
/// </summary>
public sealed class BceWithLogitsLoss : Module<Tensor, Tensor, Tensor>
{
    /// <summary>A loss with optional per-element <paramref name="weight"/> and per-class <paramref name="posWeight"/>.</summary>
    public BceWithLogitsLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? posWeight = null)
    {
        Reduction = reduction;
        if (weight is not null) Weight = RegisterBuffer("weight", weight);
        if (posWeight is not null) PosWeight = RegisterBuffer("pos_weight", posWeight);
    }

    /// <summary>How the per-element losses are combined.</summary>
    public Reduction Reduction { get; }

    /// <summary>The weight of each element's loss, or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>The weight of positive examples per class, or null.</summary>
    public Tensor? PosWeight { get; }

    /// <summary>The loss of logits <paramref name="input"/> against 0/1 (or probability) <paramref name="target"/>.</summary>
    public override Tensor Forward(Tensor input, Tensor target) =>
        Functional.BinaryCrossEntropyWithLogits(input, target, Weight, Reduction, PosWeight);

    /// <inheritdoc/>
    protected override string GetName() => "BCEWithLogitsLoss";
}

/// <summary>
/// The part that <see cref="CrossEntropyLoss"/> and <see cref="NllLoss"/> share (PyTorch's <c>_WeightedLoss</c>):
/// optional class weights, kept as a buffer, an ignored target value and a reduction.
/// </summary>
public abstract class WeightedClassLoss : Module<Tensor, Tensor, Tensor>
{
    /// <summary>A loss with optional class <paramref name="weight"/>s, ignoring targets equal to <paramref name="ignoreIndex"/>.</summary>
    private protected WeightedClassLoss(Tensor? weight, long ignoreIndex, Reduction reduction)
    {
        Reduction = reduction;
        IgnoreIndex = ignoreIndex;
        if (weight is not null) Weight = RegisterBuffer("weight", weight);
    }

    /// <summary>How the per-sample losses are combined.</summary>
    public Reduction Reduction { get; }

    /// <summary>The target value that contributes nothing.</summary>
    public long IgnoreIndex { get; }

    /// <summary>The weight of each class, or null.</summary>
    public Tensor? Weight { get; }
}

/// <summary>
/// Cross-entropy of logits against classes as a module (PyTorch's <c>nn.CrossEntropyLoss</c>); see
/// <see cref="Functional.CrossEntropy"/>. The class weights are a buffer.
/// </summary>
/// <param name="weight">The weight of each class, or null.</param>
/// <param name="ignoreIndex">The target value that contributes nothing.</param>
/// <param name="reduction">How the per-sample losses are combined.</param>
/// <param name="labelSmoothing">The share ε of the uniform distribution mixed into the targets, from 0 to 1.</param>
public sealed class CrossEntropyLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean, double labelSmoothing = 0)
    : WeightedClassLoss(weight, ignoreIndex, reduction)
{
    /// <summary>The share of the uniform distribution mixed into the targets (PyTorch's <c>label_smoothing</c>).</summary>
    public double LabelSmoothing { get; } = labelSmoothing >= 0 && labelSmoothing <= 1
        ? labelSmoothing
        : throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, $"CrossEntropyLoss: labelSmoothing must be between 0 and 1, got {labelSmoothing}");

    /// <summary>The loss of logits <paramref name="input"/> against class indices <paramref name="target"/>.</summary>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.CrossEntropy(input, target, Weight, IgnoreIndex, Reduction, LabelSmoothing);
}

/// <summary>
/// Negative log-likelihood of log-probabilities against classes as a module (PyTorch's <c>nn.NLLLoss</c>); see
/// <see cref="Functional.NllLoss"/>. The class weights are a buffer.
/// </summary>
public sealed class NllLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    : WeightedClassLoss(weight, ignoreIndex, reduction)
{
    /// <summary>The loss of log-probabilities <paramref name="input"/> against class indices <paramref name="target"/>.</summary>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.NllLoss(input, target, Weight, IgnoreIndex, Reduction);

    /// <inheritdoc/>
    protected override string GetName() => "NLLLoss";
}
