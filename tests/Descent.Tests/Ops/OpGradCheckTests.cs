using Descent;
using Descent.Autograd;
using Xunit;

namespace Descent.Tests.Ops;

/// <summary>Every case of <see cref="OpTable"/>: analytical gradients against finite differences in float64.</summary>
public class OpGradCheckTests
{
    [Theory]
    [MemberData(nameof(OpTable.Names), MemberType = typeof(OpTable))]
    public void GradientsMatchFiniteDifferences(string name)
    {
        var op = OpTable.Get(name);
        var generator = new Generator(StableSeed(name));
        var inputs = op.Inputs.Select(s => s.Make(s.Draw(generator), DType.Float64)).ToArray();
        Assert.True(GradCheck.Check(op.Function, inputs, eps: op.GradCheckEps));
    }

    [Theory]
    [MemberData(nameof(OpTable.Names), MemberType = typeof(OpTable))]
    public void InputsHaveTheirLayout(string name)
    {
        foreach (var spec in OpTable.Get(name).Inputs)
        {
            var x = spec.Make(spec.Draw(new Generator(1)), DType.Float64);
            Assert.Equal(spec.Shape, x.Shape.ToArray());
            Assert.True(x.IsLeaf);
            Assert.Equal(spec.RequiresGrad, x.RequiresGrad);
            bool contiguous = spec.Layout == Layout.Contiguous || (spec.Layout == Layout.Sliced && spec.Shape.Length == 1);
            Assert.Equal(contiguous, x.IsContiguous);
            Assert.Equal(spec.Layout is Layout.Sliced or Layout.Strided, x.StorageOffset != 0);
        }
    }

    [Fact]
    public void CaseNamesAreUnique() =>
        Assert.Equal(OpTable.Cases.Length, OpTable.Cases.Select(c => c.Name).Distinct().Count());

    /// <summary>A seed per case that does not change between runs (string.GetHashCode does).</summary>
    private static long StableSeed(string name)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in name) h = (h ^ c) * 1099511628211UL;
        return (long)(h >> 1);
    }
}
