using Descent.Autograd;
using Xunit;

namespace Descent.Tests.Autograd;

/// <summary>RequiresGrad, IsLeaf, GradFn, Detach and the NoGrad/EnableGrad scopes.</summary>
public class GraphPropertiesTests
{
    [Fact]
    public void LeavesAndResults()
    {
        var x = Tensor.From(new float[] { 1, 2 }, requiresGrad: true);
        var c = Tensor.From(new float[] { 3, 4 });
        Assert.True(x.IsLeaf);
        Assert.True(x.RequiresGrad);
        Assert.Null(x.GradFn);
        Assert.True(c.IsLeaf);
        Assert.False(c.RequiresGrad);

        var y = x * c;
        Assert.False(y.IsLeaf);
        Assert.True(y.RequiresGrad);
        Assert.Equal("MulBackward0", y.GradFn!.Name);

        // An op on tensors that need no gradient records nothing.
        var z = c * c;
        Assert.True(z.IsLeaf);
        Assert.False(z.RequiresGrad);
        Assert.Null(z.GradFn);
    }

    [Theory]
    [InlineData("add", "AddBackward0")]
    [InlineData("sub", "SubBackward0")]
    [InlineData("mul", "MulBackward0")]
    [InlineData("div", "DivBackward0")]
    [InlineData("neg", "NegBackward0")]
    [InlineData("exp", "ExpBackward0")]
    [InlineData("log", "LogBackward0")]
    [InlineData("sqrt", "SqrtBackward0")]
    [InlineData("tanh", "TanhBackward0")]
    [InlineData("sigmoid", "SigmoidBackward0")]
    [InlineData("relu", "ReluBackward0")]
    [InlineData("abs", "AbsBackward0")]
    [InlineData("pow", "PowBackward0")]
    [InlineData("sum", "SumBackward0")]
    [InlineData("matmul", "MmBackward0")]
    [InlineData("permute", "PermuteBackward0")]
    [InlineData("clone", "CloneBackward0")]
    [InlineData("to", "ToCopyBackward0")]
    [InlineData("expand", "ExpandBackward0")]
    [InlineData("max", "MaxBackward1")]
    [InlineData("cat", "CatBackward0")]
    public void GradFnNamesFollowPyTorch(string op, string name)
    {
        var x = Tensor.From(new float[,] { { 1, 2 }, { 3, 4 } }, requiresGrad: true);
        var y = op switch
        {
            "add" => x + x,
            "sub" => x - x,
            "mul" => x * x,
            "div" => x / x,
            "neg" => -x,
            "exp" => x.Exp(),
            "log" => x.Log(),
            "sqrt" => x.Sqrt(),
            "tanh" => x.Tanh(),
            "sigmoid" => x.Sigmoid(),
            "relu" => x.Relu(),
            "abs" => x.Abs(),
            "pow" => x.Pow(2),
            "sum" => x.Sum(),
            "matmul" => x.MatMul(x),
            "permute" => x.Permute(1, 0),
            "clone" => x.Clone(),
            "to" => x.To(DType.Float64),
            "expand" => x.Expand(3, 2, 2),
            "max" => x.Max(),
            "cat" => Tensor.Cat([x, x]),
            _ => throw new ArgumentException(op),
        };
        Assert.Equal(name, y.GradFn!.Name);
        Assert.Equal(name, y.GradFn.ToString());
    }

    [Fact]
    public void NextFunctionsLeadToTheLeavesAccumulators()
    {
        var x = Tensor.From(new float[] { 1 }, requiresGrad: true);
        var c = Tensor.From(new float[] { 2 });
        var y = x * c;
        var next = y.GradFn!.NextFunctions;
        Assert.Equal(2, next.Count);
        var acc = Assert.IsType<AccumulateGrad>(next[0]);
        Assert.Same(x, acc.Variable);
        Assert.Null(next[1]);
        // One accumulator per leaf, as in PyTorch.
        Assert.Same(acc, (x + 1.0).GradFn!.NextFunctions[0]);
    }

    [Fact]
    public void RequiresGradCanBeSetOnLeavesOnlyAndOnlyForFloats()
    {
        var x = Tensor.From(new float[] { 1 });
        x.RequiresGrad = true;
        x.RequiresGrad = false;
        Assert.False(x.RequiresGrad);
        x.RequiresGrad = true;
        var y = x * 2.0;
        var e = Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        Assert.Contains("Detach", e.Message);
        var i = Tensor.From(new long[] { 1 });
        var e2 = Assert.Throws<InvalidOperationException>(() => i.RequiresGrad = true);
        Assert.Contains("int64", e2.Message);
        Assert.Throws<InvalidOperationException>(() => Tensor.From(new bool[] { true }, requiresGrad: true));
    }

    [Fact]
    public void IntegerResultsOfOpsOnGradTensorsDoNotRequireGrad()
    {
        var x = Tensor.From(new float[] { 1, 5, 3 }, requiresGrad: true);
        Assert.False(x.ArgMax().RequiresGrad);
        Assert.False(x.Gt(2.0).RequiresGrad);
        Assert.False(x.Max(0).Indices.RequiresGrad);
        Assert.True(x.Max(0).Values.RequiresGrad);
        Assert.False(x.To(DType.Int64).RequiresGrad);
    }

    [Fact]
    public void DetachSharesDataButLeavesTheGraph()
    {
        var x = Tensor.From(new float[] { 1, 2 }, requiresGrad: true);
        var y = x * 2.0;
        var d = y.Detach();
        Assert.False(d.RequiresGrad);
        Assert.True(d.IsLeaf);
        Assert.Null(d.GradFn);
        int version = y.Version;
        d.AddInPlace(1.0); // allowed: d needs no grad
        Assert.Equal([3f, 5], y.ToArray<float>());
        Assert.Equal(version + 1, y.Version);

        var z = x * x.Detach(); // the detached factor is a constant
        z.Sum().Backward();
        Assert.Equal([1f, 2], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void NoGradStopsRecordingAndScopesNest()
    {
        var x = Tensor.From(new float[] { 1, 2 }, requiresGrad: true);
        Assert.True(Tensor.IsGradEnabled);
        using (Tensor.NoGrad())
        {
            Assert.False(Tensor.IsGradEnabled);
            var y = x * 2.0;
            Assert.False(y.RequiresGrad);
            Assert.Null(y.GradFn);
            using (Tensor.EnableGrad())
            {
                Assert.True(Tensor.IsGradEnabled);
                Assert.True((x * 2.0).RequiresGrad);
                using (Tensor.NoGrad())
                {
                    Assert.False((x * 2.0).RequiresGrad);
                    using (Tensor.NoGrad()) Assert.False(Tensor.IsGradEnabled);
                    Assert.False(Tensor.IsGradEnabled);
                }
                Assert.True(Tensor.IsGradEnabled);
            }
            Assert.False(Tensor.IsGradEnabled);
        }
        Assert.True(Tensor.IsGradEnabled);
        Assert.True((x * 2.0).RequiresGrad);
    }

    [Fact]
    public void EnableGradOutsideNoGradKeepsGradOnAndDisposingTwiceIsHarmless()
    {
        var scope = Tensor.EnableGrad();
        Assert.True(Tensor.IsGradEnabled);
        scope.Dispose();
        Assert.True(Tensor.IsGradEnabled);
        var off = Tensor.NoGrad();
        off.Dispose();
        off.Dispose();
        Assert.True(Tensor.IsGradEnabled);
        Assert.True(GradMode.IsEnabled);
    }

    [Fact]
    public void GradModeIsPerThread()
    {
        var x = Tensor.From(new float[] { 1, 2 }, requiresGrad: true);
        bool otherEnabled = false, otherRecorded = false, otherDisabledInside = true;
        using (Tensor.NoGrad())
        {
            var t = new Thread(() =>
            {
                otherEnabled = Tensor.IsGradEnabled;
                otherRecorded = (x * 2.0).RequiresGrad;
                using (Tensor.NoGrad()) otherDisabledInside = !Tensor.IsGradEnabled;
            });
            t.Start();
            t.Join();
            Assert.False(Tensor.IsGradEnabled);
        }
        Assert.True(otherEnabled);
        Assert.True(otherRecorded);
        Assert.True(otherDisabledInside);

        // And the other way round: a NoGrad on another thread leaves this one recording.
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var worker = new Thread(() =>
        {
            using (Tensor.NoGrad())
            {
                started.Set();
                release.Wait();
            }
        });
        worker.Start();
        started.Wait();
        Assert.True(Tensor.IsGradEnabled);
        Assert.True((x * 2.0).RequiresGrad);
        release.Set();
        worker.Join();
    }

    [Fact]
    public void BackwardRunsWithoutRecordingAndRestoresGradMode()
    {
        var x = Tensor.From(new float[] { 1, 2 }, requiresGrad: true);
        (x * x).Sum().Backward();
        Assert.True(Tensor.IsGradEnabled);
        Assert.False(x.Grad!.RequiresGrad);
        Assert.Null(x.Grad.GradFn);
        using (Tensor.NoGrad())
        {
            // Nothing was recorded, so there is nothing to differentiate; grad mode stays as it was.
            Assert.Throws<InvalidOperationException>(() => (x * 1.0).Sum().Backward());
            Assert.False(Tensor.IsGradEnabled);
        }
        Assert.True(Tensor.IsGradEnabled);
    }
}
