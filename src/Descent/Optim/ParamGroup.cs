namespace Descent.Optim;

/// <summary>
/// A set of parameters that share a learning rate and weight decay inside an <see cref="Optimizer"/> (one of
/// PyTorch's <c>param_groups</c>). Settings left null take the optimizer's; schedulers change <see cref="Lr"/>.
/// </summary>
public sealed class ParamGroup
{
    private double? _lr;
    private double? _weightDecay;

    /// <summary>A group of <paramref name="parameters"/>, optionally with its own <paramref name="lr"/> and <paramref name="weightDecay"/>.</summary>
    public ParamGroup(IEnumerable<Tensor> parameters, double? lr = null, double? weightDecay = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = [.. parameters];
        if (lr is { } l) Lr = l;
        if (weightDecay is { } w) WeightDecay = w;
    }

    /// <summary>The parameters, in order; their positions across all groups are the indices of the optimizer's state dict.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The learning rate of this group (PyTorch's <c>group['lr']</c>).</summary>
    public double Lr
    {
        get => _lr ?? throw new InvalidOperationException("ParamGroup: Lr is not set until the group is given to an optimizer");
        set => _lr = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "ParamGroup: the learning rate must be 0 or more, not NaN or negative");
    }

    /// <summary>The weight decay of this group (PyTorch's <c>group['weight_decay']</c>).</summary>
    public double WeightDecay
    {
        get => _weightDecay ?? throw new InvalidOperationException("ParamGroup: WeightDecay is not set until the group is given to an optimizer");
        set => _weightDecay = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "ParamGroup: the weight decay must be 0 or more, not NaN or negative");
    }

    /// <summary>The learning rate a scheduler started from (PyTorch's <c>group['initial_lr']</c>), or null before any scheduler.</summary>
    public double? InitialLr { get; set; }

    internal void ApplyDefaults(double lr, double weightDecay)
    {
        _lr ??= lr;
        _weightDecay ??= weightDecay;
    }
}
