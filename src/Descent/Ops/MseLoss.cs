using System.Numerics;
using Descent.Autograd;
using Descent.Kernels;

namespace Descent.Ops;

/// <summary>
/// Mean squared error reduced to one number, as one primitive (PyTorch's <c>mse_loss</c>, whose node is
/// <c>MseLossBackward0</c>): the forward sums the squared differences block by block with no tensor of differences
/// or of squares, and the backward is one pass, <c>2 (input - target) g / n</c> for the mean. Both give the bits of
/// the composition <c>((input - target).Square()).Mean()</c> and its backward, which doubles the scale before the
/// product (<c>d * 2g</c>). One exception: for a one-element input the composition takes <c>(d * g) * 2</c>, which
/// differs only when <c>d * g</c> is subnormal.
/// </summary>
internal sealed class MseLossBackward(bool mean) : Node
{
    public override string Name => "MseLossBackward0";

    /// <summary>Floating-point operands of one dtype and one shape; the caller has checked the shapes.</summary>
    public static bool Applies(Tensor input, Tensor target) =>
        input.DType.IsFloatingPoint() && input.DType == target.DType;

    public static Tensor Forward(Tensor input, Tensor target, bool mean)
    {
        Tensor loss;
        using (GradMode.Set(false))
        {
            var a = input.Contiguous();
            var b = target.Contiguous();
            loss = input.DType == DType.Float32 ? Loss<float>(a, b, mean) : Loss<double>(a, b, mean);
        }
        if (!GradMode.Records(input, target)) return loss;
        var node = new MseLossBackward(mean);
        node.Save(input, target);
        return node.Attach(loss, input, target);
    }

    private static Tensor Loss<T>(Tensor a, Tensor b, bool mean) where T : unmanaged, INumber<T>
    {
        T sum = Reduce.SquaredDifferenceSum(a.Data<T>(), a.Offset, b.Data<T>(), b.Offset, a.Count);
        // The mean divides in the tensor's dtype, as Mean's division by the count does (0 / 0 is NaN, as in PyTorch).
        var value = mean ? sum / T.CreateTruncating((double)a.Count) : sum;
        return Tensor.Scalar(double.CreateTruncating(value), a.DType);
    }

    internal override Tensor?[] Apply(Tensor g)
    {
        var input = Saved(0);
        var target = Saved(1);
        Tensor d;
        using (GradMode.Set(false))
        {
            var a = input.Contiguous();
            var b = target.Contiguous();
            d = Tensor.Empty(input.ShapeArray, input.DType);
            // 2 g / n as the composition's backward forms it: g / n in the dtype, then doubled (exact).
            if (input.DType == DType.Float32) Difference<float>(a, b, g, d);
            else Difference<double>(a, b, g, d);
        }
        return [NeedsGrad(0) ? d : null, NeedsGrad(1) ? -d : null];
    }

    private void Difference<T>(Tensor a, Tensor b, Tensor g, Tensor d) where T : unmanaged, INumber<T>
    {
        T scale = T.CreateTruncating(g.Item<double>());
        if (mean) scale /= T.CreateTruncating((double)a.Count);
        scale += scale;
        Reduce.ScaledDifference(a.Data<T>(), a.Offset, b.Data<T>(), b.Offset, scale, d.Data<T>(), d.Offset, a.Count);
    }
}
