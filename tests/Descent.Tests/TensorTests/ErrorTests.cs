using CsCheck;
using Descent.Ops;
using Xunit;

namespace Descent.Tests.TensorTests;

/// <summary>
/// Errors a user understands: each is a documented exception type thrown at the call, and its message names the
/// op and the values that were wrong.
/// </summary>
public class ErrorTests
{
    private static Tensor F(params int[] shape) => Tensor.Zeros(shape);

    [Fact]
    public void MatMulNamesBothShapes()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => F(5, 3).MatMul(F(2, 3)));
        Assert.Equal("MatMul: cannot multiply 5x3 by 2x3", e.Message);
        Assert.Equal("MatMul: cannot multiply 3 by 4", Assert.Throws<ShapeMismatchException>(() => F(3).MatMul(F(4))).Message);
        Assert.Equal("MatMul: cannot multiply 2x3x4 by 5x6", Assert.Throws<ShapeMismatchException>(() => F(2, 3, 4).MatMul(F(5, 6))).Message);
        Assert.Equal("MatMul: cannot multiply 5 by 3x2", Assert.Throws<ShapeMismatchException>(() => F(5).MatMul(F(3, 2))).Message);
        var batch = Assert.Throws<ShapeMismatchException>(() => F(2, 3, 4).MatMul(F(3, 4, 5)));
        Assert.Contains("MatMul", batch.Message);
        Assert.Contains("2x3x4", batch.Message);
        Assert.Contains("3x4x5", batch.Message);
        var scalar = Assert.Throws<ShapeMismatchException>(() => Tensor.Scalar(1).MatMul(F(2)));
        Assert.Contains("at least 1 dim", scalar.Message);
    }

    [Fact]
    public void MatMulNamesBothDtypes()
    {
        var e = Assert.Throws<DTypeMismatchException>(() => F(2, 2).MatMul(Tensor.Zeros([2, 2], DType.Float64)));
        Assert.Contains("MatMul", e.Message);
        Assert.Contains("float32", e.Message);
        Assert.Contains("float64", e.Message);
        Assert.Throws<DTypeMismatchException>(() => Tensor.Zeros([2, 2], DType.Bool).MatMul(Tensor.Zeros([2, 2], DType.Bool)));
    }

    public static TheoryData<string> BinaryOps() => ["Add", "Sub", "Mul", "Div", "Pow", "Maximum", "Minimum", "Eq", "Lt", "Ge"];

    private static Tensor Binary(string op, Tensor a, Tensor b) => op switch
    {
        "Add" => a + b,
        "Sub" => a - b,
        "Mul" => a * b,
        "Div" => a / b,
        "Pow" => a.Pow(b),
        "Maximum" => a.Maximum(b),
        "Minimum" => a.Minimum(b),
        "Eq" => a.Eq(b),
        "Lt" => a < b,
        "Ge" => a.Ge(b),
        _ => throw new ArgumentException(op),
    };

    [Theory]
    [MemberData(nameof(BinaryOps))]
    public void BroadcastErrorsNameTheOpAndBothShapes(string op)
    {
        var e = Assert.Throws<ShapeMismatchException>(() => Binary(op, F(2, 3), F(4)));
        Assert.StartsWith(op + ":", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4]", e.Message);
        Assert.Contains("3 vs 4", e.Message);
    }

    [Fact]
    public void OtherShapeErrors()
    {
        var w = Assert.Throws<ShapeMismatchException>(() => Tensor.Where(F(2).Gt(0.0), F(3), F(3)));
        Assert.Contains("Where", w.Message);
        var cat = Assert.Throws<ShapeMismatchException>(() => Tensor.Cat([F(2, 3), F(2, 4)]));
        Assert.Contains("[2, 4]", cat.Message);
        Assert.Contains("[2, 3]", cat.Message);
        Assert.Contains("dim 0", cat.Message);
        var cat2 = Assert.Throws<ShapeMismatchException>(() => Tensor.Cat([F(2, 3), F(3)]));
        Assert.Contains("2 dims", cat2.Message);
        var stack = Assert.Throws<ShapeMismatchException>(() => Tensor.Stack([F(2), F(3)]));
        Assert.Contains("tensor 1", stack.Message);
        Assert.Contains("[3]", stack.Message);
        Assert.Contains("expects at least one", Assert.Throws<ArgumentException>(() => Tensor.Cat([])).Message);
        var sum = Assert.Throws<ShapeMismatchException>(() => F(2, 3).SumToShape([4]));
        Assert.Contains("[2, 3]", sum.Message);
        var back = Assert.Throws<ShapeMismatchException>(() => (Tensor.Ones([3], requiresGrad: true) * 2.0).Backward(F(2)));
        Assert.Contains("[2]", back.Message);
    }

    [Fact]
    public void DTypeErrorsNameTheDtypes()
    {
        var ints = Tensor.From(new long[] { 1, 2 });
        var bools = Tensor.From(new bool[] { true, false });
        Assert.Contains("int64", Assert.Throws<DTypeMismatchException>(() => Tensor.Where(ints, F(2), F(2))).Message);
        Assert.Contains("float32", Assert.Throws<DTypeMismatchException>(() => F(2) & bools).Message);
        Assert.Contains("bool", Assert.Throws<DTypeMismatchException>(() => -bools).Message);
        Assert.Contains("Mean", Assert.Throws<DTypeMismatchException>(() => ints.Mean()).Message);
        Assert.Contains("Var", Assert.Throws<DTypeMismatchException>(() => ints.Var()).Message);
        var inPlace = Assert.Throws<DTypeMismatchException>(() => ints.AddInPlace(F(2)));
        Assert.Contains("float32", inPlace.Message);
        Assert.Contains("int64", inPlace.Message);
        Assert.Throws<DTypeMismatchException>(() => bools.AddInPlace(ints));
        var index = Assert.Throws<DTypeMismatchException>(() => F(3).IndexSelect(0, F(2)));
        Assert.Contains("IndexSelect", index.Message);
        Assert.Contains("float32", index.Message);
        Assert.Contains("ToArray", Assert.Throws<DTypeMismatchException>(() => ints.ToArray<float>()).Message);
        Assert.Contains("RandN", Assert.Throws<DTypeMismatchException>(() => Tensor.RandN([2], DType.Int64)).Message);
    }

    [Fact]
    public void DimAndIndexErrorsNameTheDimAndSize()
    {
        var m = F(2, 3);
        var sum = Assert.Throws<ArgumentOutOfRangeException>(() => m.Sum(2));
        Assert.Contains("Sum: dim 2 is out of range for a tensor of 2 dims", sum.Message);
        Assert.Contains("Max", Assert.Throws<ArgumentOutOfRangeException>(() => m.Max(-3)).Message);
        Assert.Contains("Unsqueeze", Assert.Throws<ArgumentOutOfRangeException>(() => m.Unsqueeze(4)).Message);
        Assert.Contains("Squeeze", Assert.Throws<ArgumentOutOfRangeException>(() => m.Squeeze(2)).Message);
        Assert.Contains("Cat", Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Cat([m, m], 2)).Message);
        var sel = Assert.Throws<ArgumentOutOfRangeException>(() => m.IndexSelect(1, Tensor.From(new long[] { 0, 3 })));
        Assert.Contains("index 3 is out of range for dim 1 of size 3 (indices run from 0 to 2)", sel.Message);
        // As PyTorch's index_select, which raises "index out of range in self": no counting back from the end.
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => m.IndexSelect(0, Tensor.From(new long[] { -1 })));
        Assert.Contains("index -1 is out of range for dim 0 of size 2", negative.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => IndexSelectBackward.Batch([m, m], Tensor.From(new long[] { 0, -2 })));
        var empty = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(0, 3).IndexSelect(0, Tensor.From(new long[] { 0 })));
        Assert.Contains("the dim is empty", empty.Message);
        var twice = Assert.Throws<ArgumentException>(() => m.Sum([1, -1]));
        Assert.Contains("more than once", twice.Message);
        // torch: tensor(1.).sum([0, -1]) raises "dim 0 appears multiple times in the list of dims"; sum([0]) is 1.
        var scalar = Tensor.Scalar(1);
        Assert.Contains("Sum: dim 0 appears more than once", Assert.Throws<ArgumentException>(() => scalar.Sum([0, -1])).Message);
        Assert.Contains("Mean: dim 0 appears more than once", Assert.Throws<ArgumentException>(() => scalar.Mean([0, 0])).Message);
        Assert.Equal(1f, scalar.Sum([0]).Item<float>());
    }

    [Fact]
    public void DimErrorsNameTheOpThatWasCalled()
    {
        // Mean, Var and Std are built on Sum, and ArgMax and ArgMin on Max and Min, but the message names the call.
        var m = F(2, 3);
        Assert.Contains("Mean: dim 2 is out of range", Assert.Throws<ArgumentOutOfRangeException>(() => m.Mean(2)).Message);
        Assert.Contains("Mean: dim 1 appears more than once", Assert.Throws<ArgumentException>(() => m.Mean([1, -1])).Message);
        Assert.Contains("Var: dim -3 is out of range", Assert.Throws<ArgumentOutOfRangeException>(() => m.Var(-3)).Message);
        Assert.Contains("Var: dim 0 appears more than once", Assert.Throws<ArgumentException>(() => m.Var([0, 0])).Message);
        Assert.Contains("Std: dim 5 is out of range", Assert.Throws<ArgumentOutOfRangeException>(() => m.Std(5)).Message);
        Assert.Contains("Std: dim 0 appears more than once", Assert.Throws<ArgumentException>(() => m.Std([0, -2])).Message);
        Assert.Contains("Std", Assert.Throws<DTypeMismatchException>(() => Tensor.Zeros([2], DType.Int64).Std()).Message);
        Assert.Contains("ArgMax: dim 2 is out of range", Assert.Throws<ArgumentOutOfRangeException>(() => m.ArgMax(2)).Message);
        Assert.Contains("ArgMin: dim 1 of shape [2, 0] is empty", Assert.Throws<ArgumentException>(() => F(2, 0).ArgMin(1)).Message);
        var stack = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Stack([m, m], 3));
        Assert.Contains("Stack: dim 3 is out of range for a tensor of 2 dims (expected -3 to 2)", stack.Message);
    }

    [Fact]
    public void AutogradMisuseIsAnInvalidOperation()
    {
        var many = Assert.Throws<InvalidOperationException>(() => (Tensor.Ones([2, 2], requiresGrad: true) * 2.0).Backward());
        Assert.Contains("[2, 2]", many.Message);
        var item = Assert.Throws<InvalidOperationException>(() => F(4).Item());
        Assert.Contains("[4]", item.Message);
        var leaf = Assert.Throws<InvalidOperationException>(() => Tensor.Ones([2], requiresGrad: true).SubInPlace(1.0));
        Assert.Contains("NoGrad", leaf.Message);
    }

    [Fact]
    public void ReductionsOfNothingAreRefused()
    {
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => F(0).Max()).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => F(0, 3).ArgMax()).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => F(2, 0).Min(1)).Message);
        Assert.Equal(0f, F(0).Sum().Item<float>());
        Assert.True(float.IsNaN(F(0).Mean().Item<float>())); // as PyTorch
        Assert.Equal([0], F(0, 3).Max(1).Values.Shape.ToArray());
        Assert.Equal([0f, 0], F(2, 0).Sum(1).ToArray<float>());
    }

    // Shapes and dtypes at random, through a table of ops: each call succeeds or throws one of the documented
    // exception types, never an IndexOutOfRangeException or NullReferenceException from inside a kernel.
    private static readonly (string Name, Func<Tensor, Tensor, object> Run)[] Ops =
    [
        ("Add", (a, b) => a + b),
        ("Sub", (a, b) => a.Sub(b, 2)),
        ("Mul", (a, b) => a * b),
        ("Div", (a, b) => a / b),
        ("Pow", (a, b) => a.Pow(b)),
        ("Maximum", (a, b) => a.Maximum(b)),
        ("Lt", (a, b) => a < b),
        ("Where", (a, b) => Tensor.Where(a.Gt(0.5), a, b)),
        ("LogicalOr", (a, b) => a | b),
        ("MatMul", (a, b) => a.MatMul(b)),
        ("Cat", (a, b) => Tensor.Cat([a, b], 1)),
        ("Stack", (a, b) => Tensor.Stack([a, b])),
        ("AddInPlace", (a, b) => a.Clone().AddInPlace(b)),
        ("CopyInPlace", (a, b) => a.Clone().CopyInPlace(b)),
        ("IndexSelect", (a, b) => a.IndexSelect(0, b.Reshape(-1).To(DType.Int64))),
        ("Expand", (a, b) => a.Expand(b.ShapeArray)),
        ("Reshape", (a, b) => a.Reshape(b.ShapeArray)),
        ("View", (a, b) => a.T.View(b.ShapeArray)),
        ("SumToShape", (a, b) => a.SumToShape(b.Shape)),
        ("Sum", (a, b) => a.Sum(b.Dim - 2, keepDim: true)),
        ("Max", (a, b) => a.Max(b.Dim - 3)),
        ("Narrow", (a, b) => a.Narrow(0, b.Count % 4, b.Dim)),
        ("Select", (a, b) => a.Select(b.Dim - 1, b.Count - 2)),
        ("Index", (a, b) => a[b.Count % 5 - 2, 1..]),
        ("Permute", (a, b) => a.Permute([.. Enumerable.Range(0, b.Dim).Reverse()])),
        ("Transpose", (a, b) => a.Transpose(b.Dim - 2, 0)),
        ("Item", (a, b) => a.Item<float>()),
        ("Exp", (a, b) => a.Exp()),
        ("Log", (a, b) => a.Log()),
        ("Sqrt", (a, b) => a.Sqrt()),
        ("Abs", (a, b) => a.Abs()),
        ("Neg", (a, b) => -a),
        ("Sign", (a, b) => a.Sign()),
        ("Relu", (a, b) => a.Relu()),
        ("Sigmoid", (a, b) => a.Sigmoid()),
        ("Tanh", (a, b) => a.Tanh()),
        ("Clamp", (a, b) => a.Clamp(0, b.Count)),
        ("ClampInPlace", (a, b) => a.Clone().ClampInPlace(max: b.Dim)),
        ("Mean", (a, b) => a.Mean(b.Dim - 1)),
        ("Var", (a, b) => a.Var([.. Enumerable.Range(0, b.Dim)], correction: b.Count % 3)),
        ("Std", (a, b) => a.Std(b.Dim - 2, keepDim: true)),
        ("ArgMax", (a, b) => a.ArgMax(b.Dim - 1)),
        ("ArgMin", (a, b) => a.ArgMin()),
        ("MaxAll", (a, b) => a.Max()),
        ("To", (a, b) => a.To(b.DType)),
        ("Flatten", (a, b) => a.Flatten(b.Dim - 1, b.Dim - 2)),
        ("Squeeze", (a, b) => a.Squeeze(b.Dim - 1)),
        ("Unsqueeze", (a, b) => a.Unsqueeze(b.Dim - 1)),
        ("Movedim", (a, b) => a.Movedim(b.Dim - 1, 0)),
        ("CatDim", (a, b) => Tensor.Cat([a, b], b.Dim - 1)),
        ("StackDim", (a, b) => Tensor.Stack([a, b], -1)),
        ("FillInPlace", (a, b) => a.Expand(b.ShapeArray).FillInPlace(1)),
        ("Setter", (a, b) => a.Clone()[0] = b),
        ("RandLike", (a, b) => Tensor.RandNLike(a, new Generator(1))),
        ("ToArray", (a, b) => a.ToArray()),
        ("ToString", (a, b) => a.ToString()),
        ("Backward", (a, b) =>
        {
            var x = a.DType.IsFloatingPoint() ? a.Detach().Clone() : a;
            x.RequiresGrad = true;
            (x * 2.0).Backward(b);
            return x.Grad!;
        }),
    ];

    private static readonly Gen<Tensor> Tensors =
        Gen.Select(Gen.Int[0, 3].Array[0, 3], Gen.Int[0, 3], (shape, dtype) =>
        {
            var t = Tensor.Rand(shape, DType.Float64, generator: new Generator(shape.Length)) * 4.0 - 1.0;
            t = dtype switch
            {
                0 => t.To(DType.Float32),
                1 => t,
                2 => t.To(DType.Int64),
                _ => t.Gt(0.5),
            };
            // Now and then a view with strides of its own, or a tensor that requires grad.
            if (shape.Length >= 2 && shape[0] % 2 == 1) t = t.Transpose(0, -1);
            if (t.DType.IsFloatingPoint() && shape.Sum() % 3 == 1) t.RequiresGrad = true;
            return t;
        });

    [Fact]
    public void RandomMisuseOnlyRaisesDocumentedExceptions()
    {
        var failures = new Dictionary<string, int>();
        Property.ForAll(Gen.Select(Tensors, Tensors, Gen.Int[0, Ops.Length - 1]), t =>
        {
            var (a, b, k) = t;
            var (name, run) = Ops[k];
            try
            {
                if (run(a, b) is Tensor r && r.RequiresGrad && r.Count > 0)
                    r.Sum().Backward();
            }
            catch (Exception e)
            {
                string call = $"{name}({a.DType.Name()} [{string.Join(", ", a.Shape.ToArray())}], {b.DType.Name()} [{string.Join(", ", b.Shape.ToArray())}])";
                Assert.True(e is ArgumentException or InvalidOperationException or NotSupportedException, $"{call} threw {e}");
                // Descent's own messages start with the op's name; a runtime's message (a span's bounds) would not.
                Assert.True(System.Text.RegularExpressions.Regex.IsMatch(e.Message, @"^[A-Z][A-Za-z]*: \S"), $"{call} threw {e}");
                Assert.Null(e.InnerException);
                lock (failures) failures[name] = failures.GetValueOrDefault(name) + 1;
            }
        }, cases: 4000);
        Assert.True(failures.Count > 40, string.Join(", ", failures));
    }
}
