using Xunit;

namespace Descent.Tests.TensorTests;

public class PromotionTests
{
    [Fact]
    public void ZeroDimOperandOfTheSameKindDoesNotWiden()
    {
        var x = Tensor.Ones(3);
        Assert.Equal(DType.Float32, (x + Tensor.Scalar(2, DType.Float64)).DType);
        Assert.Equal(DType.Float32, (Tensor.Scalar(2, DType.Float64) * x).DType);
        var i = Tensor.Arange(3);
        Assert.Equal(DType.Int64, (i + Tensor.Scalar(2, DType.Int64)).DType);
    }

    [Fact]
    public void ZeroDimOperandOfAWiderKindWins()
    {
        var i = Tensor.Arange(3);
        Assert.Equal(DType.Float64, (i + Tensor.Scalar(0.5, DType.Float64)).DType);
        Assert.Equal(DType.Float32, (i * 0.5).DType);
    }

    [Fact]
    public void DimensionedOperandsPromoteAsUsual()
    {
        var x = Tensor.Ones(3);
        var y = Tensor.Ones([3], DType.Float64);
        Assert.Equal(DType.Float64, (x + y).DType);
        Assert.Equal(DType.Float64, (Tensor.Scalar(1) + Tensor.Scalar(1, DType.Float64)).DType);
    }

    [Fact]
    public void AWholeAlphaKeepsIntegerAddAndSubInteger()
    {
        // torch.tensor([2, 5]).sub(torch.tensor([3, 1]), alpha=2) is tensor([-4, 3]), int64; add_ likewise in place.
        var x = Tensor.From(new long[] { 2, 5 });
        var y = Tensor.From(new long[] { 3, 1 });
        var d = x.Sub(y, 2);
        Assert.Equal(DType.Int64, d.DType);
        Assert.Equal([-4L, 3], d.ToArray<long>());
        Assert.Equal([8L, 7], x.Add(y, 2).ToArray<long>());
        x.AddInPlace(y, 3);
        Assert.Equal([11L, 8], x.ToArray<long>());
        x.SubInPlace(y, -1);
        Assert.Equal([14L, 9], x.ToArray<long>());
        // A fractional alpha gives floats, as PyTorch's float + 0.5 * int does.
        Assert.Equal([3.5f, 2.5f], (Tensor.Ones(2) * 2.0).Add(y, 0.5).ToArray<float>());
    }

    [Fact]
    public void AFractionalAlphaIsRefusedWhenTheResultIsInteger()
    {
        // torch: ints.add(ints, alpha=0.5), ints.sub(...), bools.add(bools, alpha=0.5) and ints.add_(ints, alpha=0.5)
        // raise "For integral input tensors, argument alpha must not be a floating point number"; an int64 tensor plus a
        // float one with alpha=0.5 is float32 [1.5, 2.5].
        var x = Tensor.From(new long[] { 1, 2 });
        var y = Tensor.From(new long[] { 1, 1 });
        Assert.Contains("alpha 0.5", Assert.Throws<ArgumentException>(() => x.Add(y, 0.5)).Message);
        Assert.Contains("Sub", Assert.Throws<ArgumentException>(() => x.Sub(y, 0.5)).Message);
        Assert.Throws<ArgumentException>(() => Tensor.From(new[] { true }).Add(Tensor.From(new[] { true }), 0.5));
        Assert.Contains("AddInPlace", Assert.Throws<ArgumentException>(() => x.AddInPlace(y, 0.5)).Message);
        Assert.Contains("SubInPlace", Assert.Throws<ArgumentException>(() => x.SubInPlace(y, 1.5)).Message);
        Assert.Equal([1L, 2], x.ToArray<long>());
        var f = x.Add(Tensor.Ones(2), 0.5);
        Assert.Equal(DType.Float32, f.DType);
        Assert.Equal([1.5f, 2.5f], f.ToArray<float>());
    }

    [Fact]
    public void BoolTensorsAddAsOrMultiplyAsAndAndRefuseSubtraction()
    {
        // torch: t + f is [True, True], t * f is [True, False] (bool); t - f raises; t + 1 is int64 [2, 1].
        var t = Tensor.From(new[] { true, false });
        var f = Tensor.From(new[] { true, true });
        Assert.Equal(DType.Bool, (t + f).DType);
        Assert.Equal([true, true], (t + f).ToArray<bool>());
        Assert.Equal([true, false], (t * f).ToArray<bool>());
        Assert.Contains("bool", Assert.Throws<DTypeMismatchException>(() => t - f).Message);
        Assert.Equal([2L, 1], (t + 1L).ToArray<long>());
    }

    [Fact]
    public void SignHasAZeroGradient()
    {
        var x = Tensor.From(new[] { -2.0, 0.0, 3.0 }, requiresGrad: true);
        (x.Sign() * x).Sum().Backward();
        Assert.Equal([-1.0, 0.0, 1.0], x.Grad!.ToArray<double>());
        var y = Tensor.From(new[] { -2.0, 3.0 }, requiresGrad: true);
        y.Sign().Sum().Backward();
        Assert.Equal([0.0, 0.0], y.Grad!.ToArray<double>());
    }

    [Fact]
    public void WholeNumbersKeepInt64TensorsInt64AndExact()
    {
        // torch: 2 * t is int64 [2, 4, 6] for t = tensor([1, 2, 3]); 2.0 * t is float32. A whole number was taken as a
        // double and made a float32 scalar, so 16777217 == 16777216 came out true.
        var t = Tensor.From(new long[] { 1, 2, 3 });
        foreach (var r in new[] { 2 * t, 2 + t, 2 - t, t * 2, t + 2, t - 2, Tensor.Where(t.Gt(1), t, 0), Tensor.Where(t.Gt(1), 0, t) })
            Assert.Equal(DType.Int64, r.DType);
        Assert.Equal([2L, 4, 6], (2 * t).ToArray<long>());
        Assert.Equal([1L, 0, -1], (2 - t).ToArray<long>());
        Assert.Equal([0L, 2, 3], Tensor.Where(t.Gt(1), t, 0).ToArray<long>());
        Assert.Equal(DType.Float32, (2.0 * t).DType);
        Assert.Equal(DType.Float32, (6 / t).DType);
        Assert.Equal([6f, 3, 2], (6 / t).ToArray<float>());

        var big = Tensor.From(new long[] { 16777217 });
        Assert.Equal([false], big.Eq(16777216).ToArray<bool>());
        Assert.Equal([true], big.Ne(16777216).ToArray<bool>());
        Assert.Equal([true], (big > 16777216).ToArray<bool>());
        Assert.Equal([true], big.Ge(16777217).ToArray<bool>());
        Assert.Equal([false], (big < 16777217).ToArray<bool>());
        Assert.Equal([9007199254740993L], (Tensor.From(new long[] { 0 }) + 9007199254740993L).ToArray<long>());

        t.AddInPlace(1);
        Assert.Equal([2L, 3, 4], t.ToArray<long>());
        t.MulInPlace(2);
        t.SubInPlace(1);
        Assert.Equal([3L, 5, 7], t.ToArray<long>());
        // On float tensors a whole number is that number, rounded once: 2^24 + 1 is 16777216 in float32.
        Assert.Equal([true], Tensor.From(new[] { 16777216f }).Eq(16777217).ToArray<bool>());
        Assert.Equal([3f], (1 + Tensor.From(new[] { 2f })).ToArray<float>());
    }

    [Fact]
    public void ClampingIntegersWithDoubleBoundsGivesFloatsAndWithWholeNumbersStaysInt64()
    {
        // torch: t = tensor([-1, 1, 2, 3]); t.clamp(0.5, 2.5) is float [0.5, 1, 2, 2.5] and t.clamp(0.0, 2.0) float
        // [0, 1, 2, 2] (a Python float bound), t.clamp(0, 2) int64; a bool tensor clamped by ints is int64; clamp_ on
        // t with max=1e20 raises. A fractional bound was truncated before.
        var t = Tensor.From(new long[] { -1, 1, 2, 3 });
        var c = t.Clamp(0.5, 2.5);
        Assert.Equal(DType.Float32, c.DType);
        Assert.Equal([0.5f, 1, 2, 2.5f], c.ToArray<float>());
        Assert.Equal([-0.5f, 1, 2, 3], t.Clamp(min: -0.5).ToArray<float>());
        Assert.Equal(DType.Float32, t.Clamp(0.0, 2.0).DType);
        Assert.Equal(DType.Int64, t.Clamp(0, 2).DType);
        Assert.Equal([0L, 1, 2, 2], t.Clamp(0, 2).ToArray<long>());
        Assert.Equal([9007199254740993L], Tensor.From(new long[] { long.MaxValue }).Clamp(max: 9007199254740993L).ToArray<long>());
        Assert.Equal([1L, 0], Tensor.From(new[] { true, false }).Clamp(0, 1).ToArray<long>());
        Assert.Equal([0.5f, 1.5f], Tensor.From(new[] { 0.5f, 3f }).Clamp(0, 1.5).ToArray<float>());
        var e = Assert.Throws<DTypeMismatchException>(() => t.ClampInPlace(0.5, 2.5));
        Assert.Contains("ClampInPlace", e.Message);
        Assert.Throws<DTypeMismatchException>(() => t.ClampInPlace(max: 1e20));
        Assert.Equal([-1L, 1, 2, 3], t.ToArray<long>());
        t.ClampInPlace(0, 2);
        Assert.Equal([0L, 1, 2, 2], t.ToArray<long>());
    }

    [Fact]
    public void WhereOfTwoWholeNumbersIsInt64AndFillIsExact()
    {
        // torch: torch.where(tensor([True, False, True]), 1, 0) is int64 [1, 0, 1]; with 1.0 and 0 it is float32.
        // zeros(1, dtype=int64).fill_(2**53 + 1) keeps the + 1.
        var mask = Tensor.From(new[] { true, false, true });
        var w = Tensor.Where(mask, 1, 0);
        Assert.Equal(DType.Int64, w.DType);
        Assert.Equal([1L, 0, 1], w.ToArray<long>());
        Assert.Equal(DType.Float32, Tensor.Where(mask, 1.0, 0).DType);
        var f = Tensor.Zeros([2], DType.Int64);
        f.FillInPlace((1L << 53) + 1);
        Assert.Equal([(1L << 53) + 1, (1L << 53) + 1], f.ToArray<long>());
        var g = Tensor.Zeros([4], DType.Int64)[..2];
        g.FillInPlace(7);
        Assert.Equal([7L, 7], g.ToArray<long>());
    }

    [Fact]
    public void CopyInPlaceConvertsAnyDTypeAsPyTorchsCopy()
    {
        // torch: zeros(3, dtype=int64).copy_(tensor([1.5, 2.5, -3.5])) is [1, 2, -3]; into bool, nonzero is True.
        var t = Tensor.Zeros([3], DType.Int64);
        t.CopyInPlace(Tensor.From(new[] { 1.5f, 2.5f, -3.5f }));
        Assert.Equal([1L, 2, -3], t.ToArray<long>());
        var b = Tensor.Zeros([3], DType.Bool);
        b.CopyInPlace(Tensor.From(new[] { 0f, 0.5f, -2f }));
        Assert.Equal([false, true, true], b.ToArray<bool>());
        t[0] = Tensor.Scalar(7.9);
        Assert.Equal([7L, 2, -3], t.ToArray<long>());
        // Arithmetic in place still refuses a float result in an int64 tensor.
        Assert.Throws<DTypeMismatchException>(() => t.AddInPlace(Tensor.From(new[] { 0.5f, 0.5f, 0.5f })));
    }

    [Fact]
    public void DividingAnInt64TensorInPlaceIsRefused()
    {
        // torch: tensor([7, -7]).div_(tensor([2, 2])) raises "result type Float can't be cast to the desired output
        // type Long"; it did integer division ([3, -3]), and threw DivideByZeroException for a zero divisor.
        var t = Tensor.From(new long[] { 7, -7 });
        var e = Assert.Throws<DTypeMismatchException>(() => t.DivInPlace(Tensor.From(new long[] { 2, 0 })));
        Assert.Contains("DivInPlace", e.Message);
        Assert.Throws<DTypeMismatchException>(() => t.DivInPlace(2));
        Assert.Equal([7L, -7], t.ToArray<long>());
        Assert.Equal([3.5f, -3.5f], t.Div(Tensor.From(new long[] { 2, 2 })).ToArray<float>());
    }

    [Fact]
    public void Int64ConvertsToFloat32RoundedOnceAndAbsWraps()
    {
        // torch: tensor([2**60 + 2**36 + 1]).float() is 1.1529216420458004e18 (through double it was one float below),
        // and tensor([-2**63]).abs() wraps to -2**63 (it threw OverflowException).
        var big = Tensor.From(new long[] { (1L << 60) + (1L << 36) + 1 });
        Assert.Equal(1.1529216420458004e18, (double)big.To(DType.Float32).ToArray<float>()[0]);
        Assert.Equal([long.MinValue, 5], Tensor.From(new long[] { long.MinValue, -5 }).Abs().ToArray<long>());
    }

    [Fact]
    public void BoolTensorsAddAsOrAndMultiplyAsAndInPlace()
    {
        // torch: m = [True, False, False]; m.add_([False, False, True]) is [True, False, True]; then
        // m.mul_([True, True, False]) is [True, False, False]; a broadcast bool operand works too.
        var m = Tensor.From(new[] { true, false, false });
        m.AddInPlace(Tensor.From(new[] { false, false, true }));
        Assert.Equal([true, false, true], m.ToArray<bool>());
        Assert.Equal(1, m.Version);
        m.MulInPlace(Tensor.From(new[] { true, true, false }));
        Assert.Equal([true, false, false], m.ToArray<bool>());
        var rows = Tensor.Zeros([2, 3], DType.Bool);
        rows.T.AddInPlace(Tensor.From(new[] { true, false }).Reshape(2, 1).Expand(2, 3).T);
        Assert.Equal([true, true, true, false, false, false], rows.ToArray<bool>());
    }

    [Fact]
    public void BoolTensorsWithAWholeAlphaStayBool()
    {
        // torch: a = [False, True], b = [True, False]: a.add(b, alpha=2) and alpha=-1 are [True, True], alpha=0 is
        // [False, True], all bool; a.add_(b, alpha=3) is [True, True] in place.
        var a = Tensor.From(new[] { false, true });
        var b = Tensor.From(new[] { true, false });
        Assert.Equal(DType.Bool, a.Add(b, 2).DType);
        Assert.Equal([true, true], a.Add(b, 2).ToArray<bool>());
        Assert.Equal([true, true], a.Add(b, -1).ToArray<bool>());
        Assert.Equal([false, true], a.Add(b, 0).ToArray<bool>());
        Assert.Equal([2, 2], a.Add(Tensor.From(new[] { true, false }).Reshape(2, 1), 0).Shape.ToArray());
        a.AddInPlace(b, 3);
        Assert.Equal([true, true], a.ToArray<bool>());
    }

    [Fact]
    public void TheSignOfABoolTensorIsABoolCopy()
    {
        // torch: tensor([True, False]).sign() is tensor([True, False]), bool.
        var m = Tensor.From(new[] { true, false });
        var s = m.Sign();
        Assert.Equal(DType.Bool, s.DType);
        Assert.Equal([true, false], s.ToArray<bool>());
        s.FillInPlace(0L);
        Assert.Equal([true, false], m.ToArray<bool>());
    }

    [Fact]
    public void LogicalOpsTakeAnyDTypeButTheOperatorsOnlyBools()
    {
        // torch: a = [1, 0, 2], f = [0.5, nan, 0.]: logical_and(a, f) is [True, False, False], logical_or(a, f) is
        // [True, True, True], logical_not(f) is [False, False, True], logical_not(a) is [False, True, False]; a & a is a
        // bitwise and (int64) and f & f raises.
        var a = Tensor.From(new long[] { 1, 0, 2 });
        var f = Tensor.From(new[] { 0.5f, float.NaN, 0 });
        Assert.Equal([true, false, false], a.LogicalAnd(f).ToArray<bool>());
        Assert.Equal([true, true, true], a.LogicalOr(f).ToArray<bool>());
        Assert.Equal([false, false, true], f.LogicalNot().ToArray<bool>());
        Assert.Equal([false, true, false], a.LogicalNot().ToArray<bool>());
        Assert.Equal([2, 3], a.LogicalAnd(Tensor.Ones(2, 1)).Shape.ToArray());
        Assert.Contains("LogicalAnd()", Assert.Throws<DTypeMismatchException>(() => a & a).Message);
        Assert.Contains("bool and float32", Assert.Throws<DTypeMismatchException>(() => Tensor.From(new[] { true, false, true }) | f).Message);
        Assert.Contains("LogicalNot()", Assert.Throws<DTypeMismatchException>(() => !f).Message);
    }

    [Fact]
    public void BoolsStayBoolsThroughMaxAndMinAndRefuseSubtraction()
    {
        // torch: a bool tensor's max(), max(0) and maximum() are bool; t - 1, 1 - t, ints - t and floats - t raise.
        var t = Tensor.From(new[] { true, false });
        Assert.Equal(DType.Bool, t.Max().DType);
        Assert.True(t.Max().Item<bool>());
        Assert.False(t.Min().Item<bool>());
        Assert.Equal(DType.Bool, t.Max(0).Values.DType);
        Assert.Equal(0L, t.Max(0).Indices.Item<long>());
        Assert.Equal([true, false], t.Maximum(Tensor.From(new[] { false, false })).ToArray<bool>());
        Assert.Equal([false, false], t.Minimum(Tensor.From(new[] { false, true })).ToArray<bool>());
        foreach (var sub in new Func<Tensor>[] { () => t - 1, () => 1 - t, () => Tensor.From(new long[] { 1, 2 }) - t, () => Tensor.Ones(2) - t,
            () => Tensor.Ones(2).SubInPlace(t) })
            Assert.Contains("LogicalNot()", Assert.Throws<DTypeMismatchException>(sub).Message);
    }

    [Fact]
    public void MessagesNameTheRightOpAndShape()
    {
        var unsqueeze = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(2, 3).Unsqueeze(4));
        Assert.Contains("Unsqueeze: dim 4 is out of range for a tensor of 2 dims (expected -3 to 2)", unsqueeze.Message);
        Assert.StartsWith("ArgMax: the tensor (shape [0, 3]) is empty", Assert.Throws<ArgumentException>(() => Tensor.Zeros(0, 3).ArgMax()).Message);
        Assert.StartsWith("ArgMin: the tensor (shape [0]) is empty", Assert.Throws<ArgumentException>(() => Tensor.Zeros(0).ArgMin()).Message);
        Assert.Contains("zero-dim", Assert.Throws<ArgumentException>(() => Tensor.Scalar(5).IndexSelect(0, Tensor.From(new long[] { 0 }))).Message);
    }
}
