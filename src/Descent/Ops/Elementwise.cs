using Descent.Autograd;
using Descent.Kernels;

namespace Descent.Ops;

/// <summary>
/// Shared front door of the binary elementwise ops: dtype promotion and broadcasting are resolved here, once, as
/// differentiable conversions and expands, so that no backward rule below reasons about shapes or dtypes.
/// </summary>
internal static class Elementwise
{
    public static (Tensor A, Tensor B) Prepare(Tensor a, Tensor b, string op, bool floatOnly = false, bool scalars = false, bool keepBool = false)
    {
        var dtype = ResultType(a, b);
        // Arithmetic on bools counts in int64; a selection between bools (keepBool) stays bool.
        if ((dtype == DType.Bool && !keepBool) || (floatOnly && !dtype.IsFloatingPoint())) dtype = floatOnly ? DType.Float32 : DType.Int64;
        if (a.DType != dtype) a = a.To(dtype);
        if (b.DType != dtype) b = b.To(dtype);
        if (!a.SameShape(b))
        {
            // With `scalars`, a zero-dim operand that needs no gradient (x * lr, g / n) is broadcast by the kernel itself: no
            // backward rule needs its expanded form, since every rule gives the other operand a gradient of the
            // output's shape.
            if (scalars && ((b.Dim == 0 && !b.RequiresGrad) || (a.Dim == 0 && !a.RequiresGrad))) return (a, b);
            var shape = Shapes.Broadcast(a.Shape, b.Shape, op);
            a = a.Expand(shape);
            b = b.Expand(shape);
        }
        return (a, b);
    }

    /// <summary>
    /// PyTorch's result type: a zero-dim operand (a number held in a tensor) does not widen a dimensioned one of the
    /// same kind, so float32 + float64 scalar stays float32; across kinds (int64 + float) the wider kind wins.
    /// </summary>
    public static DType ResultType(Tensor a, Tensor b)
    {
        if ((a.Dim == 0) != (b.Dim == 0))
        {
            var (dimensioned, zeroDim) = a.Dim == 0 ? (b, a) : (a, b);
            if (Kind(dimensioned.DType) >= Kind(zeroDim.DType)) return dimensioned.DType;
        }
        return DTypeExtensions.Promote(a.DType, b.DType);
    }

    private static int Kind(DType d) => d switch
    {
        DType.Bool => 0,
        DType.Int64 => 1,
        _ => 2,
    };

    public static Tensor Binary<TOp>(Tensor a, Tensor b) where TOp : struct, IBinaryOp
    {
        // Shape arrays are never changed in place once a tensor holds them, so the result shares its operand's.
        var r = Tensor.Empty(a.Dim >= b.Dim ? a.ShapeArray : b.ShapeArray, a.DType);
        Kernels.Binary.Run<TOp>(a, b, r);
        return r;
    }

    public static Tensor Unary<TOp>(Tensor x) where TOp : struct, IUnaryOp
    {
        var c = x.Contiguous();
        var r = Tensor.Empty(x.ShapeArray, x.DType);
        Kernels.Unary.Run<TOp>(c, r);
        return r;
    }

    /// <summary>Float-only unary ops promote integer and bool inputs to float32, as PyTorch does.</summary>
    public static Tensor Floating(Tensor x) => x.DType.IsFloatingPoint() ? x : x.To(DType.Float32);
}

internal sealed class AddBackward : Node
{
    public static Tensor Forward(Tensor a, Tensor b)
    {
        (a, b) = Elementwise.Prepare(a, b, "Add", scalars: true);
        var r = Elementwise.Binary<AddOp>(a, b);
        return GradMode.Records(a, b) ? new AddBackward().Attach(r, a, b) : r;
    }

    internal override Tensor?[] Apply(Tensor g) => [g, g];
}

internal sealed class SubBackward : Node
{
    public static Tensor Forward(Tensor a, Tensor b)
    {
        (a, b) = Elementwise.Prepare(a, b, "Sub", scalars: true);
        var r = Elementwise.Binary<SubOp>(a, b);
        return GradMode.Records(a, b) ? new SubBackward().Attach(r, a, b) : r;
    }

    internal override Tensor?[] Apply(Tensor g) => [g, NeedsGrad(1) ? -g : null];
}

internal sealed class MulBackward : Node
{
    private bool _square;

    public static Tensor Forward(Tensor a, Tensor b)
    {
        (a, b) = Elementwise.Prepare(a, b, "Mul", scalars: true);
        var r = Elementwise.Binary<MulOp>(a, b);
        if (!GradMode.Records(a, b)) return r;
        var node = new MulBackward { _square = ReferenceEquals(a, b) };
        node.Save(a, b);
        return node.Attach(r, a, b);
    }

    // d(ab)/da = b, d(ab)/db = a. For x * x both edges reach x: one product g*x, doubled (exactly g*x + g*x), is
    // handed to the first edge and nothing to the second, which saves two full-size temporaries.
    internal override Tensor?[] Apply(Tensor g)
    {
        if (_square && NeedsGrad(0))
        {
            var x = Saved(0);
            // A gradient that is one number broadcast (a sum's backward) is doubled first: x * (2g) equals
            // (g * x) * 2 exactly, since doubling is exact, and costs one full-size product instead of two.
            if (Array.TrueForAll(g.StridesArray, s => s == 0))
                return [x * (new Tensor(g.Storage, [], [], g.Offset) * 2.0), null];
            return [g * x * 2.0, null];
        }
        return [NeedsGrad(0) ? g * Saved(1) : null, NeedsGrad(1) ? g * Saved(0) : null];
    }
}

internal sealed class DivBackward : Node
{
    public static Tensor Forward(Tensor a, Tensor b)
    {
        (a, b) = Elementwise.Prepare(a, b, "Div", floatOnly: true, scalars: true);
        var r = Elementwise.Binary<DivOp>(a, b);
        if (!GradMode.Records(a, b)) return r;
        var node = new DivBackward();
        node.Save(a, b);
        return node.Attach(r, a, b);
    }

    // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
    internal override Tensor?[] Apply(Tensor g)
    {
        var b = Saved(1);
        return [NeedsGrad(0) ? g / b : null, NeedsGrad(1) ? -g * Saved(0) / (b * b) : null];
    }
}

internal sealed class PowBackward : Node
{
    public static Tensor Forward(Tensor a, Tensor b)
    {
        // Integers (and bools) raised to integers stay int64, as in PyTorch; a number with a fraction makes floats.
        bool integers = !Elementwise.ResultType(a, b).IsFloatingPoint();
        (a, b) = Elementwise.Prepare(a, b, "Pow", floatOnly: !integers, scalars: true);
        var r = Elementwise.Binary<PowOp>(a, b);
        if (!GradMode.Records(a, b)) return r;
        var node = new PowBackward();
        node.Save(a, b, r);
        return node.Attach(r, a, b);
    }

    // d(a^b)/da = b a^(b-1), taken as 0 where b = 0 (else 0 * 0^-1 would be NaN at a = 0), as PyTorch does;
    // d(a^b)/db = a^b ln a, taken as 0 where a = 0 and b >= 0, as PyTorch does
    internal override Tensor?[] Apply(Tensor g)
    {
        var a = Saved(0);
        var b = Saved(1);
        Tensor? ga = NeedsGrad(0) ? Tensor.Where(b.Ne(0.0), g * b * a.Pow(b - 1.0), 0.0) : null;
        Tensor? gb = null;
        if (NeedsGrad(1))
        {
            var zero = a.Eq(0.0) & b.Ge(0.0);
            gb = Tensor.Where(zero, Tensor.ZerosLike(a), g * Saved(2) * a.Log());
        }
        return [ga, gb];
    }
}

/// <summary>Elementwise maximum or minimum; the gradient goes to the chosen operand, split in half on ties and given to both at a NaN, as in PyTorch.</summary>
internal sealed class ExtremumBackward(bool max) : Node
{
    public override string Name => max ? "MaximumBackward0" : "MinimumBackward0";

    public static Tensor Forward(Tensor a, Tensor b, bool max)
    {
        (a, b) = Elementwise.Prepare(a, b, max ? "Maximum" : "Minimum", scalars: true);
        var r = max ? Elementwise.Binary<MaximumOp>(a, b) : Elementwise.Binary<MinimumOp>(a, b);
        if (!GradMode.Records(a, b)) return r;
        var node = new ExtremumBackward(max);
        node.Save(a, b);
        return node.Attach(r, a, b);
    }

    // As PyTorch: each side gets the gradient unless it lost (max: a < b for a, a > b for b), half of it on a tie.
    // At a NaN neither side lost, so both get all of it. The loser gets an exact 0, even where g is NaN or infinite.
    internal override Tensor?[] Apply(Tensor g)
    {
        var a = Saved(0);
        var b = Saved(1);
        var share = Tensor.Where(a.Eq(b), g * 0.5, g);
        return [NeedsGrad(0) ? Tensor.Where(max ? a.Lt(b) : a.Gt(b), 0L, share) : null,
            NeedsGrad(1) ? Tensor.Where(max ? a.Gt(b) : a.Lt(b), 0L, share) : null];
    }
}
