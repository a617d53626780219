using Descent.Autograd;
using Descent.Kernels;
using Descent.Ops;

namespace Descent;

// In-place operations: PyTorch's trailing underscore (sub_, zero_) is the suffix InPlace here (SubInPlace,
// ZeroInPlace). Each bumps the storage's version counter, so autograd can tell when a saved tensor changed.
public sealed partial class Tensor
{
    /// <summary><c>this += alpha * other</c> in place (PyTorch's <c>add_</c>). Returns this tensor.</summary>
    public Tensor AddInPlace(Tensor other, double alpha = 1) =>
        alpha == 1 ? Apply<AddOp>(other, "AddInPlace") : Apply<AddOp>(other * alpha, "AddInPlace");

    /// <summary><c>this += value</c> in place.</summary>
    public Tensor AddInPlace(double value) => Apply<AddOp>(ScalarFor(value), "AddInPlace");

    /// <summary><c>this -= alpha * other</c> in place (PyTorch's <c>sub_</c>): the lesson's update <c>w.sub_(w.grad * lr)</c>.</summary>
    public Tensor SubInPlace(Tensor other, double alpha = 1) =>
        alpha == 1 ? Apply<SubOp>(other, "SubInPlace") : Apply<SubOp>(other * alpha, "SubInPlace");

    /// <summary><c>this -= value</c> in place.</summary>
    public Tensor SubInPlace(double value) => Apply<SubOp>(ScalarFor(value), "SubInPlace");

    /// <summary><c>this *= other</c> in place (PyTorch's <c>mul_</c>).</summary>
    public Tensor MulInPlace(Tensor other) => Apply<MulOp>(other, "MulInPlace");

    /// <summary><c>this *= value</c> in place.</summary>
    public Tensor MulInPlace(double value) => Apply<MulOp>(ScalarFor(value), "MulInPlace");

    /// <summary><c>this /= other</c> in place (PyTorch's <c>div_</c>).</summary>
    public Tensor DivInPlace(Tensor other) => Apply<DivOp>(other, "DivInPlace");

    /// <summary><c>this /= value</c> in place.</summary>
    public Tensor DivInPlace(double value) => Apply<DivOp>(ScalarFor(value), "DivInPlace");

    /// <summary>Sets every element to zero (PyTorch's <c>zero_</c>): the lesson's <c>w.grad.zero_()</c>.</summary>
    public Tensor ZeroInPlace() => FillInPlace(0);

    /// <summary>Sets every element to <paramref name="value"/> (PyTorch's <c>fill_</c>).</summary>
    public Tensor FillInPlace(double value)
    {
        CheckInPlace("FillInPlace", null);
        Copy.Run(Scalar(value, DType).Expand(ShapeArray), this);
        BumpVersion();
        return this;
    }

    /// <summary>Copies <paramref name="source"/> (broadcast to this shape, converted to this dtype) into this tensor (PyTorch's <c>copy_</c>).</summary>
    public Tensor CopyInPlace(Tensor source)
    {
        CheckInPlace("CopyInPlace", source);
        var s = Operand(source, "CopyInPlace");
        using (GradMode.Set(false)) Copy.Run(s, this);
        BumpVersion();
        return this;
    }

    /// <summary>Clamps every element into [min, max] in place (PyTorch's <c>clamp_</c>).</summary>
    public Tensor ClampInPlace(double? min = null, double? max = null)
    {
        CheckInPlace("ClampInPlace", null);
        Tensor r;
        using (GradMode.Set(false)) r = Clamp(min, max);
        Copy.Run(r, this);
        BumpVersion();
        return this;
    }

    private Tensor Apply<TOp>(Tensor other, string op) where TOp : struct, IBinaryOp
    {
        if (CheckInPlace(op, other))
        {
            // Recorded in-place op: compute out of place, write the result here and take over its history.
            // Mul and Div save their left operand for the other operand's gradient; that operand gets a copy of
            // the old values, which this write is about to replace (PyTorch saves the original self the same way).
            var self = other.RequiresGrad && (typeof(TOp) == typeof(MulOp) || typeof(TOp) == typeof(DivOp)) ? Clone() : this;
            Tensor r = typeof(TOp) == typeof(AddOp) ? self + other
                : typeof(TOp) == typeof(SubOp) ? self - other
                : typeof(TOp) == typeof(MulOp) ? self * other : self / other;
            using (GradMode.Set(false)) Copy.Run(r.To(DType), this);
            BumpVersion();
            SetGradFn(r.GradFn!);
            return this;
        }
        Binary.Run<TOp>(this, Operand(other, op), this);
        BumpVersion();
        return this;
    }

    /// <summary>The other operand of an in-place op, converted to this dtype and broadcast to this shape.</summary>
    private Tensor Operand(Tensor other, string op)
    {
        if (!DType.IsFloatingPoint() && other.DType.IsFloatingPoint() || DType == DType.Bool && other.DType != DType.Bool)
            throw new DTypeMismatchException($"{op}: the result of type {other.DType.Name()} cannot be stored in a {DType.Name()} tensor");
        using var _ = GradMode.Set(false);
        var o = other.DType == DType ? other : other.To(DType);
        if (!o.SameShape(this))
        {
            var shape = Shapes.Broadcast(ShapeArray, o.Shape, op);
            if (!shape.AsSpan().SequenceEqual(ShapeArray))
                throw new ShapeMismatchException($"{op}: a tensor of shape {Shapes.Format(other.Shape)} cannot be broadcast into this tensor's shape {Shapes.Format(Shape)}");
            o = o.Expand(ShapeArray);
        }
        return o;
    }

    /// <summary>Throws for in-place changes autograd cannot allow; returns true when the op must be recorded.</summary>
    private bool CheckInPlace(string op, Tensor? other)
    {
        if (!GradMode.IsEnabled) return false;
        if (RequiresGrad && IsLeaf)
            throw new InvalidOperationException($"{op}: this is a leaf tensor that requires grad (shape {Shapes.Format(Shape)}); change it in place only inside `using (Tensor.NoGrad())`, as an update step does");
        if (!RequiresGrad && !(other?.RequiresGrad ?? false)) return false;
        if (GradFn is ExpandBackward or ViewBackward or PermuteBackward or NarrowBackward)
            throw new NotSupportedException($"{op}: in-place changes to a view of a tensor that requires grad are not supported; Clone() it first");
        return true;
    }
}
