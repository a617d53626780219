using System.Numerics;

namespace Descent.Optim;

/// <summary>
/// Adam (PyTorch's <c>torch.optim.Adam</c>), with PyTorch's exact update (single-tensor form of 1.13 and 2.x). For
/// each parameter <c>p</c> with gradient <c>g</c>, at step <c>t</c> = 1, 2, ... counted per parameter:
/// <code>
/// g = maximize ? -g : g
/// if decoupled (AdamW):  p = p * (1 - lr * weightDecay)
/// else if weightDecay != 0:  g = g + weightDecay * p
/// m = m * beta1 + (1 - beta1) * g
/// v = v * beta2 + (1 - beta2) * g * g
/// stepSize = lr / (1 - beta1^t)                      (in double)
/// vMax = amsgrad ? max(vMax, v) : v
/// denom = sqrt(vMax) / sqrt(1 - beta2^t) + eps
/// p = p + (-stepSize) * m / denom
/// </code>
/// <c>m</c> and <c>v</c> start at zero. Parameters without a gradient are skipped and their step count does not advance.
/// </summary>
public class Adam : Optimizer
{
    private readonly double[] _steps;
    private readonly Tensor?[] _expAvg;
    private readonly Tensor?[] _expAvgSq;
    private readonly Tensor?[] _maxExpAvgSq;

    /// <summary>Adam over <paramref name="parameters"/> (PyTorch's <c>optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False)</c>).</summary>
    /// <param name="parameters">The tensors to optimize.</param>
    /// <param name="lr">The learning rate.</param>
    /// <param name="betas">The decay rates of the first and second moment averages; (0.9, 0.999) when null.</param>
    /// <param name="eps">Added to the denominator for numerical stability.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient, or with <paramref name="decoupledWeightDecay"/> a decay of the weights themselves.</param>
    /// <param name="amsgrad">Use the maximum of all second moment averages so far (AMSGrad).</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    /// <param name="decoupledWeightDecay">Decay the weights directly, as <see cref="AdamW"/> does.</param>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false, bool decoupledWeightDecay = false)
        : this([new ParamGroup(parameters)], lr, betas, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay) { }

    /// <summary>Adam over several parameter groups, each with its own learning rate and weight decay if set.</summary>
    /// <inheritdoc cref="Adam(IEnumerable{Tensor}, double, ValueTuple{double, double}?, double, double, bool, bool, bool)"/>
    public Adam(IEnumerable<ParamGroup> paramGroups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false, bool decoupledWeightDecay = false)
        : base(paramGroups, lr, weightDecay)
    {
        var b = betas ?? (0.9, 0.999);
        Check(b, eps);
        Betas = b;
        Eps = eps;
        Amsgrad = amsgrad;
        Maximize = maximize;
        DecoupledWeightDecay = decoupledWeightDecay;
        int n = AllParameters.Count;
        _steps = new double[n];
        _expAvg = new Tensor?[n];
        _expAvgSq = new Tensor?[n];
        _maxExpAvgSq = new Tensor?[n];
    }

    private void Check((double Beta1, double Beta2) betas, double eps)
    {
        if (!(betas.Beta1 >= 0 && betas.Beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(betas), betas.Beta1, $"{Name}: beta1 must be in [0, 1)");
        if (!(betas.Beta2 >= 0 && betas.Beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(betas), betas.Beta2, $"{Name}: beta2 must be in [0, 1)");
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, $"{Name}: eps must be 0 or more, not NaN or negative");
    }

    /// <summary>The decay rates of the first and second moment averages.</summary>
    public (double Beta1, double Beta2) Betas { get; private set; }

    /// <summary>The term added to the denominator.</summary>
    public double Eps { get; private set; }

    /// <summary>Whether AMSGrad is used.</summary>
    public bool Amsgrad { get; private set; }

    /// <summary>Whether the objective is maximized.</summary>
    public bool Maximize { get; private set; }

    /// <summary>Whether weight decay shrinks the weights directly (AdamW) instead of adding to the gradient.</summary>
    public bool DecoupledWeightDecay { get; }

    private protected override void Update(ParamGroup group, int index, Tensor parameter, Tensor grad)
    {
        if (_expAvg[index] is null)
        {
            _expAvg[index] = Tensor.Zeros(parameter.ShapeArray, parameter.DType);
            _expAvgSq[index] = Tensor.Zeros(parameter.ShapeArray, parameter.DType);
        }
        if (Amsgrad) _maxExpAvgSq[index] ??= Tensor.Zeros(parameter.ShapeArray, parameter.DType);
        double t = ++_steps[index];
        var m = _expAvg[index]!;
        var v = _expAvgSq[index]!;
        var vMax = Amsgrad ? _maxExpAvgSq[index] : null;
        if (parameter.DType == DType.Float32)
            Run(parameter.Span<float>(), grad.Span<float>(), m.Span<float>(), v.Span<float>(), vMax is null ? default : vMax.Span<float>(), t, group.Lr, group.WeightDecay);
        else
            Run(parameter.Span<double>(), grad.Span<double>(), m.Span<double>(), v.Span<double>(), vMax is null ? default : vMax.Span<double>(), t, group.Lr, group.WeightDecay);
    }

    // One pass over the elements. The scalars are computed in double and rounded to T, as PyTorch's Python floats are.
    private void Run<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, Span<T> vMax, double t, double lr, double weightDecay)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (beta1, beta2) = Betas;
        double stepSize = lr / (1 - Math.Pow(beta1, t));
        T b1 = T.CreateChecked(beta1), b2 = T.CreateChecked(beta2);
        T a1 = T.CreateChecked(1 - beta1), a2 = T.CreateChecked(1 - beta2);
        T bc2Sqrt = T.CreateChecked(Math.Sqrt(1 - Math.Pow(beta2, t)));
        T eps = T.CreateChecked(Eps), step = T.CreateChecked(-stepSize);
        T wd = T.CreateChecked(weightDecay), shrink = T.CreateChecked(1 - lr * weightDecay);
        bool decoupled = DecoupledWeightDecay, coupled = !decoupled && weightDecay != 0, amsgrad = Amsgrad, maximize = Maximize;
        // Each line rounds as PyTorch's CPU kernel for it does, so a step is PyTorch's to the bit: add_ with alpha and
        // addcmul_ are fused multiply-adds, addcdiv_ is self + value * t1 / t2.
        for (int i = 0; i < p.Length; i++)
        {
            T gi = maximize ? -g[i] : g[i];
            if (decoupled) p[i] *= shrink; // p.mul_(1 - lr * weight_decay)
            else if (coupled) gi = T.FusedMultiplyAdd(p[i], wd, gi); // grad.add(p, alpha=weight_decay)
            m[i] = T.FusedMultiplyAdd(gi, a1, m[i] * b1); // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
            v[i] = T.FusedMultiplyAdd(a2 * gi, gi, v[i] * b2); // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            T vi = v[i];
            if (amsgrad) vi = vMax[i] = T.Max(vMax[i], vi);
            T denom = T.Sqrt(vi) / bc2Sqrt + eps; // (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
            p[i] += step * m[i] / denom; // p.addcdiv_(exp_avg, denom, value=-step_size)
        }
    }

    private protected override IEnumerable<KeyValuePair<string, double>> Options() =>
    [
        new("beta1", Betas.Beta1),
        new("beta2", Betas.Beta2),
        new("eps", Eps),
        new("amsgrad", Flag(Amsgrad)),
        new("maximize", Flag(Maximize)),
    ];

    private protected override void SetOptions(IReadOnlyDictionary<string, double> options)
    {
        var betas = (options["beta1"], options["beta2"]);
        Check(betas, options["eps"]);
        Betas = betas;
        Eps = options["eps"];
        Amsgrad = options["amsgrad"] != 0;
        Maximize = options["maximize"] != 0;
    }

    private protected override Dictionary<string, Tensor>? GetState(int index)
    {
        if (_expAvg[index] is not { } m) return null;
        var state = new Dictionary<string, Tensor>
        {
            ["step"] = Tensor.Scalar(_steps[index]),
            ["exp_avg"] = m,
            ["exp_avg_sq"] = _expAvgSq[index]!,
        };
        if (_maxExpAvgSq[index] is { } vMax) state["max_exp_avg_sq"] = vMax;
        return state;
    }

    // The loaded amsgrad flag, not the current one, says whether max_exp_avg_sq is needed: PyTorch takes the saved
    // group's options, so a plain Adam state loads into an AMSGrad optimizer and turns AMSGrad off.
    private protected override string? CheckState(int index, IReadOnlyDictionary<string, Tensor> state, IReadOnlyDictionary<string, double> options)
    {
        if (!state.TryGetValue("step", out var step) || step is null || step.Count != 1) return "\"step\" must be a one-element tensor";
        return CheckBuffer(index, state, "exp_avg") ?? CheckBuffer(index, state, "exp_avg_sq")
            ?? (options["amsgrad"] != 0 || state.ContainsKey("max_exp_avg_sq") ? CheckBuffer(index, state, "max_exp_avg_sq") : null);
    }

    private protected override void SetState(int index, IReadOnlyDictionary<string, Tensor>? state)
    {
        var p = AllParameters[index];
        if (state is null)
        {
            _steps[index] = 0;
            _expAvg[index] = _expAvgSq[index] = _maxExpAvgSq[index] = null;
            return;
        }
        _steps[index] = state["step"].Item();
        _expAvg[index] = OwnCopy(state["exp_avg"], p);
        _expAvgSq[index] = OwnCopy(state["exp_avg_sq"], p);
        _maxExpAvgSq[index] = state.TryGetValue("max_exp_avg_sq", out var vMax) ? OwnCopy(vMax, p) : null;
    }
}

/// <summary>
/// Adam with decoupled weight decay (PyTorch's <c>torch.optim.AdamW</c>): each step first shrinks every parameter by
/// <c>p = p * (1 - lr * weightDecay)</c>, then applies <see cref="Adam"/>'s update to the undecayed gradient. The
/// default weight decay is 1e-2.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>AdamW over <paramref name="parameters"/> (PyTorch's <c>optim.AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False)</c>).</summary>
    /// <param name="parameters">The tensors to optimize.</param>
    /// <param name="lr">The learning rate.</param>
    /// <param name="betas">The decay rates of the first and second moment averages; (0.9, 0.999) when null.</param>
    /// <param name="eps">Added to the denominator for numerical stability.</param>
    /// <param name="weightDecay">The decoupled weight decay coefficient.</param>
    /// <param name="amsgrad">Use the maximum of all second moment averages so far (AMSGrad).</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(parameters, lr, betas, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay: true) { }

    /// <summary>AdamW over several parameter groups, each with its own learning rate and weight decay if set.</summary>
    /// <inheritdoc cref="AdamW(IEnumerable{Tensor}, double, ValueTuple{double, double}?, double, double, bool, bool)"/>
    public AdamW(IEnumerable<ParamGroup> paramGroups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(paramGroups, lr, betas, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay: true) { }
}
