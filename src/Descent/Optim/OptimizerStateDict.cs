namespace Descent.Optim;

/// <summary>
/// An optimizer's state in memory, shaped like PyTorch's <c>optimizer.state_dict()</c> so it maps onto it entry by
/// entry: <see cref="State"/> is PyTorch's <c>"state"</c> (parameter index → buffers such as
/// <c>momentum_buffer</c>, <c>step</c>, <c>exp_avg</c>, <c>exp_avg_sq</c>, <c>max_exp_avg_sq</c>) and
/// <see cref="ParamGroups"/> is <c>"param_groups"</c>. Parameters are numbered 0, 1, ... across the groups in order.
/// </summary>
/// <remarks>
/// Hyperparameters are numbers: PyTorch's booleans (<c>nesterov</c>, <c>amsgrad</c>, <c>maximize</c>) are 1 or 0
/// and its <c>betas</c> pair is <c>beta1</c> and <c>beta2</c>. Adam's <c>step</c> is a zero-dim float32 tensor, as
/// in PyTorch 1.13 and 2.x.
/// </remarks>
public sealed class OptimizerStateDict
{
    /// <summary>Per-parameter state by parameter index; a parameter that never had a gradient has no entry.</summary>
    public Dictionary<int, Dictionary<string, Tensor>> State { get; } = [];

    /// <summary>One entry per parameter group, in order.</summary>
    public List<ParamGroupState> ParamGroups { get; } = [];
}

/// <summary>One parameter group in an <see cref="OptimizerStateDict"/>: its hyperparameters and the indices of its parameters.</summary>
public sealed class ParamGroupState
{
    /// <summary>Hyperparameters by PyTorch's names: <c>lr</c>, <c>weight_decay</c>, <c>initial_lr</c> (once a scheduler ran) and the optimizer's own.</summary>
    public Dictionary<string, double> Options { get; } = [];

    /// <summary>The indices of the group's parameters (PyTorch's <c>params</c>).</summary>
    public List<int> Params { get; } = [];
}
