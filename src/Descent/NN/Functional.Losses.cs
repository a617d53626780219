namespace Descent.NN;

/// <summary>How a loss combines its per-element values (PyTorch's <c>reduction=</c> argument).</summary>
public enum Reduction
{
    /// <summary>No reduction: one loss value per element (PyTorch's <c>'none'</c>).</summary>
    None,

    /// <summary>The mean of the per-element losses, the default (PyTorch's <c>'mean'</c>).</summary>
    Mean,

    /// <summary>The sum of the per-element losses (PyTorch's <c>'sum'</c>).</summary>
    Sum,
}

public static partial class Functional
{
    /// <summary>
    /// Mean squared error, <c>(input - target)²</c> reduced (PyTorch's <c>F.mse_loss</c>): the lesson's loss.
    /// Shape: input and target the same shape → a scalar, or that shape with <see cref="Reduction.None"/>.
    /// </summary>
    /// <exception cref="ShapeMismatchException">The shapes differ. PyTorch broadcasts them with a warning, which is almost always a bug such as (N, 1) against (N).</exception>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        Pair(input, target, "MseLoss");
        // A mask as the target (0/1 labels) counts as numbers: PyTorch's mse_loss is one op that promotes it, where the
        // subtraction it is written with here refuses bools.
        if (target.DType == DType.Bool) target = target.To(input.DType.IsFloatingPoint() ? input.DType : DType.Float32);
        if (input.DType == DType.Bool) input = input.To(target.DType.IsFloatingPoint() ? target.DType : DType.Float32);
        // Reduced, one primitive as PyTorch's (MseLossBackward0): no tensor of differences or squares, same bits.
        if (reduction is Reduction.Mean or Reduction.Sum && Ops.MseLossBackward.Applies(input, target))
            return Ops.MseLossBackward.Forward(input, target, reduction == Reduction.Mean);
        return Reduce((input - target).Square(), reduction);
    }

    /// <summary>
    /// <c>MseLoss(Linear(input, weight, bias), target, reduction)</c> computed in one pass over
    /// <paramref name="input"/>: the same value and the same gradients for <paramref name="weight"/> and
    /// <paramref name="bias"/>, without the N x K temporaries, and reading the input once per step instead of twice
    /// (forward and weight gradient). For full-batch linear regression on large inputs, where that read is the
    /// cost. It has no PyTorch counterpart; PyTorch code writes the composition, which works here too.
    /// Shape: input (N, in) or (*, in), weight (out, in), bias (out), target the shape of the linear output.
    /// When float32 inputs allow it, the fused kernel runs; otherwise (another dtype, <see cref="Reduction.None"/>,
    /// an empty input or weight, or an input or target that needs a gradient) the composition runs, with the same
    /// result.
    /// The fused path cannot be differentiated twice.
    /// </summary>
    /// <exception cref="ShapeMismatchException">The shapes do not fit together, as in <see cref="Linear"/> and <see cref="MseLoss"/>.</exception>
    public static Tensor LinearMseLoss(Tensor input, Tensor weight, Tensor? bias, Tensor target, Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (input?.DType != DType.Float32 || weight?.DType != DType.Float32 || target.DType != DType.Float32
            || (bias is not null && bias.DType != DType.Float32) || reduction == Reduction.None
            || input.Count == 0 || weight.Count == 0
            || (Tensor.IsGradEnabled && (input.RequiresGrad || target.RequiresGrad)))
            return MseLoss(Linear(input!, weight!, bias), target, reduction);
        ValidateLinear(input, weight, bias);
        int[] outShape = [.. input.Shape[..^1], weight.Size(0)];
        if (!target.Shape.SequenceEqual(outShape))
            throw new ShapeMismatchException($"LinearMseLoss: the linear output has shape {Shapes.Format(outShape)} but the target has shape {Shapes.Format(target.Shape)}; they must match{MatchHint(outShape, target.Shape)}");
        if (reduction is not (Reduction.Mean or Reduction.Sum))
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "unknown reduction");
        return Ops.LinearMseLossBackward.Forward(input, weight, bias, target, reduction);
    }

    /// <summary>Mean absolute error, <c>|input - target|</c> reduced (PyTorch's <c>F.l1_loss</c>). Shape: as <see cref="MseLoss"/>.</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        Reduce((Pair(input, target, "L1Loss") - target).Abs(), reduction);

    /// <summary>
    /// Huber loss (PyTorch's <c>F.huber_loss</c>): with <c>z = |input - target|</c>, <c>0.5 z²</c> where
    /// <c>z &lt; delta</c> and <c>delta (z - 0.5 delta)</c> elsewhere. Shape: as <see cref="MseLoss"/>.
    /// </summary>
    public static Tensor HuberLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double delta = 1.0)
    {
        if (!(delta > 0)) throw new ArgumentOutOfRangeException(nameof(delta), delta, "HuberLoss: delta must be positive");
        var d = Pair(input, target, "HuberLoss") - target;
        var z = d.Abs();
        return Reduce(Tensor.Where(z.Lt(delta), 0.5 * d * d, delta * (z - 0.5 * delta)), reduction);
    }

    /// <summary>
    /// Smooth L1 loss (PyTorch's <c>F.smooth_l1_loss</c>): with <c>z = |input - target|</c>, <c>0.5 z² / beta</c>
    /// where <c>z &lt; beta</c> and <c>z - 0.5 beta</c> elsewhere; <paramref name="beta"/> 0 gives the L1 loss.
    /// Shape: as <see cref="MseLoss"/>.
    /// </summary>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1.0)
    {
        if (!(beta >= 0)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "SmoothL1Loss: beta must not be negative");
        if (beta == 0) return L1Loss(input, target, reduction);
        var d = Pair(input, target, "SmoothL1Loss") - target;
        var z = d.Abs();
        return Reduce(Tensor.Where(z.Lt(beta), 0.5 * d * d / beta, z - 0.5 * beta), reduction);
    }

    /// <summary>
    /// Binary cross-entropy on logits, sigmoid and log-loss in one numerically stable formula (PyTorch's
    /// <c>F.binary_cross_entropy_with_logits</c>): per element
    /// <c>-w [p y log σ(x) + (1 - y) log(1 - σ(x))]</c>, computed as
    /// <c>(1 - y) x + l (log(e^-m + e^(-x-m)) + m)</c> with <c>m = max(-x, 0)</c> and <c>l = 1 + (p - 1) y</c>, so no
    /// exponential overflows. Shape: input and target the same shape; <paramref name="weight"/> and
    /// <paramref name="posWeight"/> (p, one per class along the last dim) broadcast to it.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? posWeight = null)
    {
        var x = Pair(input, target, "BinaryCrossEntropyWithLogits");
        if (!x.DType.IsFloatingPoint() || !target.DType.IsFloatingPoint())
            throw new DTypeMismatchException($"BinaryCrossEntropyWithLogits: input and target must be floating point, got {x.DType.Name()} and {target.DType.Name()}");
        var m = (-x).Clamp(min: 0);
        var softplus = ((-m).Exp() + (-x - m).Exp()).Log() + m;
        var loss = posWeight is null
            ? (1.0 - target) * x + softplus
            : (1.0 - target) * x + ((posWeight - 1.0) * target + 1.0) * softplus;
        if (weight is not null) loss = loss * weight;
        return Reduce(loss, reduction);
    }

    /// <summary>
    /// Cross-entropy between logits and classes (PyTorch's <c>F.cross_entropy</c>):
    /// <see cref="NllLoss"/> of <see cref="LogSoftmax"/> over the class dim (dim 1, or dim 0 for a single sample).
    /// The target holds int64 class indices, or floating-point class probabilities of the input's shape, for which
    /// the loss is <c>-sum(w_c p_c log softmax(x)_c)</c> per sample and the mean divides by the number of samples;
    /// with probability targets no class can be ignored, so <paramref name="ignoreIndex"/> must be negative.
    /// With <paramref name="labelSmoothing"/> ε, each target is mixed with the uniform distribution over the C classes,
    /// <c>(1 - ε) target + ε / C</c>: for class indices the loss is <c>(1 - ε)</c> times the loss above plus
    /// <c>ε / C</c> times <c>-sum(w_c log softmax(x)_c)</c>, reduced as that loss is (PyTorch's <c>label_smoothing</c>).
    /// Shape: input (N, C) or (C) or (N, C, d1, ...); class-index target (N) or () or (N, d1, ...).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is not between 0 and 1.</exception>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean, double labelSmoothing = 0)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (input.Dim == 0) throw new ShapeMismatchException("CrossEntropy: the input needs a class dim, got a zero-dim tensor");
        // PyTorch checks only the upper bound and takes a negative value as 0; its message asks for [0, 1], as here.
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, $"CrossEntropy: labelSmoothing must be between 0 and 1, got {labelSmoothing}");
        int classDim = input.Dim == 1 ? 0 : 1;
        int classes = input.Size(classDim);
        var logp = LogSoftmax(input, classDim);
        if (!target.DType.IsFloatingPoint())
        {
            var nll = NllLoss(logp, target, weight, ignoreIndex, reduction);
            if (labelSmoothing == 0) return nll;
            // The uniform part, as PyTorch's cross_entropy_loss_label_smoothing: ignored samples count for nothing and
            // the mean divides by the same summed weight as the NLL part.
            var all = weight is null ? logp : logp * ClassView(weight, input, classDim, "CrossEntropy");
            var counted = target.Ne(ignoreIndex);
            var smooth = Tensor.Where(counted, -all.Sum(classDim), 0.0);
            var uniform = reduction switch
            {
                Reduction.None => smooth,
                Reduction.Sum => smooth.Sum(),
                Reduction.Mean => smooth.Sum() / SampleWeights(target.Reshape(-1), counted.Reshape(-1), weight, input.DType).Sum(),
                _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "CrossEntropy: unknown reduction"),
            };
            return (1 - labelSmoothing) * nll + uniform * (labelSmoothing / classes);
        }
        if (!target.Shape.SequenceEqual(input.Shape))
            throw new ShapeMismatchException($"CrossEntropy: probability targets must have the input's shape {Shapes.Format(input.Shape)}, got {Shapes.Format(target.Shape)}");
        // PyTorch refuses any class to ignore here rather than drop it silently; negative values, the default among them, mean none.
        if (ignoreIndex >= 0)
            throw new ArgumentException($"CrossEntropy: ignoreIndex {ignoreIndex} is not supported with probability targets; give class indices to ignore a class, or zero its probabilities", nameof(ignoreIndex));
        if (labelSmoothing > 0) target = target * (1 - labelSmoothing) + labelSmoothing / classes;
        var term = target * logp;
        if (weight is not null) term = term * ClassView(weight, input, classDim, "CrossEntropy");
        var loss = -term.Sum(classDim);
        return reduction == Reduction.Mean ? loss.Sum() / (double)(input.Count / Math.Max(1, input.Size(classDim))) : Reduce(loss, reduction);
    }

    /// <summary>
    /// Negative log-likelihood of classes given log-probabilities (PyTorch's <c>F.nll_loss</c>): per sample
    /// <c>-w[t] input[t]</c>; samples whose target is <paramref name="ignoreIndex"/> count for nothing, and the mean is
    /// divided by the summed weight of the counted samples (their number without <paramref name="weight"/>).
    /// Shape: input (N, C) or (C) or (N, C, d1, ...), int64 target (N) or () or (N, d1, ...).
    /// </summary>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (target.DType != DType.Int64)
            throw new DTypeMismatchException($"NllLoss: the target must hold int64 class indices, got {target.DType.Name()}");
        if (input.Dim == 0) throw new ShapeMismatchException("NllLoss: the input needs a class dim, got a zero-dim tensor");
        int classDim = input.Dim == 1 ? 0 : 1;
        int classes = input.Size(classDim);
        var expected = input.Shape.ToArray().Where((_, i) => i != classDim).ToArray();
        if (!target.Shape.SequenceEqual(expected))
            throw new ShapeMismatchException($"NllLoss: for input of shape {Shapes.Format(input.Shape)} the target must have shape {Shapes.Format(expected)}, got {Shapes.Format(target.Shape)}");
        if (weight is not null && (weight.Dim != 1 || weight.Size(0) != classes))
            throw new ShapeMismatchException($"NllLoss: the class weights must have shape [{classes}], got {Shapes.Format(weight.Shape)}");
        var t = target.Reshape(-1);
        foreach (var c in t.ToArray<long>())
            if (c != ignoreIndex && (c < 0 || c >= classes))
                throw new ArgumentOutOfRangeException(nameof(target), c, $"NllLoss: target {c} is out of bounds for {classes} classes");
        // Rows of (samples, classes): the class dim moved last.
        var rows = input.Dim == 1 ? input.Unsqueeze(0) : input.Movedim(1, -1).Reshape(-1, classes);
        var counted = t.Ne(ignoreIndex);
        var chosen = Tensor.Arange(classes).Unsqueeze(0).Eq(t.Unsqueeze(1)) & counted.Unsqueeze(1);
        // Where, not a product with a one-hot mask: 0 * -inf would be NaN.
        var picked = Tensor.Where(chosen, rows, 0.0).Sum(1);
        var w = SampleWeights(t, counted, weight, input.DType);
        var loss = -(picked * w);
        return reduction switch
        {
            Reduction.None => loss.Reshape(target.ShapeArray),
            Reduction.Sum => loss.Sum(),
            Reduction.Mean => loss.Sum() / w.Sum(),
            _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "NllLoss: unknown reduction"),
        };
    }

    /// <summary>
    /// The weight of each sample's class, for flat class indices <paramref name="t"/>: 1 without class weights, and 0
    /// where <paramref name="counted"/> is false (the target is the ignored index).
    /// </summary>
    private static Tensor SampleWeights(Tensor t, Tensor counted, Tensor? weight, DType dtype) => weight is null
        ? counted.To(dtype)
        : Tensor.Where(counted, weight.To(dtype).IndexSelect(0, Tensor.Where(counted, t, Tensor.Scalar(0, DType.Int64))), 0.0);

    /// <summary>Checks that a loss's input and target have one shape; returns the input.</summary>
    private static Tensor Pair(Tensor input, Tensor target, string op)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (!input.Shape.SequenceEqual(target.Shape))
            throw new ShapeMismatchException($"{op}: the input has shape {Shapes.Format(input.Shape)} but the target has shape {Shapes.Format(target.Shape)}; they must match{MatchHint(input.Shape, target.Shape)}");
        return input;
    }

    /// <summary>
    /// How to make a target fit an input of another shape: a reshape only when the two differ by dims of size 1
    /// ((N, 1) against (N)); when only the last dim differs, the model has the wrong number of outputs, which no
    /// reshape mends.
    /// </summary>
    private static string MatchHint(ReadOnlySpan<int> input, ReadOnlySpan<int> target)
    {
        if (WithoutOnes(input).SequenceEqual(WithoutOnes(target)))
            return $" (reshape the target: target.Reshape({string.Join(", ", input.ToArray())}))";
        if (input.Length == target.Length && input.Length > 0 && input[..^1].SequenceEqual(target[..^1]))
            return $" (the input has {input[^1]} value(s) per row and the target {target[^1]}: the model needs one output per target column)";
        return "";

        static int[] WithoutOnes(ReadOnlySpan<int> shape) => [.. shape.ToArray().Where(d => d != 1)];
    }

    /// <summary>Class weights of shape (C) viewed to broadcast along the class dim of <paramref name="input"/>.</summary>
    private static Tensor ClassView(Tensor weight, Tensor input, int classDim, string op)
    {
        int classes = input.Size(classDim);
        if (weight.Dim != 1 || weight.Size(0) != classes)
            throw new ShapeMismatchException($"{op}: the class weights must have shape [{classes}], got {Shapes.Format(weight.Shape)}");
        var shape = new int[input.Dim];
        Array.Fill(shape, 1);
        shape[classDim] = classes;
        return weight.Reshape(shape);
    }

    private static Tensor Reduce(Tensor loss, Reduction reduction) => reduction switch
    {
        Reduction.None => loss,
        Reduction.Mean => loss.Mean(),
        Reduction.Sum => loss.Sum(),
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "unknown reduction"),
    };
}
