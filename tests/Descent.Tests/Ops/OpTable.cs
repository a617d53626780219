using Descent;
using Xunit;

namespace Descent.Tests.Ops;

/// <summary>How an input's elements lie in memory. Padding around a non-contiguous input holds NaN.</summary>
public enum Layout
{
    /// <summary>Row-major without gaps.</summary>
    Contiguous,

    /// <summary>The last two dims stored swapped (a transposed view of a contiguous tensor).</summary>
    Transposed,

    /// <summary>A window inside a tensor one larger at both ends of every dim (a sliced view with an offset).</summary>
    Sliced,

    /// <summary>Every other element of a larger tensor (all strides doubled).</summary>
    Strided,
}

/// <summary>Where an input's values are drawn from: the op's domain, away from points where it is not differentiable.</summary>
public enum Domain
{
    /// <summary>Standard normal.</summary>
    Normal,

    /// <summary>Uniform in [0.5, 2): for log, sqrt, powers of a tensor and divisors.</summary>
    Positive,
}

/// <summary>One input of an op case: its shape, layout, domain and whether gradients are checked for it.</summary>
public sealed record InputSpec(int[] Shape, Layout Layout = Layout.Contiguous, Domain Domain = Domain.Normal, bool RequiresGrad = true)
{
    public InputSpec T() => this with { Layout = Layout.Transposed };
    public InputSpec Sliced() => this with { Layout = Layout.Sliced };
    public InputSpec Strided() => this with { Layout = Layout.Strided };
    public InputSpec Positive() => this with { Domain = Domain.Positive };
    public InputSpec NoGrad() => this with { RequiresGrad = false };

    /// <summary>A leaf holding <paramref name="values"/> (row-major) in this spec's shape and layout.</summary>
    public Tensor Make(double[] values, DType dtype)
    {
        var t = Tensor.FromSpan<double>(values, Shape).To(dtype);
        var leaf = OpTable.LayOut(t, Layout);
        leaf.RequiresGrad = RequiresGrad;
        return leaf;
    }

    /// <summary>Values from <paramref name="generator"/> in this spec's domain.</summary>
    public double[] Draw(Generator generator)
    {
        var values = new double[Shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < values.Length; i++)
            values[i] = Domain == Domain.Positive ? 0.5 + 1.5 * generator.NextDouble() : generator.NextNormal();
        return values;
    }
}

/// <summary>
/// One differentiable op applied to some inputs. <paramref name="GradCheckEps"/> is larger than the default only
/// where the case rounds through float32 on purpose, so that a 1e-6 step would drown in rounding.
/// </summary>
public sealed record OpCase(string Name, InputSpec[] Inputs, Func<Tensor[], Tensor> Function, double GradCheckEps = 1e-6)
{
    public override string ToString() => Name;
}

/// <summary>
/// Every differentiable op, once. The tests iterate this table: each case is gradchecked in float64
/// (<c>OpGradCheckTests</c>) and compared with PyTorch (<c>OpPyTorchTests</c>, fixtures from tools/fixtures/ops.py,
/// whose case list carries the same names and inputs).
/// </summary>
public static class OpTable
{
    private static InputSpec In(params int[] shape) => new(shape);

    private static Tensor Idx(params long[] values) => Tensor.From(values);

    private static DType Other(DType d) => d == DType.Float64 ? DType.Float32 : DType.Float64;

    private static OpCase C(string name, InputSpec[] inputs, Func<Tensor[], Tensor> f, double eps = 1e-6) => new(name, inputs, f, eps);

    public static readonly OpCase[] Cases =
    [
        // binary elementwise, with broadcast and non-contiguous operands
        C("add", [In(3, 4), In(3, 4)], x => x[0] + x[1]),
        C("add_broadcast_row", [In(3, 4), In(4)], x => x[0] + x[1]),
        C("add_broadcast_outer", [In(3, 1), In(1, 4)], x => x[0] + x[1]),
        C("add_broadcast_rank", [In(2, 3, 4), In(3, 1)], x => x[0] + x[1]),
        C("add_transposed", [In(3, 4).T(), In(3, 4)], x => x[0] + x[1]),
        C("add_sliced_transposed", [In(3, 4).Sliced(), In(3, 4).T()], x => x[0] + x[1]),
        C("add_scalar", [In(3, 4)], x => x[0] + 2.5),
        C("add_alpha", [In(3, 4), In(4)], x => x[0].Add(x[1], alpha: -1.5)),
        C("sub", [In(3, 4), In(3, 4)], x => x[0] - x[1]),
        C("sub_broadcast", [In(4), In(3, 4)], x => x[0] - x[1]),
        C("sub_strided", [In(5).Strided(), In(5)], x => x[0] - x[1]),
        C("sub_alpha", [In(3, 4), In(3, 4).Sliced()], x => x[0].Sub(x[1], alpha: 0.5)),
        C("rsub_scalar", [In(3, 4)], x => 2.0 - x[0]),
        C("mul", [In(3, 4), In(3, 4)], x => x[0] * x[1]),
        C("mul_broadcast", [In(2, 3, 1), In(1, 4)], x => x[0] * x[1]),
        C("mul_transposed_both", [In(4, 3).T(), In(4, 3).T()], x => x[0] * x[1]),
        C("mul_same_input", [In(3, 4).Sliced()], x => x[0] * x[0]),
        C("mul_scalar", [In(3, 4)], x => x[0] * -3.0),
        C("div", [In(3, 4), In(3, 4).Positive()], x => x[0] / x[1]),
        C("div_broadcast", [In(3, 4), In(4).Positive()], x => x[0] / x[1]),
        C("div_sliced", [In(3, 4).Sliced(), In(3, 4).Positive().T()], x => x[0] / x[1]),
        C("div_scalar", [In(3, 4)], x => x[0] / 3.0),
        C("rdiv_scalar", [In(3, 4).Positive()], x => 2.0 / x[0]),
        C("pow", [In(3, 4).Positive(), In(3, 4)], x => x[0].Pow(x[1])),
        C("pow_broadcast", [In(3, 4).Positive(), In(4)], x => x[0].Pow(x[1])),
        C("pow_transposed", [In(3, 4).Positive().T(), In(3, 4).Sliced()], x => x[0].Pow(x[1])),
        C("pow_scalar", [In(3, 4).Positive()], x => x[0].Pow(2.5)),
        C("pow_scalar_int", [In(3, 4)], x => x[0].Pow(3)),
        C("pow_scalar_sliced", [In(3, 4).Positive().Sliced()], x => x[0].Pow(-0.5)),
        C("maximum", [In(3, 4), In(3, 4)], x => x[0].Maximum(x[1])),
        C("maximum_broadcast", [In(3, 4), In(3, 1)], x => x[0].Maximum(x[1])),
        C("minimum", [In(3, 4), In(3, 4)], x => x[0].Minimum(x[1])),
        C("minimum_transposed", [In(3, 4).T(), In(3, 4).Sliced()], x => x[0].Minimum(x[1])),
        C("where", [In(3, 4), In(3, 4), In(3, 4).NoGrad()], x => Tensor.Where(x[2] > 0.0, x[0], x[1])),
        C("where_broadcast", [In(3, 4), In(4), In(3, 1).NoGrad()], x => Tensor.Where(x[2] > 0.0, x[0], x[1])),
        C("where_transposed", [In(3, 4).T(), In(3, 4).Sliced(), In(3, 4).NoGrad()], x => Tensor.Where(x[2] > 0.0, x[0], x[1])),
        C("where_scalar", [In(3, 4), In(3, 4).NoGrad()], x => Tensor.Where(x[1] > 0.0, x[0], 0.5)),

        // unary elementwise
        C("square", [In(3, 4)], x => x[0].Square()),
        C("square_transposed", [In(3, 4).T()], x => x[0].Square()),
        C("sqrt", [In(3, 4).Positive()], x => x[0].Sqrt()),
        C("sqrt_sliced", [In(3, 4).Positive().Sliced()], x => x[0].Sqrt()),
        C("exp", [In(3, 4)], x => x[0].Exp()),
        C("exp_transposed", [In(3, 4).T()], x => x[0].Exp()),
        C("log", [In(3, 4).Positive()], x => x[0].Log()),
        C("log_strided", [In(7).Positive().Strided()], x => x[0].Log()),
        C("abs", [In(3, 4)], x => x[0].Abs()),
        C("abs_sliced", [In(3, 4).Sliced()], x => x[0].Abs()),
        C("neg", [In(3, 4)], x => -x[0]),
        C("neg_transposed", [In(3, 4).T()], x => -x[0]),
        C("clamp", [In(3, 4)], x => x[0].Clamp(-0.5, 0.5)),
        C("clamp_min", [In(3, 4)], x => x[0].Clamp(min: 0.2)),
        C("clamp_max", [In(3, 4).T()], x => x[0].Clamp(max: -0.1)),
        C("relu", [In(3, 4)], x => x[0].Relu()),
        C("relu_sliced", [In(3, 4).Sliced()], x => x[0].Relu()),
        C("sigmoid", [In(3, 4)], x => x[0].Sigmoid()),
        C("sigmoid_transposed", [In(3, 4).T()], x => x[0].Sigmoid()),
        C("tanh", [In(3, 4)], x => x[0].Tanh()),
        C("tanh_strided", [In(6).Strided()], x => x[0].Tanh()),

        // reductions
        C("sum", [In(3, 4)], x => x[0].Sum()),
        C("sum_dim0", [In(3, 4)], x => x[0].Sum(0)),
        C("sum_dim1_keepdim", [In(3, 4)], x => x[0].Sum(1, keepDim: true)),
        C("sum_dims", [In(2, 3, 4)], x => x[0].Sum([0, 2])),
        C("sum_dims_keepdim", [In(2, 3, 4)], x => x[0].Sum([0, 2], keepDim: true)),
        C("sum_dim_neg", [In(2, 3, 4)], x => x[0].Sum(-2)),
        C("sum_transposed", [In(3, 4).T()], x => x[0].Sum(0)),
        C("sum_sliced", [In(3, 4).Sliced()], x => x[0].Sum(1)),
        C("mean", [In(3, 4)], x => x[0].Mean()),
        C("mean_dim", [In(3, 4)], x => x[0].Mean(1)),
        C("mean_dims_keepdim", [In(2, 3, 4)], x => x[0].Mean([1, 2], keepDim: true)),
        C("mean_transposed", [In(3, 4).T()], x => x[0].Mean(1)),
        C("var", [In(3, 4)], x => x[0].Var()),
        C("var_dim", [In(3, 4)], x => x[0].Var(1)),
        C("var_dims_keepdim", [In(2, 3, 4)], x => x[0].Var([0, 2], keepDim: true)),
        C("var_correction0", [In(3, 4)], x => x[0].Var(0, correction: 0)),
        C("var_sliced", [In(3, 4).Sliced()], x => x[0].Var(0)),
        C("std", [In(3, 4)], x => x[0].Std()),
        C("std_dim", [In(3, 4)], x => x[0].Std(0)),
        C("std_dims_keepdim", [In(2, 3, 4)], x => x[0].Std([1, 2], keepDim: true)),
        C("std_correction0", [In(3, 4).T()], x => x[0].Std(1, correction: 0)),
        C("max", [In(3, 4)], x => x[0].Max()),
        C("min", [In(3, 4).T()], x => x[0].Min()),
        C("max_dim", [In(3, 4)], x => x[0].Max(1).Values),
        C("max_dim_keepdim", [In(2, 3, 4)], x => x[0].Max(1, keepDim: true).Values),
        C("max_dim_transposed", [In(3, 4).T()], x => x[0].Max(0).Values),
        C("min_dim", [In(3, 4)], x => x[0].Min(0).Values),
        C("min_dim_keepdim", [In(3, 4).Sliced()], x => x[0].Min(-1, keepDim: true).Values),

        // matrix products
        C("matmul_dot", [In(4), In(4)], x => x[0].MatMul(x[1])),
        C("matmul_vec_mat", [In(3), In(3, 4)], x => x[0].MatMul(x[1])),
        C("matmul_mat_vec", [In(3, 4), In(4).Strided()], x => x[0].MatMul(x[1])),
        C("matmul_mm", [In(3, 4), In(4, 5)], x => x[0].MatMul(x[1])),
        C("matmul_transposed_a", [In(3, 4).T(), In(4, 5)], x => x[0].MatMul(x[1])),
        C("matmul_transposed_b", [In(3, 4), In(4, 5).T()], x => x[0].MatMul(x[1])),
        C("matmul_w_t", [In(5, 3), In(2, 3)], x => x[0].MatMul(x[1].T)),
        C("matmul_sliced", [In(3, 4).Sliced(), In(4, 2).Sliced()], x => x[0].MatMul(x[1])),
        C("matmul_batched", [In(2, 3, 4), In(2, 4, 5)], x => x[0].MatMul(x[1])),
        C("matmul_batched_transposed", [In(2, 3, 4).T(), In(2, 4, 2).T()], x => x[0].MatMul(x[1])),
        C("matmul_batched_broadcast", [In(2, 1, 3, 4), In(3, 4, 2)], x => x[0].MatMul(x[1])),
        C("matmul_batched_mat", [In(2, 3, 4), In(4, 2)], x => x[0].MatMul(x[1])),
        C("matmul_batched_vec", [In(2, 3, 4), In(4)], x => x[0].MatMul(x[1])),
        C("matmul_vec_batched", [In(3), In(2, 3, 4)], x => x[0].MatMul(x[1])),
        C("linear", [In(5, 3), In(2, 3), In(2)], x => x[0].MatMul(x[1].T) + x[2]),
        C("mse", [In(5, 2), In(5, 2).NoGrad()], x => ((x[0] - x[1]) * (x[0] - x[1])).Sum() / (x[0] - x[1]).Numel()),

        // joining and selecting
        C("cat_dim0", [In(2, 3), In(4, 3)], x => Tensor.Cat([x[0], x[1]], 0)),
        C("cat_dim1", [In(3, 2), In(3, 4).T()], x => Tensor.Cat([x[0], x[1]], 1)),
        C("cat_three", [In(2), In(3).Sliced(), In(1)], x => Tensor.Cat([x[0], x[1], x[2]])),
        C("cat_neg_dim", [In(2, 3, 1), In(2, 3, 2).Sliced()], x => Tensor.Cat([x[0], x[1]], -1)),
        C("stack", [In(3, 4), In(3, 4)], x => Tensor.Stack([x[0], x[1]])),
        C("stack_last", [In(3, 4).T(), In(3, 4)], x => Tensor.Stack([x[0], x[1]], -1)),
        C("stack_middle", [In(2, 3), In(2, 3).Sliced(), In(2, 3)], x => Tensor.Stack([x[0], x[1], x[2]], 1)),
        C("index_select_dim0", [In(4, 3)], x => x[0].IndexSelect(0, Idx(2, 0, 2))),
        C("index_select_dim1", [In(3, 4)], x => x[0].IndexSelect(1, Idx(3, 1))),
        C("index_select_transposed", [In(4, 3).T()], x => x[0].IndexSelect(0, Idx(1, 1, 3, 0))),
        C("index_select_1d", [In(5).Strided()], x => x[0].IndexSelect(0, Idx(4, 0, 4))),

        // views and copies
        C("transpose", [In(2, 3, 4)], x => x[0].Transpose(0, 2)),
        C("t", [In(3, 4)], x => x[0].T),
        C("mt", [In(2, 3, 4)], x => x[0].MT),
        C("permute", [In(2, 3, 4)], x => x[0].Permute(2, 0, 1)),
        C("movedim", [In(2, 3, 4)], x => x[0].Movedim(0, 2)),
        C("reshape", [In(3, 4)], x => x[0].Reshape(2, 6)),
        C("reshape_infer", [In(2, 3, 4)], x => x[0].Reshape(-1, 4)),
        C("reshape_transposed", [In(3, 4).T()], x => x[0].Reshape(12)),
        C("reshape_sliced", [In(3, 4).Sliced()], x => x[0].Reshape(4, 3)),
        C("view", [In(2, 3, 4)], x => x[0].View(6, 4)),
        C("flatten", [In(2, 3, 4)], x => x[0].Flatten(1)),
        C("expand", [In(3, 1)], x => x[0].Expand(3, 4)),
        C("expand_new_dims", [In(4)], x => x[0].Expand(2, 3, 4)),
        C("expand_as", [In(3, 1).Sliced()], x => x[0].ExpandAs(Tensor.Zeros(3, 4))),
        C("narrow", [In(4, 5)], x => x[0].Narrow(1, 1, 3)),
        C("narrow_transposed", [In(4, 5).T()], x => x[0].Narrow(0, 2, 2)),
        C("select", [In(3, 4)], x => x[0].Select(0, 1)),
        C("select_neg", [In(3, 4).Sliced()], x => x[0].Select(1, -1)),
        C("squeeze", [In(3, 1, 4)], x => x[0].Squeeze()),
        C("squeeze_dim", [In(3, 1, 4)], x => x[0].Squeeze(1)),
        C("unsqueeze", [In(3, 4)], x => x[0].Unsqueeze(1)),
        C("unsqueeze_transposed", [In(3, 4).T()], x => x[0].Unsqueeze(-1)),
        C("index_ranges", [In(4, 5)], x => x[0][1..3, ^2..]),
        C("index_mixed", [In(3, 4, 5)], x => x[0][1, .., 1..^1]),
        C("index_from_end", [In(3, 4).T()], x => x[0][^1]),
        C("to", [In(3, 4)], x => x[0].To(Other(x[0].DType)).To(x[0].DType), eps: 1e-3),
        C("to_mixed", [In(3, 4), In(4)], x => x[0].To(Other(x[0].DType)) * x[1].To(Other(x[0].DType)), eps: 1e-3),
        C("clone", [In(3, 4).T()], x => x[0].Clone()),
        C("contiguous", [In(3, 4).Sliced()], x => x[0].Contiguous()),

        // in-place ops on results of ops
        C("add_inplace", [In(3, 4), In(4)], x => (x[0] * 1.0).AddInPlace(x[1])),
        C("sub_inplace", [In(3, 4), In(3, 4)], x => (x[0] * 1.0).SubInPlace(x[1], alpha: 2.0)),
        C("mul_inplace", [In(3, 4), In(3, 4)], x => (x[0] * 1.0).MulInPlace(x[1])),
        C("div_inplace", [In(3, 4), In(3, 4).Positive()], x => (x[0] * 1.0).DivInPlace(x[1])),
    ];

    private static readonly Dictionary<string, OpCase> ByName = Cases.ToDictionary(c => c.Name);

    /// <summary>The case called <paramref name="name"/>.</summary>
    public static OpCase Get(string name) => ByName[name];

    /// <summary>Every case name, for xunit theories (one test per case).</summary>
    public static TheoryData<string> Names => new(Cases.Select(c => c.Name));

    /// <summary>
    /// A leaf with the values of <paramref name="t"/> in <paramref name="layout"/>. Memory around a sliced or
    /// strided leaf is NaN, so a kernel that reads outside the view poisons its result.
    /// </summary>
    public static Tensor LayOut(Tensor t, Layout layout)
    {
        using var _ = Tensor.NoGrad();
        switch (layout)
        {
            case Layout.Contiguous:
                return t.Clone();
            case Layout.Transposed:
                return t.Transpose(-2, -1).Contiguous().Transpose(-2, -1).Detach();
            case Layout.Sliced:
                {
                    var shape = t.Shape.ToArray();
                    var view = Tensor.Full([.. shape.Select(d => d + 2)], double.NaN, t.DType);
                    for (int d = 0; d < shape.Length; d++) view = view.Narrow(d, 1, shape[d]);
                    view.CopyInPlace(t);
                    return view.Detach();
                }
            default:
                {
                    var view = Tensor.Full([.. t.Shape.ToArray(), 2], double.NaN, t.DType).Select(-1, 1);
                    view.CopyInPlace(t);
                    return view.Detach();
                }
        }
    }
}
