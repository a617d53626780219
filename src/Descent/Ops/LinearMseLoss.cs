using Descent.Autograd;
using Descent.Kernels;

namespace Descent.Ops;

/// <summary>
/// <c>MseLoss(Linear(x, W, b), Y)</c> in one pass over x (see <see cref="LinearMse"/>). The gradients of W and b do
/// not depend on the upstream gradient except through its scale, so the forward pass computes their sums while x
/// is in cache and backward only scales them: no N x K temporaries, and x is read once per step instead of twice.
/// Gradients flow to W and b only; callers take the composed path when x or Y needs a gradient.
/// </summary>
internal sealed class LinearMseLossBackward(double[]? weightSums, int[] weightShape, bool hasBias, double[]? biasSums, double scale) : Node
{
    public static Tensor Forward(Tensor x, Tensor weight, Tensor? bias, Tensor target, NN.Reduction reduction)
    {
        int d = weight.ShapeArray[1], k = weight.ShapeArray[0];
        int n = x.Count / d;
        var xs = x.Contiguous();
        var ys = target.Contiguous();
        var ws = weight.Contiguous();
        var bs = bias?.Contiguous();
        bool needW = GradMode.Records(weight), needB = bias is not null && GradMode.Records(bias);
        var gw = needW ? new double[k * d] : null;
        var gb = needB ? new double[k] : null;
        double sum = LinearMse.Run(xs.Data<float>(), xs.Offset, n, d, ws.Data<float>(), ws.Offset, bs is null ? null : Copy(bs),
            ys.Data<float>(), ys.Offset, k, gw, gb);
        double count = (double)n * k;
        double value = reduction == NN.Reduction.Mean ? sum / count : sum;
        var loss = Tensor.Scalar((float)value);
        if (!needW && !needB) return loss;
        double scale = reduction == NN.Reduction.Mean ? 2.0 / count : 2.0;
        var node = new LinearMseLossBackward(gw, [k, d], bias is not null, gb, scale);
        // Nothing saved is read in backward, but an in-place change of an input before it must still be caught.
        if (bias is null) node.Save(x, weight, target);
        else node.Save(x, weight, target, bias);
        return bias is null ? node.Attach(loss, weight) : node.Attach(loss, weight, bias);
    }

    public override string Name => "LinearMseLossBackward0";

    internal override Tensor?[] Apply(Tensor g)
    {
        for (int i = 0; i < (hasBias ? 4 : 3); i++) Saved(i);
        double s = scale * g.Item();
        var dw = weightSums is null ? null : Scaled(weightSums, weightShape, s);
        return hasBias ? [dw, biasSums is null ? null : Scaled(biasSums, [biasSums.Length], s)] : [dw];
    }

    private static float[] Copy(Tensor t) => t.Span<float>().ToArray();

    private static Tensor Scaled(double[] sums, int[] shape, double s)
    {
        var t = Tensor.Empty(shape, DType.Float32);
        var span = t.Span<float>();
        for (int i = 0; i < sums.Length; i++) span[i] = (float)(sums[i] * s);
        return t;
    }
}
