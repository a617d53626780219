using Descent.Autograd;
using Descent.Ops;

namespace Descent;

// Elementwise math, comparisons and reductions. Every method forwards to one primitive in Ops/ or composes them.
public sealed partial class Tensor
{
    /// <summary><c>this + alpha * other</c>, broadcasting (PyTorch's <c>add</c>); two bool tensors add as a logical or, as in PyTorch.</summary>
    public Tensor Add(Tensor other, double alpha = 1) =>
        BothBool(other) ? LogicalOr(Scaled(other, alpha, DType.Bool, "Add")) : AddBackward.Forward(this, Scaled(other, alpha, Elementwise.ResultType(this, other), "Add"));

    /// <summary><c>this - alpha * other</c>, broadcasting (PyTorch's <c>sub</c>).</summary>
    /// <exception cref="DTypeMismatchException">Either tensor is bool, which PyTorch refuses too.</exception>
    public Tensor Sub(Tensor other, double alpha = 1) => DType == DType.Bool || other.DType == DType.Bool
        ? throw new DTypeMismatchException(BothBool(other)
            ? "Sub: subtracting two bool tensors is not supported, as in PyTorch; use Ne() for exclusive or, or convert with To(DType.Int64)"
            : "Sub: subtracting with a bool tensor is not supported, as in PyTorch; to invert a mask use LogicalNot(), or convert with To(DType.Int64)")
        : SubBackward.Forward(this, Scaled(other, alpha, Elementwise.ResultType(this, other), "Sub"));

    private bool BothBool(Tensor other) => DType == DType.Bool && other is { DType: DType.Bool };

    // alpha * other for Add/Sub and their in-place forms: a whole alpha keeps an integer tensor integer, as PyTorch's
    // integral alpha does (x.add(y, alpha=2) on int64 tensors is int64). A fraction cannot scale into an int64 or bool
    // result, which PyTorch refuses too ("argument alpha must not be a floating point number"). Into a bool result, a
    // whole alpha times a bool tensor is a bool too: the tensor itself, or all false for alpha 0, as in PyTorch.
    internal static Tensor Scaled(Tensor other, double alpha, DType result, string op)
    {
        if (alpha == 1) return other;
        bool whole = alpha == Math.Round(alpha) && Math.Abs(alpha) <= long.MaxValue / 2;
        if (!whole && !result.IsFloatingPoint())
            throw new ArgumentException($"{op}: alpha {alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not a whole number, so it cannot scale {result.Name()} operands, as in PyTorch; pass a whole alpha, or convert with To(DType.Float32)", nameof(alpha));
        if (result == DType.Bool && other.DType == DType.Bool) return alpha == 0 ? ZerosLike(other) : other;
        return !other.DType.IsFloatingPoint() && whole ? other * (long)alpha : other * alpha;
    }

    /// <summary>Elementwise product, broadcasting (PyTorch's <c>mul</c>); two bool tensors multiply as a logical and, as in PyTorch.</summary>
    public Tensor Mul(Tensor other) => BothBool(other) ? LogicalAnd(other) : MulBackward.Forward(this, other);

    /// <summary>Elementwise true division, broadcasting; integers divide as floats (PyTorch's <c>div</c>).</summary>
    public Tensor Div(Tensor other) => DivBackward.Forward(this, other);

    /// <summary>Elementwise power, broadcasting (PyTorch's <c>pow</c>).</summary>
    public Tensor Pow(Tensor exponent) => PowBackward.Forward(this, exponent);

    /// <summary>Elementwise power by a number (PyTorch's <c>pow</c>); integer tensors give float results.</summary>
    public Tensor Pow(double exponent) => PowBackward.Forward(this, ScalarFor(exponent));

    /// <summary>
    /// Elementwise power by a whole number (PyTorch's <c>pow</c>): integer tensors stay int64 and wrap on overflow,
    /// as in PyTorch, and refuse a negative exponent; float tensors as <see cref="Pow(double)"/>.
    /// </summary>
    public Tensor Pow(long exponent)
    {
        // PyTorch refuses a negative number as the exponent of an integer tensor; a tensor of exponents is let through.
        if (exponent < 0 && !DType.IsFloatingPoint())
            throw new ArgumentOutOfRangeException(nameof(exponent), $"Pow: integers to negative integer powers are not allowed, as in PyTorch; raise a float tensor instead: x.To(DType.Float32).Pow({exponent})");
        return PowBackward.Forward(this, ScalarFor(exponent));
    }

    /// <summary>Elementwise square, <c>x * x</c> (PyTorch's <c>square</c>).</summary>
    public Tensor Square() => MulBackward.Forward(this, this);

    /// <summary>Elementwise square root.</summary>
    public Tensor Sqrt() => SqrtBackward.Forward(this);

    /// <summary>Elementwise e^x.</summary>
    public Tensor Exp() => ExpBackward.Forward(this);

    /// <summary>Elementwise natural logarithm.</summary>
    public Tensor Log() => LogBackward.Forward(this);

    /// <summary>Elementwise absolute value.</summary>
    public Tensor Abs() => AbsBackward.Forward(this);

    /// <summary>Elementwise negation.</summary>
    public Tensor Neg() => NegBackward.Forward(this);

    /// <summary>Elementwise sign: -1, 0 or 1; its gradient is zero everywhere, as in PyTorch. A bool tensor's sign is a bool copy of it, as in PyTorch.</summary>
    public Tensor Sign() => DType == DType.Bool ? Clone() : SignBackward.Forward(this);

    /// <summary>Elementwise clamp into [min, max]; either bound may be null (PyTorch's <c>clamp</c>).</summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        // A fractional-number bound makes an integer tensor's result float32, as a Python float bound does in PyTorch.
        var x = DType.IsFloatingPoint() ? this : To(DType.Float32);
        return ClampBackward.Forward(x, min is { } lo ? x.ScalarFor(lo) : null, max is { } hi ? x.ScalarFor(hi) : null);
    }

    /// <summary>
    /// Elementwise clamp into [min, max] with whole-number bounds: an int64 tensor stays int64 and exact, a bool tensor
    /// gives int64, as PyTorch's <c>clamp</c> with int bounds.
    /// </summary>
    public Tensor Clamp(long? min = null, long? max = null)
    {
        var x = DType == DType.Bool ? To(DType.Int64) : this;
        return ClampBackward.Forward(x, min is { } lo ? x.ScalarFor(lo) : null, max is { } hi ? x.ScalarFor(hi) : null);
    }

    /// <summary>max(x, 0) elementwise.</summary>
    public Tensor Relu() => ReluBackward.Forward(this);

    /// <summary>1 / (1 + e^-x) elementwise.</summary>
    public Tensor Sigmoid() => SigmoidBackward.Forward(this);

    /// <summary>Hyperbolic tangent elementwise.</summary>
    public Tensor Tanh() => TanhBackward.Forward(this);

    /// <summary>Elementwise maximum of two tensors, broadcasting; NaN propagates (PyTorch's <c>maximum</c>).</summary>
    public Tensor Maximum(Tensor other) => BothBool(other) ? LogicalOr(other) : ExtremumBackward.Forward(this, other, max: true);

    /// <summary>Elementwise minimum of two tensors, broadcasting; NaN propagates (PyTorch's <c>minimum</c>).</summary>
    public Tensor Minimum(Tensor other) => BothBool(other) ? LogicalAnd(other) : ExtremumBackward.Forward(this, other, max: false);

    /// <summary>Mask of <c>this == other</c>.</summary>
    public Tensor Eq(Tensor other) => Compare.Forward(this, other, Compare.Kind.Eq);

    /// <summary>Mask of <c>this == value</c>.</summary>
    public Tensor Eq(double value) => Eq(ScalarFor(value));

    /// <summary>Mask of <c>this == value</c> for a whole number, compared exactly on an int64 tensor.</summary>
    public Tensor Eq(long value) => Eq(ScalarFor(value));

    /// <summary>Mask of <c>this != other</c>.</summary>
    public Tensor Ne(Tensor other) => Compare.Forward(this, other, Compare.Kind.Ne);

    /// <summary>Mask of <c>this != value</c>.</summary>
    public Tensor Ne(double value) => Ne(ScalarFor(value));

    /// <summary>Mask of <c>this != value</c> for a whole number, compared exactly on an int64 tensor.</summary>
    public Tensor Ne(long value) => Ne(ScalarFor(value));

    /// <summary>Mask of <c>this &lt; other</c>.</summary>
    public Tensor Lt(Tensor other) => Compare.Forward(this, other, Compare.Kind.Lt);

    /// <summary>Mask of <c>this &lt; value</c>.</summary>
    public Tensor Lt(double value) => Lt(ScalarFor(value));

    /// <summary>Mask of <c>this &lt; value</c> for a whole number, compared exactly on an int64 tensor.</summary>
    public Tensor Lt(long value) => Lt(ScalarFor(value));

    /// <summary>Mask of <c>this &lt;= other</c>.</summary>
    public Tensor Le(Tensor other) => Compare.Forward(this, other, Compare.Kind.Le);

    /// <summary>Mask of <c>this &lt;= value</c>.</summary>
    public Tensor Le(double value) => Le(ScalarFor(value));

    /// <summary>Mask of <c>this &lt;= value</c> for a whole number, compared exactly on an int64 tensor.</summary>
    public Tensor Le(long value) => Le(ScalarFor(value));

    /// <summary>Mask of <c>this &gt; other</c>.</summary>
    public Tensor Gt(Tensor other) => Compare.Forward(this, other, Compare.Kind.Gt);

    /// <summary>Mask of <c>this &gt; value</c>.</summary>
    public Tensor Gt(double value) => Gt(ScalarFor(value));

    /// <summary>Mask of <c>this &gt; value</c> for a whole number, compared exactly on an int64 tensor.</summary>
    public Tensor Gt(long value) => Gt(ScalarFor(value));

    /// <summary>Mask of <c>this &gt;= other</c>.</summary>
    public Tensor Ge(Tensor other) => Compare.Forward(this, other, Compare.Kind.Ge);

    /// <summary>Mask of <c>this &gt;= value</c>.</summary>
    public Tensor Ge(double value) => Ge(ScalarFor(value));

    /// <summary>Mask of <c>this &gt;= value</c> for a whole number, compared exactly on an int64 tensor.</summary>
    public Tensor Ge(long value) => Ge(ScalarFor(value));

    /// <summary>Elementwise AND, broadcasting, with a bool result; any dtype counts nonzero as true (PyTorch's <c>logical_and</c>).</summary>
    public Tensor LogicalAnd(Tensor other) => Compare.Logical(this, other, and: true);

    /// <summary>Elementwise OR, broadcasting, with a bool result; any dtype counts nonzero as true (PyTorch's <c>logical_or</c>).</summary>
    public Tensor LogicalOr(Tensor other) => Compare.Logical(this, other, and: false);

    /// <summary>Elementwise NOT with a bool result; any dtype counts nonzero as true (PyTorch's <c>logical_not</c>).</summary>
    public Tensor LogicalNot() => Compare.Not(this);

    /// <summary>
    /// Elementwise <c>condition ? a : b</c>, broadcasting all three (PyTorch's <c>where</c>): the branches promote as
    /// arithmetic does, except that two bool branches give bools.
    /// </summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b) => WhereBackward.Forward(condition, a, b);

    /// <summary>Elementwise <c>condition ? a : b</c> with a number for <paramref name="b"/>.</summary>
    public static Tensor Where(Tensor condition, Tensor a, double b) => WhereBackward.Forward(condition, a, a.ScalarFor(b));

    /// <summary>Elementwise <c>condition ? a : b</c> with a number for <paramref name="a"/>.</summary>
    public static Tensor Where(Tensor condition, double a, Tensor b) => WhereBackward.Forward(condition, b.ScalarFor(a), b);

    /// <summary>Elementwise <c>condition ? a : b</c> with a whole number for <paramref name="b"/>: an int64 <paramref name="a"/> stays int64.</summary>
    public static Tensor Where(Tensor condition, Tensor a, long b) => WhereBackward.Forward(condition, a, a.ScalarFor(b));

    /// <summary>Elementwise <c>condition ? a : b</c> with two whole numbers: an int64 tensor of the condition's shape, as PyTorch's <c>torch.where(mask, 1, 0)</c>.</summary>
    public static Tensor Where(Tensor condition, long a, long b) =>
        WhereBackward.Forward(condition, Scalar(0, DType.Int64).ScalarFor(a), Scalar(0, DType.Int64).ScalarFor(b));

    /// <summary>Elementwise <c>condition ? a : b</c> with a whole number for <paramref name="a"/>: an int64 <paramref name="b"/> stays int64.</summary>
    public static Tensor Where(Tensor condition, long a, Tensor b) => WhereBackward.Forward(condition, b.ScalarFor(a), b);

    /// <summary>
    /// Elementwise <c>condition ? a : b</c> with two numbers: a float32 tensor of the condition's shape, as PyTorch's
    /// <c>torch.where(mask, 1.0, 0.0)</c>.
    /// </summary>
    public static Tensor Where(Tensor condition, double a, double b) => WhereBackward.Forward(condition, Scalar(a), Scalar(b));

    /// <summary>Sum of all elements, as a zero-dim tensor.</summary>
    public Tensor Sum() => SumBackward.Forward(this, null, false);

    /// <summary>Sum over <paramref name="dim"/>. Shape: the input's without that dim (kept as size 1 with <paramref name="keepDim"/>).</summary>
    public Tensor Sum(int dim, bool keepDim = false) => SumBackward.Forward(this, [dim], keepDim);

    /// <summary>Sum over several dims.</summary>
    public Tensor Sum(int[] dims, bool keepDim = false) => SumBackward.Forward(this, dims, keepDim);

    /// <summary>Mean of all elements (floating-point tensors only, as PyTorch).</summary>
    public Tensor Mean() => Sum() / (double)RequireFloating("Mean").Count;

    /// <summary>Mean over <paramref name="dim"/>.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>Mean over several dims.</summary>
    public Tensor Mean(int[] dims, bool keepDim = false)
    {
        Reduction.Dims(dims, Dim, "Mean");
        return Sum(dims, keepDim) / (double)ReducedCount(RequireFloating("Mean"), dims);
    }

    /// <summary>
    /// Variance over <paramref name="dim"/>, or of all elements when it is null, with Bessel's correction by default
    /// (<paramref name="correction"/> 1), as PyTorch: <c>x.Var(1)</c> is PyTorch's <c>x.var(1)</c>, over dim 1.
    /// </summary>
    public Tensor Var(int? dim = null, bool keepDim = false, int correction = 1) => Var(dim is { } d ? [d] : [], keepDim, correction);

    /// <summary>Variance over several dims: <c>sum((x - mean)^2) / (n - correction)</c>.</summary>
    public Tensor Var(int[] dims, bool keepDim = false, int correction = 1)
    {
        RequireFloating("Var");
        Reduction.Dims(dims, Dim, "Var");
        var d = this - Mean(dims, keepDim: true);
        return (d * d).Sum(dims, keepDim) / Math.Max(0, ReducedCount(this, dims) - correction);
    }

    /// <summary>Standard deviation over <paramref name="dim"/>, or of all elements when it is null (square root of <see cref="Var(int?, bool, int)"/>).</summary>
    public Tensor Std(int? dim = null, bool keepDim = false, int correction = 1) => Std(dim is { } d ? [d] : [], keepDim, correction);

    /// <summary>Standard deviation over several dims.</summary>
    public Tensor Std(int[] dims, bool keepDim = false, int correction = 1)
    {
        RequireFloating("Std");
        Reduction.Dims(dims, Dim, "Std");
        return StdBackward.Forward(Var(dims, keepDim, correction));
    }

    /// <summary>Largest element, as a zero-dim tensor; NaN if any element is NaN.</summary>
    public Tensor Max() => ExtremeAllBackward.Forward(this, max: true);

    /// <summary>Largest element along <paramref name="dim"/> and its index (PyTorch's <c>max(dim)</c>).</summary>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false) => ExtremeDimBackward.Forward(this, dim, keepDim, max: true);

    /// <summary>Smallest element, as a zero-dim tensor; NaN if any element is NaN.</summary>
    public Tensor Min() => ExtremeAllBackward.Forward(this, max: false);

    /// <summary>Smallest element along <paramref name="dim"/> and its index (PyTorch's <c>min(dim)</c>).</summary>
    public (Tensor Values, Tensor Indices) Min(int dim, bool keepDim = false) => ExtremeDimBackward.Forward(this, dim, keepDim, max: false);

    /// <summary>Flat index of the largest element, int64.</summary>
    public Tensor ArgMax() => Count > 0 ? Reshape(-1).Max(0).Indices
        : throw new ArgumentException($"ArgMax: the tensor (shape {Shapes.Format(Shape)}) is empty, so it has no largest element; give a dim or check its shape");

    /// <summary>Index of the largest element along <paramref name="dim"/>, int64.</summary>
    public Tensor ArgMax(int dim, bool keepDim = false) => ExtremeDimBackward.Forward(this, dim, keepDim, max: true, "ArgMax").Indices;

    /// <summary>Flat index of the smallest element, int64.</summary>
    public Tensor ArgMin() => Count > 0 ? Reshape(-1).Min(0).Indices
        : throw new ArgumentException($"ArgMin: the tensor (shape {Shapes.Format(Shape)}) is empty, so it has no smallest element; give a dim or check its shape");

    /// <summary>Index of the smallest element along <paramref name="dim"/>, int64.</summary>
    public Tensor ArgMin(int dim, bool keepDim = false) => ExtremeDimBackward.Forward(this, dim, keepDim, max: false, "ArgMin").Indices;

    /// <summary>
    /// Matrix product with PyTorch's rules: 1-D·1-D is a dot product, 2-D·2-D a matrix product, a 1-D operand
    /// gains and then loses a dim, and leading batch dims broadcast.
    /// Shape: (..., n, k) @ (..., k, m) → (..., n, m).
    /// </summary>
    /// <exception cref="ShapeMismatchException">The inner sizes differ or the batch dims do not broadcast:
    /// <c>MatMul: cannot multiply 5x3 by 2x3</c>.</exception>
    /// <exception cref="DTypeMismatchException">The operands have different dtypes, or are bool.</exception>
    public Tensor MatMul(Tensor other)
    {
        var a = this;
        var b = other;
        if (a.Dim == 0 || b.Dim == 0)
            throw new ShapeMismatchException($"MatMul: both operands need at least 1 dim, got shapes {Shapes.Format(a.Shape)} and {Shapes.Format(b.Shape)}");
        bool aVec = a.Dim == 1, bVec = b.Dim == 1;
        if (aVec) a = a.Unsqueeze(0);
        if (bVec) b = b.Unsqueeze(1);
        if (a.Size(-1) != b.Size(-2))
            throw new ShapeMismatchException($"MatMul: cannot multiply {Shapes.Times(Shape)} by {Shapes.Times(other.Shape)}");
        Tensor r;
        if (a.Dim == 2 && b.Dim == 2) r = MmBackward.Forward(a, b);
        else
        {
            var batchA = a.ShapeArray[..^2];
            var batchB = b.ShapeArray[..^2];
            if (!Shapes.CanBroadcast(batchA, batchB))
                throw new ShapeMismatchException($"MatMul: cannot multiply {Shapes.Times(Shape)} by {Shapes.Times(other.Shape)}: batch dims {Shapes.Format(batchA)} and {Shapes.Format(batchB)} do not broadcast");
            var batch = Shapes.Broadcast(batchA, batchB, "MatMul");
            int n = Shapes.Numel(batch);
            var a3 = a.Expand([.. batch, a.Size(-2), a.Size(-1)]).Reshape(n, a.Size(-2), a.Size(-1));
            var b3 = b.Expand([.. batch, b.Size(-2), b.Size(-1)]).Reshape(n, b.Size(-2), b.Size(-1));
            r = MmBackward.Forward(a3, b3).Reshape([.. batch, a.Size(-2), b.Size(-1)]);
        }
        if (aVec) r = r.Squeeze(-2);
        if (bVec) r = r.Squeeze(-1);
        return r;
    }

    /// <summary>Joins tensors along an existing dim (PyTorch's <c>cat</c>).</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0) => CatBackward.Forward(tensors, dim);

    /// <summary>Joins same-shaped tensors along a new dim (PyTorch's <c>stack</c>).</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("Stack: expects at least one tensor");
        int d = Shapes.Dim(dim, tensors[0].Dim + 1, "Stack", tensorDims: tensors[0].Dim);
        var parts = new Tensor[tensors.Count];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!tensors[i].SameShape(tensors[0]))
                throw new ShapeMismatchException($"Stack: all tensors must have one shape, but tensor {i} has {Shapes.Format(tensors[i].Shape)} and tensor 0 has {Shapes.Format(tensors[0].Shape)}");
            parts[i] = tensors[i].Unsqueeze(d);
        }
        return Cat(parts, d);
    }

    /// <summary>
    /// Entries at int64 <paramref name="index"/> along <paramref name="dim"/> (PyTorch's <c>index_select</c>). As in
    /// PyTorch, every index lies in 0..size-1: a negative one is out of range, not counted from the end.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is negative or not below the dim's size.</exception>
    public Tensor IndexSelect(int dim, Tensor index) => IndexSelectBackward.Forward(this, dim, index);

    /// <summary>Sums a broadcast gradient back to <paramref name="shape"/>: the backward of <see cref="Expand(int[])"/>.</summary>
    public Tensor SumToShape(ReadOnlySpan<int> shape)
    {
        if (Shape.SequenceEqual(shape)) return this;
        int lead = Dim - shape.Length;
        if (lead < 0) throw new ShapeMismatchException($"SumToShape: {Shapes.Format(Shape)} has fewer dims than {Shapes.Format(shape)}");
        Span<int> found = stackalloc int[Dim];
        int count = 0;
        bool inner = false;
        for (int i = 0; i < Dim; i++)
        {
            if (i < lead) found[count++] = i;
            else if (shape[i - lead] == 1 && ShapeArray[i] != 1)
            {
                found[count++] = i;
                inner = true;
            }
            else if (shape[i - lead] != ShapeArray[i])
                throw new ShapeMismatchException($"SumToShape: {Shapes.Format(Shape)} cannot be summed to {Shapes.Format(shape)}");
        }
        int[] dims = found[..count].ToArray();
        // Only new leading dims (a bias broadcast over rows): their sum has the shape already.
        if (!inner) return Sum(dims);
        var s = Sum(dims, keepDim: true);
        return lead > 0 || s.Dim != shape.Length ? s.Reshape(shape.ToArray()) : s;
    }

    private static int ReducedCount(Tensor x, int[] dims)
    {
        if (dims.Length == 0) return x.Count;
        int n = 1;
        foreach (var d in dims) n *= x.Dim == 0 ? 1 : x.ShapeArray[Shapes.Dim(d, x.Dim, "Mean")];
        return n;
    }

    private Tensor RequireFloating(string op) => DType.IsFloatingPoint() ? this
        : throw new DTypeMismatchException($"{op}: needs a floating-point tensor, got {DType.Name()}; convert with To(DType.Float32)");

    /// <summary>A zero-dim tensor for a number in an op with this tensor: the tensor's dtype, or float32 when a fraction meets an integer tensor.</summary>
    internal Tensor ScalarFor(double value) =>
        Scalar(value, DType.IsFloatingPoint() ? DType : DType.Float32);

    /// <summary>A zero-dim tensor for a whole number: the tensor's dtype (int64 for bool), the value exact in int64 and rounded once in float.</summary>
    internal Tensor ScalarFor(long value)
    {
        var t = Empty([], DType == DType.Bool ? DType.Int64 : DType);
        switch (t.DType)
        {
            case DType.Int64: t.Span<long>()[0] = value; break;
            case DType.Float32: t.Span<float>()[0] = value; break;
            default: t.Span<double>()[0] = value; break;
        }
        return t;
    }
}
