using Descent.Autograd;
using Descent.Kernels;

namespace Descent.Ops;

internal sealed class NegBackward : Node
{
    public static Tensor Forward(Tensor x)
    {
        if (x.DType == DType.Bool) throw new DTypeMismatchException("Neg: negation is not defined for bool tensors; use LogicalNot()");
        var r = Elementwise.Unary<NegOp>(x);
        return GradMode.Records(x) ? new NegBackward().Attach(r, x) : r;
    }

    internal override Tensor?[] Apply(Tensor g) => [-g];
}

internal sealed class AbsBackward : Node
{
    public static Tensor Forward(Tensor x)
    {
        var r = Elementwise.Unary<AbsOp>(x);
        if (!GradMode.Records(x)) return r;
        var node = new AbsBackward();
        node.Save(x);
        return node.Attach(r, x);
    }

    // d|x|/dx = sign(x), 0 at 0
    internal override Tensor?[] Apply(Tensor g) => [g * Saved(0).Sign()];
}

/// <summary>Sign: piecewise constant, so its gradient is zero (PyTorch returns zeros rather than failing).</summary>
internal sealed class SignBackward : Node
{
    public static Tensor Forward(Tensor x)
    {
        var r = Elementwise.Unary<SignOp>(x);
        return GradMode.Records(x) ? new SignBackward().Attach(r, x) : r;
    }

    internal override Tensor?[] Apply(Tensor g) => [Tensor.ZerosLike(g)];
}

internal sealed class ExpBackward : Node
{
    public static Tensor Forward(Tensor x)
    {
        x = Elementwise.Floating(x);
        var r = Elementwise.Unary<ExpOp>(x);
        if (!GradMode.Records(x)) return r;
        var node = new ExpBackward();
        node.Save(r);
        return node.Attach(r, x);
    }

    internal override Tensor?[] Apply(Tensor g) => [g * Saved(0)];
}

internal sealed class LogBackward : Node
{
    public static Tensor Forward(Tensor x)
    {
        x = Elementwise.Floating(x);
        var r = Elementwise.Unary<LogOp>(x);
        if (!GradMode.Records(x)) return r;
        var node = new LogBackward();
        node.Save(x);
        return node.Attach(r, x);
    }

    internal override Tensor?[] Apply(Tensor g) => [g / Saved(0)];
}

internal sealed class SqrtBackward : Node
{
    public static Tensor Forward(Tensor x)
    {
        x = Elementwise.Floating(x);
        var r = Elementwise.Unary<SqrtOp>(x);
        if (!GradMode.Records(x)) return r;
        var node = new SqrtBackward();
        node.Save(r);
        return node.Attach(r, x);
    }

    // d sqrt(x)/dx = 1 / (2 sqrt(x))
    internal override Tensor?[] Apply(Tensor g) => [g / (2.0 * Saved(0))];
}

/// <summary>
/// The square root that turns a variance into a standard deviation. Its gradient is taken as 0 where the deviation
/// is 0, as PyTorch's std backward does: a constant row's variance has a zero gradient, and 1 / (2 sqrt(0)) times
/// that zero would make every gradient NaN.
/// </summary>
internal sealed class StdBackward : Node
{
    public static Tensor Forward(Tensor variance)
    {
        var r = Elementwise.Unary<SqrtOp>(variance);
        if (!GradMode.Records(variance)) return r;
        var node = new StdBackward();
        node.Save(r);
        return node.Attach(r, variance);
    }

    public override string Name => "StdBackward0";

    internal override Tensor?[] Apply(Tensor g)
    {
        var std = Saved(0);
        return [Tensor.Where(std.Eq(0L), 0L, g / (2.0 * std))];
    }
}

internal sealed class TanhBackward : Node
{
    public static Tensor Forward(Tensor x)
    {
        x = Elementwise.Floating(x);
        var r = Elementwise.Unary<TanhOp>(x);
        if (!GradMode.Records(x)) return r;
        var node = new TanhBackward();
        node.Save(r);
        return node.Attach(r, x);
    }

    // d tanh/dx = 1 - tanh^2
    internal override Tensor?[] Apply(Tensor g)
    {
        var t = Saved(0);
        return [g * (1.0 - t * t)];
    }
}

internal sealed class SigmoidBackward : Node
{
    public static Tensor Forward(Tensor x)
    {
        x = Elementwise.Floating(x);
        var r = Elementwise.Unary<SigmoidOp>(x);
        if (!GradMode.Records(x)) return r;
        var node = new SigmoidBackward();
        node.Save(r);
        return node.Attach(r, x);
    }

    // d sigmoid/dx = s (1 - s)
    internal override Tensor?[] Apply(Tensor g)
    {
        var s = Saved(0);
        return [g * s * (1.0 - s)];
    }
}

internal sealed class ReluBackward : Node
{
    public static Tensor Forward(Tensor x)
    {
        var r = Elementwise.Unary<ReluOp>(x);
        if (!GradMode.Records(x)) return r;
        var node = new ReluBackward();
        node.Save(r);
        return node.Attach(r, x);
    }

    // The gradient is 0 where the output is <= 0 and passes elsewhere (also at NaN), as PyTorch's
    // threshold_backward: one pass, no mask tensor.
    internal override Tensor?[] Apply(Tensor g)
    {
        var y = Saved(0);
        if (g.DType != y.DType || !g.SameShape(y)) return [g * (!y.Le(0.0)).To(g.DType)];
        var r = Tensor.Empty(y.ShapeArray, y.DType);
        Kernels.Binary.Run<ReluGradOp>(g, y, r);
        return [r];
    }
}

/// <summary>Clamp into [min, max]; the gradient passes where the input was inside the bounds (inclusive), as PyTorch.</summary>
/// <summary>
/// Clamp into [min, max], the bounds given as zero-dim tensors of the result's dtype; the gradient passes where the
/// input is inside the bounds, as in PyTorch.
/// </summary>
internal sealed class ClampBackward(Tensor? min, Tensor? max) : Node
{
    public static Tensor Forward(Tensor x, Tensor? min, Tensor? max)
    {
        if (min is null && max is null) throw new ArgumentException("Clamp: give at least one of min and max");
        var r = x;
        using (GradMode.Set(false))
        {
            if (min is not null) r = r.Maximum(min);
            if (max is not null) r = r.Minimum(max);
            if (ReferenceEquals(r, x)) r = x.Clone();
        }
        if (!GradMode.Records(x)) return r;
        var node = new ClampBackward(min, max);
        node.Save(x);
        return node.Attach(r, x);
    }

    internal override Tensor?[] Apply(Tensor g)
    {
        var x = Saved(0);
        var inside = Tensor.OnesLike(x, DType.Bool);
        if (min is not null) inside &= x.Ge(min);
        if (max is not null) inside &= x.Le(max);
        // An exact 0 outside the bounds, even where g is NaN or infinite, as PyTorch's where(mask, grad, 0).
        return [Tensor.Where(inside, g, 0L)];
    }
}
