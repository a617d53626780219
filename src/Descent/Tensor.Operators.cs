namespace Descent;

// C# operators only forward to the named methods. Numbers on either side become zero-dim tensors of the
// tensor's dtype. As in PyTorch, where a Python int and a Python float differ, a whole number (an int or long
// argument) keeps an int64 tensor int64, and a double meeting an int64 tensor gives float32.
public sealed partial class Tensor
{
    /// <summary>Elementwise sum, broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);

    /// <summary>Adds a number to every element.</summary>
    public static Tensor operator +(Tensor a, double b) => a.Add(a.ScalarFor(b));

    /// <summary>Adds a number to every element.</summary>
    public static Tensor operator +(double a, Tensor b) => b.ScalarFor(a).Add(b);

    /// <summary>Adds a whole number to every element.</summary>
    public static Tensor operator +(Tensor a, long b) => a.Add(a.ScalarFor(b));

    /// <summary>Adds a whole number to every element.</summary>
    public static Tensor operator +(long a, Tensor b) => b.ScalarFor(a).Add(b);

    /// <summary>Elementwise difference, broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);

    /// <summary>Subtracts a number from every element.</summary>
    public static Tensor operator -(Tensor a, double b) => a.Sub(a.ScalarFor(b));

    /// <summary>Subtracts every element from a number.</summary>
    public static Tensor operator -(double a, Tensor b) => b.ScalarFor(a).Sub(b);

    /// <summary>Subtracts a whole number from every element.</summary>
    public static Tensor operator -(Tensor a, long b) => a.Sub(a.ScalarFor(b));

    /// <summary>Subtracts every element from a whole number.</summary>
    public static Tensor operator -(long a, Tensor b) => b.ScalarFor(a).Sub(b);

    /// <summary>Elementwise product, broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);

    /// <summary>Multiplies every element by a number.</summary>
    public static Tensor operator *(Tensor a, double b) => a.Mul(a.ScalarFor(b));

    /// <summary>Multiplies every element by a number.</summary>
    public static Tensor operator *(double a, Tensor b) => b.Mul(b.ScalarFor(a));

    /// <summary>Multiplies every element by a whole number.</summary>
    public static Tensor operator *(Tensor a, long b) => a.Mul(a.ScalarFor(b));

    /// <summary>Multiplies every element by a whole number.</summary>
    public static Tensor operator *(long a, Tensor b) => b.Mul(b.ScalarFor(a));

    /// <summary>Elementwise true division, broadcasting.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);

    /// <summary>Divides every element by a number.</summary>
    public static Tensor operator /(Tensor a, double b) => a.Div(a.ScalarFor(b));

    /// <summary>Divides a number by every element.</summary>
    public static Tensor operator /(double a, Tensor b) => b.ScalarFor(a).Div(b);

    /// <summary>Divides every element by a whole number.</summary>
    public static Tensor operator /(Tensor a, long b) => a.Div(a.ScalarFor(b));

    /// <summary>Divides a whole number by every element.</summary>
    public static Tensor operator /(long a, Tensor b) => b.ScalarFor(a).Div(b);

    /// <summary>Elementwise negation.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();

    /// <summary>Elementwise AND of bool tensors.</summary>
    /// <exception cref="DTypeMismatchException">An operand is not bool: PyTorch's <c>&amp;</c> on integers is bitwise, which Descent does not have.</exception>
    public static Tensor operator &(Tensor a, Tensor b) => Bools(a, b, "LogicalAnd", "&").LogicalAnd(b);

    /// <summary>Elementwise OR of bool tensors.</summary>
    /// <exception cref="DTypeMismatchException">An operand is not bool: PyTorch's <c>|</c> on integers is bitwise, which Descent does not have.</exception>
    public static Tensor operator |(Tensor a, Tensor b) => Bools(a, b, "LogicalOr", "|").LogicalOr(b);

    /// <summary>Elementwise NOT of a bool tensor.</summary>
    /// <exception cref="DTypeMismatchException">The operand is not bool: PyTorch's <c>~</c> on integers is bitwise, which Descent does not have.</exception>
    public static Tensor operator !(Tensor a) => Bools(a, a, "LogicalNot", "!").LogicalNot();

    private static Tensor Bools(Tensor a, Tensor b, string method, string op) => a.DType == DType.Bool && b.DType == DType.Bool ? a
        : throw new DTypeMismatchException($"{method}: the {op} operator takes bool tensors, got {a.DType.Name()}{(ReferenceEquals(a, b) ? "" : $" and {b.DType.Name()}")} (on integers PyTorch's is bitwise, which Descent does not have); call {method}() for a logical result, nonzero counting as true");

    /// <summary>Mask of <c>a &lt; b</c>.</summary>
    public static Tensor operator <(Tensor a, Tensor b) => a.Lt(b);

    /// <summary>Mask of <c>a &gt; b</c>.</summary>
    public static Tensor operator >(Tensor a, Tensor b) => a.Gt(b);

    /// <summary>Mask of <c>a &lt;= b</c>.</summary>
    public static Tensor operator <=(Tensor a, Tensor b) => a.Le(b);

    /// <summary>Mask of <c>a &gt;= b</c>.</summary>
    public static Tensor operator >=(Tensor a, Tensor b) => a.Ge(b);

    /// <summary>Mask of <c>a &lt; b</c>.</summary>
    public static Tensor operator <(Tensor a, double b) => a.Lt(b);

    /// <summary>Mask of <c>a &lt; b</c> for a whole number b (exact on int64 tensors).</summary>
    public static Tensor operator <(Tensor a, long b) => a.Lt(b);

    /// <summary>Mask of <c>a &gt; b</c>.</summary>
    public static Tensor operator >(Tensor a, double b) => a.Gt(b);

    /// <summary>Mask of <c>a &gt; b</c> for a whole number b (exact on int64 tensors).</summary>
    public static Tensor operator >(Tensor a, long b) => a.Gt(b);

    /// <summary>Mask of <c>a &lt;= b</c>.</summary>
    public static Tensor operator <=(Tensor a, double b) => a.Le(b);

    /// <summary>Mask of <c>a &lt;= b</c> for a whole number b (exact on int64 tensors).</summary>
    public static Tensor operator <=(Tensor a, long b) => a.Le(b);

    /// <summary>Mask of <c>a &gt;= b</c>.</summary>
    public static Tensor operator >=(Tensor a, double b) => a.Ge(b);

    /// <summary>Mask of <c>a &gt;= b</c> for a whole number b (exact on int64 tensors).</summary>
    public static Tensor operator >=(Tensor a, long b) => a.Ge(b);
}
