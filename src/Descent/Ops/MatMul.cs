using System.Numerics;
using Descent.Autograd;
using Descent.Kernels;

namespace Descent.Ops;

/// <summary>
/// Matrix product of 2-D operands, or of 3-D operands batch by batch. <see cref="Tensor.MatMul"/> reduces
/// PyTorch's 1-D and broadcast-batched cases to this one by unsqueeze, expand and reshape.
/// Backward: dA = g @ Bᵀ, dB = Aᵀ @ g, with the transposes as views, never copies.
/// </summary>
internal sealed class MmBackward : Node
{
    public static Tensor Forward(Tensor a, Tensor b)
    {
        if (a.DType != b.DType)
            throw new DTypeMismatchException($"MatMul: both operands must have the same dtype, got {a.DType.Name()} and {b.DType.Name()}; convert one with To()");
        if (a.DType == DType.Bool) throw new DTypeMismatchException("MatMul: not defined for bool tensors");
        bool batched = a.Dim == 3;
        int m = a.Size(-2), k = a.Size(-1), n = b.Size(-1);
        if (b.Size(-2) != k)
            throw new ShapeMismatchException($"MatMul: cannot multiply {Shapes.Times(a.Shape)} by {Shapes.Times(b.Shape)}");
        int batch = batched ? a.ShapeArray[0] : 1;
        var r = Tensor.Empty(batched ? [batch, m, n] : [m, n], a.DType);
        switch (a.DType)
        {
            case DType.Float32: Run<float>(a, b, r, batch, m, k, n); break;
            case DType.Float64: Run<double>(a, b, r, batch, m, k, n); break;
            default: Run<long>(a, b, r, batch, m, k, n); break;
        }
        if (!GradMode.Records(a, b)) return r;
        var node = new MmBackward();
        node.Save(a, b);
        return node.Attach(r, a, b);
    }

    public override string Name => "MmBackward0";

    // Each operand is read only for the other's gradient, as PyTorch's mm saves it: the lesson's weights, updated
    // between two backward passes of a retained graph, are no error when the inputs need no gradient.
    internal override Tensor?[] Apply(Tensor g) =>
        [NeedsGrad(0) ? Fresh(Forward(g, Saved(1).MT)) : null, NeedsGrad(1) ? Fresh(Forward(Saved(0).MT, g)) : null];

    private static void Run<T>(Tensor a, Tensor b, Tensor r, int batch, int m, int k, int n) where T : unmanaged, INumber<T>
    {
        int bd = a.Dim - 2;
        var ad = a.Data<T>();
        var bdata = b.Data<T>();
        var rd = r.Data<T>();
        for (int i = 0; i < batch; i++)
        {
            int ao = a.Offset + (bd == 1 ? i * a.StridesArray[0] : 0);
            int bo = b.Offset + (bd == 1 ? i * b.StridesArray[0] : 0);
            MatMulKernel.Run(new MatrixRef<T>(ad, ao, a.StridesArray[bd], a.StridesArray[bd + 1]),
                new MatrixRef<T>(bdata, bo, b.StridesArray[bd], b.StridesArray[bd + 1]), rd, i * m * n, m, k, n);
        }
    }
}
