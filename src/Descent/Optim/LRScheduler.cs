namespace Descent.Optim;

/// <summary>
/// The base of learning-rate schedulers (PyTorch's <c>torch.optim.lr_scheduler.LRScheduler</c>). A scheduler
/// changes the <see cref="ParamGroup.Lr"/> of its optimizer's groups each time <see cref="Step"/> is called, once
/// per epoch after the optimizer's steps. Creating one records each group's <see cref="ParamGroup.InitialLr"/> and
/// counts as the step to epoch 0, as in PyTorch.
/// </summary>
public abstract class LRScheduler
{
    private double[] _lastLr = [];

    /// <summary>Attaches to <paramref name="optimizer"/> and takes the initial step.</summary>
    /// <param name="optimizer">The optimizer whose learning rates are scheduled.</param>
    /// <param name="lastEpoch">The index of the last epoch when resuming; -1 to start afresh.</param>
    protected LRScheduler(Optimizer optimizer, int lastEpoch = -1)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        for (int i = 0; i < optimizer.ParamGroups.Count; i++)
        {
            var g = optimizer.ParamGroups[i];
            if (lastEpoch == -1) g.InitialLr ??= g.Lr;
            else if (g.InitialLr is null)
                throw new ArgumentException($"{GetType().Name}: parameter group {i} has no InitialLr, which resuming at lastEpoch {lastEpoch} needs", nameof(lastEpoch));
        }
        BaseLrs = optimizer.ParamGroups.Select(g => g.InitialLr!.Value).ToArray();
        LastEpoch = lastEpoch;
    }

    /// <summary>The optimizer whose learning rates are scheduled.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Each group's learning rate when scheduling began (PyTorch's <c>base_lrs</c>).</summary>
    public IReadOnlyList<double> BaseLrs { get; }

    /// <summary>The index of the current epoch: 0 after construction, then one more per <see cref="Step"/>.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>Advances one epoch and sets each group's learning rate.</summary>
    public void Step()
    {
        LastEpoch++;
        var lrs = GetLr();
        for (int i = 0; i < lrs.Length; i++) Optimizer.ParamGroups[i].Lr = lrs[i];
        _lastLr = lrs;
    }

    /// <summary>The learning rate of each group as last set by this scheduler (PyTorch's <c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> GetLastLr() => _lastLr;

    /// <summary>
    /// The learning rates for epoch <see cref="LastEpoch"/>, computed from the groups' current rates (PyTorch's
    /// chainable <c>get_lr</c>), so changes made to a group's rate between steps carry forward.
    /// </summary>
    protected abstract double[] GetLr();

    /// <summary>Each group's current learning rate.</summary>
    protected double[] CurrentLrs() => Optimizer.ParamGroups.Select(g => g.Lr).ToArray();

    /// <summary>Takes the step to epoch 0; each derived constructor calls it last, once its settings are stored.</summary>
    protected void InitialStep() => Step();
}

/// <summary>
/// Multiplies each group's learning rate by <see cref="Gamma"/> every <see cref="StepSize"/> epochs (PyTorch's
/// <c>StepLR</c>): with base rate <c>lr0</c>, epoch <c>e</c> uses <c>lr0 * gamma^(e / stepSize)</c> (integer division).
/// </summary>
public sealed class StepLR : LRScheduler
{
    /// <summary>A step schedule on <paramref name="optimizer"/>.</summary>
    /// <param name="optimizer">The optimizer whose learning rates are scheduled.</param>
    /// <param name="stepSize">The number of epochs between decays.</param>
    /// <param name="gamma">The factor applied at each decay.</param>
    /// <param name="lastEpoch">The index of the last epoch when resuming; -1 to start afresh.</param>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1, int lastEpoch = -1) : base(optimizer, lastEpoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepSize);
        StepSize = stepSize;
        Gamma = gamma;
        InitialStep();
    }

    /// <summary>The number of epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>The factor applied at each decay.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double[] GetLr()
    {
        var lrs = CurrentLrs();
        if (LastEpoch == 0 || LastEpoch % StepSize != 0) return lrs;
        for (int i = 0; i < lrs.Length; i++) lrs[i] *= Gamma;
        return lrs;
    }
}

/// <summary>Multiplies each group's learning rate by <see cref="Gamma"/> every epoch (PyTorch's <c>ExponentialLR</c>): epoch <c>e</c> uses <c>lr0 * gamma^e</c>.</summary>
public sealed class ExponentialLR : LRScheduler
{
    /// <summary>An exponential schedule on <paramref name="optimizer"/>.</summary>
    /// <param name="optimizer">The optimizer whose learning rates are scheduled.</param>
    /// <param name="gamma">The factor applied every epoch.</param>
    /// <param name="lastEpoch">The index of the last epoch when resuming; -1 to start afresh.</param>
    public ExponentialLR(Optimizer optimizer, double gamma, int lastEpoch = -1) : base(optimizer, lastEpoch)
    {
        Gamma = gamma;
        InitialStep();
    }

    /// <summary>The factor applied every epoch.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double[] GetLr()
    {
        var lrs = CurrentLrs();
        if (LastEpoch == 0) return lrs;
        for (int i = 0; i < lrs.Length; i++) lrs[i] *= Gamma;
        return lrs;
    }
}
