using System.Numerics;

namespace Descent.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay, with PyTorch's
/// exact update (<c>torch.optim.SGD</c>, single-tensor form of 1.13 and 2.x). For each parameter <c>p</c> with
/// gradient <c>g</c>:
/// <code>
/// d = maximize ? -g : g
/// if weightDecay != 0:  d = d + weightDecay * p
/// if momentum != 0:
///     buf = first step ? d : buf * momentum + (1 - dampening) * d
///     d = nesterov ? d + momentum * buf : buf
/// p = p + (-lr) * d
/// </code>
/// The momentum buffer starts as the first (decayed) gradient itself, not as zero. Parameters without a gradient
/// are skipped and keep their buffers.
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly Tensor?[] _buffers;

    /// <summary>SGD over <paramref name="parameters"/>, such as <c>model.Parameters()</c> (PyTorch's <c>optim.SGD(params, lr, ...)</c>).</summary>
    /// <param name="parameters">The tensors to optimize.</param>
    /// <param name="lr">The learning rate.</param>
    /// <param name="momentum">The momentum factor; 0 turns momentum off.</param>
    /// <param name="dampening">Dampening of the gradient's share in the momentum buffer.</param>
    /// <param name="weightDecay">L2 penalty: <c>weightDecay * p</c> is added to the gradient.</param>
    /// <param name="nesterov">Use Nesterov momentum (needs momentum &gt; 0 and dampening 0).</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    public Sgd(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : this([new ParamGroup(parameters)], lr, momentum, dampening, weightDecay, nesterov, maximize) { }

    /// <summary>SGD over several parameter groups, each with its own learning rate and weight decay if set.</summary>
    /// <inheritdoc cref="Sgd(IEnumerable{Tensor}, double, double, double, double, bool, bool)"/>
    public Sgd(IEnumerable<ParamGroup> paramGroups, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(paramGroups, lr, weightDecay)
    {
        Check(momentum, dampening, nesterov);
        Momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
        Maximize = maximize;
        _buffers = new Tensor?[AllParameters.Count];
    }

    private static void Check(double momentum, double dampening, bool nesterov)
    {
        if (!(momentum >= 0)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Sgd: momentum must be 0 or more, not NaN or negative");
        if (double.IsNaN(dampening)) throw new ArgumentOutOfRangeException(nameof(dampening), dampening, "Sgd: dampening must be a number");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException($"Sgd: Nesterov momentum requires a positive momentum and zero dampening (got momentum {momentum}, dampening {dampening})");
    }

    /// <summary>The momentum factor.</summary>
    public double Momentum { get; private set; }

    /// <summary>The dampening of the momentum buffer.</summary>
    public double Dampening { get; private set; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; private set; }

    /// <summary>Whether the objective is maximized.</summary>
    public bool Maximize { get; private set; }

    private protected override void Update(ParamGroup group, int index, Tensor parameter, Tensor grad)
    {
        bool first = false;
        var buf = _buffers[index];
        if (Momentum != 0 && buf is null)
        {
            buf = _buffers[index] = Tensor.Empty((int[])parameter.ShapeArray.Clone(), parameter.DType);
            first = true;
        }
        if (parameter.DType == DType.Float32)
            Run(parameter.Span<float>(), grad.Span<float>(), buf is null ? default : buf.Span<float>(), first, group.Lr, group.WeightDecay);
        else
            Run(parameter.Span<double>(), grad.Span<double>(), buf is null ? default : buf.Span<double>(), first, group.Lr, group.WeightDecay);
    }

    // One pass over the elements; each line is one of PyTorch's tensor ops, rounded to T as PyTorch rounds them:
    // x.add_(y, alpha=a) is one fused multiply-add per element, y * a + x, so the results are PyTorch's to the bit.
    private void Run<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> buf, bool first, double lr, double weightDecay)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T wd = T.CreateChecked(weightDecay), mom = T.CreateChecked(Momentum), keep = T.CreateChecked(1 - Dampening);
        T step = T.CreateChecked(-lr);
        bool decay = weightDecay != 0, momentum = Momentum != 0, nesterov = Nesterov, maximize = Maximize;
        if (!decay && !momentum && !maximize)
        {
            // Plain SGD, p.add_(g, alpha=-lr), in SIMD.
            System.Numerics.Tensors.TensorPrimitives.FusedMultiplyAdd(g, step, p, p);
            return;
        }
        for (int i = 0; i < p.Length; i++)
        {
            T d = maximize ? -g[i] : g[i];
            if (decay) d = T.FusedMultiplyAdd(p[i], wd, d); // d.add(p, alpha=weight_decay)
            if (momentum)
            {
                buf[i] = first ? d : T.FusedMultiplyAdd(d, keep, buf[i] * mom); // buf.mul_(momentum).add_(d, alpha=1 - dampening)
                d = nesterov ? T.FusedMultiplyAdd(buf[i], mom, d) : buf[i]; // d.add(buf, alpha=momentum)
            }
            p[i] = T.FusedMultiplyAdd(d, step, p[i]); // p.add_(d, alpha=-lr)
        }
    }

    private protected override IEnumerable<KeyValuePair<string, double>> Options() =>
    [
        new("momentum", Momentum),
        new("dampening", Dampening),
        new("nesterov", Flag(Nesterov)),
        new("maximize", Flag(Maximize)),
    ];

    private protected override void SetOptions(IReadOnlyDictionary<string, double> options)
    {
        bool nesterov = options["nesterov"] != 0;
        Check(options["momentum"], options["dampening"], nesterov);
        Momentum = options["momentum"];
        Dampening = options["dampening"];
        Nesterov = nesterov;
        Maximize = options["maximize"] != 0;
    }

    private protected override Dictionary<string, Tensor>? GetState(int index) =>
        _buffers[index] is { } buf ? new() { ["momentum_buffer"] = buf } : null;

    // The buffer is optional whatever the momentum, as in PyTorch: without one, the next step starts it afresh.
    private protected override string? CheckState(int index, IReadOnlyDictionary<string, Tensor> state, IReadOnlyDictionary<string, double> options) =>
        state.Count == 0 ? null : CheckBuffer(index, state, "momentum_buffer");

    private protected override void SetState(int index, IReadOnlyDictionary<string, Tensor>? state) =>
        _buffers[index] = state is not null && state.TryGetValue("momentum_buffer", out var b) ? OwnCopy(b, AllParameters[index]) : null;
}
