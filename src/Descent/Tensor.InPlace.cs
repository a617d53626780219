using Descent.Autograd;
using Descent.Kernels;
using Descent.Ops;

namespace Descent;

// In-place operations: PyTorch's trailing underscore (sub_, zero_) is the suffix InPlace here (SubInPlace,
// ZeroInPlace). Each bumps the storage's version counter, so autograd can tell when a saved tensor changed.
// Each throws InvalidOperationException on a leaf that requires grad (or a view of one) outside NoGrad, and on
// an expanded tensor; NotSupportedException on a view whose change would have to be recorded; and
// ShapeMismatchException/DTypeMismatchException when the other operand does not fit this tensor
// (see docs/notes/autograd-engine.md).
public sealed partial class Tensor
{
    /// <summary><c>this += alpha * other</c> in place (PyTorch's <c>add_</c>); on two bool tensors a logical or. Returns this tensor.</summary>
    public Tensor AddInPlace(Tensor other, double alpha = 1) =>
        Apply<AddOp>(Scaled(other, alpha, DType, "AddInPlace"), "AddInPlace");

    /// <summary><c>this += value</c> in place.</summary>
    public Tensor AddInPlace(double value) => Apply<AddOp>(ScalarFor(value), "AddInPlace");

    /// <summary><c>this += value</c> in place for a whole number (exact on an int64 tensor).</summary>
    public Tensor AddInPlace(long value) => Apply<AddOp>(ScalarFor(value), "AddInPlace");

    /// <summary><c>this -= alpha * other</c> in place (PyTorch's <c>sub_</c>): the lesson's update <c>w.sub_(w.grad * lr)</c>.</summary>
    public Tensor SubInPlace(Tensor other, double alpha = 1) => DType == DType.Bool || other.DType == DType.Bool
        ? throw new DTypeMismatchException("SubInPlace: subtracting with a bool tensor is not supported, as in PyTorch; to invert a mask use LogicalNot(), or convert with To(DType.Int64)")
        : Apply<SubOp>(Scaled(other, alpha, DType, "SubInPlace"), "SubInPlace");

    /// <summary><c>this -= value</c> in place.</summary>
    public Tensor SubInPlace(double value) => Apply<SubOp>(ScalarFor(value), "SubInPlace");

    /// <summary><c>this -= value</c> in place for a whole number (exact on an int64 tensor).</summary>
    public Tensor SubInPlace(long value) => Apply<SubOp>(ScalarFor(value), "SubInPlace");

    /// <summary><c>this *= other</c> in place (PyTorch's <c>mul_</c>); on two bool tensors a logical and.</summary>
    public Tensor MulInPlace(Tensor other) => Apply<MulOp>(other, "MulInPlace");

    /// <summary><c>this *= value</c> in place.</summary>
    public Tensor MulInPlace(double value) => Apply<MulOp>(ScalarFor(value), "MulInPlace");

    /// <summary><c>this *= value</c> in place for a whole number (exact on an int64 tensor).</summary>
    public Tensor MulInPlace(long value) => Apply<MulOp>(ScalarFor(value), "MulInPlace");

    /// <summary>
    /// <c>this /= other</c> in place (PyTorch's <c>div_</c>): true division, so an int64 tensor cannot hold the result,
    /// as in PyTorch.
    /// </summary>
    public Tensor DivInPlace(Tensor other) => Apply<DivOp>(RequireTrueDivision(other), "DivInPlace");

    private Tensor RequireTrueDivision(Tensor other) => DType.IsFloatingPoint() ? other
        : throw new DTypeMismatchException($"DivInPlace: dividing gives floats, which cannot be stored in this {DType.Name()} tensor; use Div (a new float tensor), or convert this tensor with To(DType.Float32) first");

    /// <summary><c>this /= value</c> in place.</summary>
    public Tensor DivInPlace(double value) => Apply<DivOp>(RequireTrueDivision(ScalarFor(value)), "DivInPlace");

    /// <summary>Sets every element to zero (PyTorch's <c>zero_</c>): the lesson's <c>w.grad.zero_()</c>.</summary>
    public Tensor ZeroInPlace() => Fill(0, "ZeroInPlace");

    /// <summary>Sets every element to <paramref name="value"/> (PyTorch's <c>fill_</c>).</summary>
    public Tensor FillInPlace(double value) => Fill(value, "FillInPlace");

    /// <summary>Sets every element to the whole number <paramref name="value"/>, exact on an int64 tensor.</summary>
    public Tensor FillInPlace(long value) => Fill(0, "FillInPlace", ScalarFor(value).To(DType));

    // exact: the value as a zero-dim tensor of this dtype, when a double cannot hold it (a whole number past 2^53).
    private Tensor Fill(double value, string op, Tensor? exact = null)
    {
        bool records = CheckInPlace(op, null);
        if (exact is not null) Copy.Run(exact.Expand(ShapeArray), this);
        else if (IsContiguous) FillRaw(value);
        else Copy.Run(Scalar(value, DType).Expand(ShapeArray), this);
        BumpVersion();
        if (records) OverwriteBackward.Record("FillBackward0", this, null);
        return this;
    }

    /// <summary>Copies <paramref name="source"/> (broadcast to this shape, converted to this dtype) into this tensor (PyTorch's <c>copy_</c>).</summary>
    public Tensor CopyInPlace(Tensor source)
    {
        var s = Operand(source, "CopyInPlace", convert: true);
        bool records = CheckInPlace("CopyInPlace", source);
        using (GradMode.Set(false)) Copy.Run(s, this);
        BumpVersion();
        if (records) OverwriteBackward.Record("CopyBackwards", this, source);
        return this;
    }

    /// <summary>Clamps every element into [min, max] in place (PyTorch's <c>clamp_</c>); an integer tensor needs whole-number bounds.</summary>
    public Tensor ClampInPlace(double? min = null, double? max = null) => ClampInPlace(t => t.Clamp(min, max));

    /// <summary>Clamps every element into [min, max] in place, with whole-number bounds (exact on an int64 tensor).</summary>
    public Tensor ClampInPlace(long? min = null, long? max = null) => ClampInPlace(t => t.Clamp(min, max));

    private Tensor ClampInPlace(Func<Tensor, Tensor> clamp)
    {
        bool records = CheckInPlace("ClampInPlace", null);
        Tensor r;
        // Clamp saves its input for backward, so a recorded clamp works on a copy of the old values.
        if (records) r = clamp(Clone());
        else using (GradMode.Set(false)) r = clamp(this);
        if (r.DType != DType)
            throw new DTypeMismatchException($"ClampInPlace: the clamped values are {r.DType.Name()}, which cannot be stored in this {DType.Name()} tensor (a number with a fraction or a double bound makes floats, as in PyTorch); use Clamp, or whole-number bounds");
        using (GradMode.Set(false)) Copy.Run(r, this);
        BumpVersion();
        if (records) SetGradFn(r.GradFn!);
        return this;
    }

    private Tensor Apply<TOp>(Tensor other, string op) where TOp : struct, IBinaryOp
    {
        var operand = Operand(other, op);
        if (CheckInPlace(op, other))
        {
            // Recorded in-place op: compute out of place, write the result here and take over its history.
            // Mul and Div save their operands for backward, and the write below changes this storage, so they
            // get a copy of it (PyTorch saves the original self for mul_ and div_ the same way). An operand that
            // is this very tensor is not copied: backward then fails on its version, as PyTorch's does.
            bool saves = typeof(TOp) == typeof(MulOp) || typeof(TOp) == typeof(DivOp);
            var self = saves ? Clone() : this;
            Tensor r = typeof(TOp) == typeof(AddOp) ? self + other
                : typeof(TOp) == typeof(SubOp) ? self - other
                : typeof(TOp) == typeof(MulOp) ? self * other : self / other;
            r = r.To(DType);
            using (GradMode.Set(false)) Copy.Run(r, this);
            BumpVersion();
            SetGradFn(r.GradFn!);
            return this;
        }
        // Two bool tensors add as a logical or and multiply as a logical and, in place as out of place (PyTorch's add_, mul_).
        if (DType == DType.Bool)
            Copy.Run(typeof(TOp) == typeof(AddOp) ? LogicalOr(operand) : LogicalAnd(operand), this);
        else Binary.Run<TOp>(this, operand, this);
        BumpVersion();
        return this;
    }

    /// <summary>
    /// The other operand of an in-place op, converted to this dtype and broadcast to this shape. Arithmetic refuses a
    /// result this dtype cannot hold (floats into int64); a copy (<paramref name="convert"/>) converts any dtype, as
    /// PyTorch's <c>copy_</c>: toward zero into int64, nonzero as true.
    /// </summary>
    private Tensor Operand(Tensor other, string op, bool convert = false)
    {
        if (!convert && (!DType.IsFloatingPoint() && other.DType.IsFloatingPoint() || DType == DType.Bool && other.DType != DType.Bool))
            throw new DTypeMismatchException($"{op}: the result of type {other.DType.Name()} cannot be stored in a {DType.Name()} tensor");
        CheckNoPartialOverlap(other, op);
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

    /// <summary>
    /// Refuses an operand that shares some, but not exactly all, of its memory with this tensor (<c>x.AddInPlace(x.T)</c>,
    /// <c>x[1..].AddInPlace(x[..^1])</c>): the kernel would read elements it has already overwritten. The very same
    /// view (<c>x.MulInPlace(x)</c>) is fine, element by element. As in PyTorch, only views whose elements fill their
    /// span exactly are judged: interleaved ones (two columns of one matrix) may share no element, and are let through.
    /// </summary>
    private void CheckNoPartialOverlap(Tensor other, string op)
    {
        if (!ReferenceEquals(other.Storage, Storage) || Count == 0 || other.Count == 0) return;
        var (lo, hi) = Extent(this);
        var (otherLo, otherHi) = Extent(other);
        if (hi - lo + 1 != Count || otherHi - otherLo + 1 != other.Count) return;
        if (other.Offset == Offset && other.ShapeArray.AsSpan().SequenceEqual(ShapeArray) && other.StridesArray.AsSpan().SequenceEqual(StridesArray)) return;
        if (otherLo <= hi && lo <= otherHi)
            throw new InvalidOperationException($"{op}: the operand (shape {Shapes.Format(other.Shape)}) and this tensor (shape {Shapes.Format(Shape)}) are views of the same memory and overlap in part, so the op would read elements it has already changed; Clone() the operand first");
    }

    /// <summary>The first and last storage positions a non-empty tensor's elements occupy.</summary>
    private static (long Lo, long Hi) Extent(Tensor t)
    {
        long lo = t.Offset, hi = t.Offset;
        for (int i = 0; i < t.Dim; i++)
        {
            long step = (long)(t.ShapeArray[i] - 1) * t.StridesArray[i];
            if (step > 0) hi += step;
            else lo += step;
        }
        return (lo, hi);
    }

    /// <summary>Throws for in-place changes autograd cannot allow; returns true when the op must be recorded.</summary>
    private bool CheckInPlace(string op, Tensor? other)
    {
        if (_sharedWith is not null)
            throw new InvalidOperationException($"{op}: this tensor (shape {Shapes.Format(Shape)}) is a view of {_sharedWith}, so changing it in place would change the data itself, for every later epoch; Clone() it first (PyTorch's DataLoader hands out copies)");
        for (int i = 0; i < Dim; i++)
            if (StridesArray[i] == 0 && ShapeArray[i] > 1)
                throw new InvalidOperationException($"{op}: more than one element of this tensor (shape {Shapes.Format(Shape)}, strides {Shapes.Format(Strides)}) refers to the same memory, as after Expand; Clone() it before changing it in place");
        if (!GradMode.IsEnabled) return false;
        if (RequiresGrad && IsLeaf)
            throw new InvalidOperationException($"{op}: this is a leaf tensor that requires grad (shape {Shapes.Format(Shape)}); change it in place only inside `using (Tensor.NoGrad())`, as an update step does");
        if (_base is { RequiresGrad: true, IsLeaf: true } leaf)
            throw new InvalidOperationException($"{op}: this is a view of a leaf tensor that requires grad (shape {Shapes.Format(leaf.Shape)}); change it in place only inside `using (Tensor.NoGrad())`");
        bool records = RequiresGradForOp | (other?.RequiresGradForOp ?? false) | (_base?.RequiresGrad ?? false);
        if (!records) return false;
        if (_base is not null)
            throw new NotSupportedException($"{op}: in-place changes to a view (shape {Shapes.Format(Shape)} of a tensor of shape {Shapes.Format(_base.Shape)}) cannot be recorded for backward; Clone() the view, or change the whole tensor");
        return true;
    }
}
