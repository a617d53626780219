using System.Numerics;
using System.Numerics.Tensors;
using Descent.Autograd;
using Descent.Kernels;

namespace Descent.Ops;

/// <summary>
/// <c>y = x Wᵀ + b</c> as one primitive over the rows of x (PyTorch's <c>addmm</c> behind <c>F.linear</c>), so that
/// each gradient is one product in the layout it is stored in: dx = g W, dW = gᵀ x (out x in, the weight's own
/// layout, not the transpose of <c>xᵀ g</c> that the composed <c>x.MatMul(W.T) + b</c> would hand back and the
/// weight's accumulator would then have to copy element by element), db = the column sums of g. The forward runs the
/// same kernels in the same order as the composed form, so both give the same values.
/// </summary>
internal sealed class AddmmBackward(bool bias) : Node
{
    public override string Name => bias ? "AddmmBackward0" : "MmBackward0";

    /// <summary>
    /// Whether the fused form applies: float operands of one dtype; the caller has checked the shapes. Other cases
    /// take the composed form, which reports dtype mismatches as <see cref="Tensor.MatMul"/> does.
    /// </summary>
    public static bool Applies(Tensor x, Tensor w, Tensor? b) =>
        x.DType.IsFloatingPoint() && x.DType == w.DType && (b is null || b.DType == x.DType) && x.Dim >= 1;

    public static Tensor Forward(Tensor x, Tensor w, Tensor? b)
    {
        int inF = w.ShapeArray[1], outF = w.ShapeArray[0];
        var shape = (int[])x.ShapeArray.Clone();
        shape[^1] = outF;
        var y = Tensor.Empty(shape, x.DType);
        if (x.DType == DType.Float32) Run<float>(x, w, b, y, inF, outF);
        else Run<double>(x, w, b, y, inF, outF);
        bool records = GradMode.Records(x, w) || (b is not null && GradMode.Records(b));
        if (!records) return y;
        var node = new AddmmBackward(b is not null);
        node.Save(x, w);
        return b is null ? node.Attach(y, x, w) : node.Attach(y, x, w, b);
    }

    private static void Run<T>(Tensor x, Tensor w, Tensor? b, Tensor y, int inF, int outF) where T : unmanaged, INumber<T>
    {
        var xs = Rows<T>(x, inF, out int rows);
        var yd = y.Data<T>();
        MatMulKernel.Run(xs, Transposed<T>(w), yd, 0, rows, inF, outF);
        if (b is null || rows == 0 || outF == 0) return;
        // y += b through the broadcasting add, which repeats a short bias into long spans: a call per row costs
        // more than the product itself when there are few outputs.
        var strides = new int[y.Dim];
        strides[^1] = b.StridesArray[0];
        Binary.Run<AddOp>(y, new Tensor(b.Storage, y.ShapeArray, strides, b.Offset), y);
    }

    // Each operand is read only for the other's gradient, as PyTorch's addmm saves it: a weight updated between two
    // backward passes of a retained graph is no error when the input needs no gradient.
    internal override Tensor?[] Apply(Tensor g)
    {
        var gc = Contiguous(g);
        int outF = gc.ShapeArray[^1];
        Tensor? dx = null, dw = null, db = null;
        if (NeedsGrad(0))
        {
            var w = Saved(1);
            int inF = w.ShapeArray[1];
            dx = Tensor.Empty([.. gc.ShapeArray[..^1], inF], w.DType);
            if (w.DType == DType.Float32) InputGrad<float>(gc, w, dx, inF, outF);
            else InputGrad<double>(gc, w, dx, inF, outF);
        }
        if (NeedsGrad(1))
        {
            var x = Saved(0);
            int inF = x.ShapeArray[^1];
            dw = Tensor.Empty([outF, inF], x.DType);
            if (x.DType == DType.Float32) WeightGrad<float>(gc, x, dw, inF, outF);
            else WeightGrad<double>(gc, x, dw, inF, outF);
        }
        if (NeedsGrad(2)) db = gc.Reshape(LeadingRows(gc), outF).Sum(0);
        return [Fresh(dx), Fresh(dw), Fresh(db)];
    }

    /// <summary>dx = g W: (rows, out) @ (out, in).</summary>
    private static void InputGrad<T>(Tensor g, Tensor w, Tensor dx, int inF, int outF) where T : unmanaged, INumber<T>
    {
        int rows = LeadingRows(g);
        MatMulKernel.Run(new MatrixRef<T>(g.Data<T>(), g.Offset, outF, 1), Matrix<T>(w), dx.Data<T>(), 0, rows, outF, inF);
    }

    /// <summary>dW = gᵀ x: (out, rows) @ (rows, in), straight into the weight's layout.</summary>
    private static void WeightGrad<T>(Tensor g, Tensor x, Tensor dw, int inF, int outF) where T : unmanaged, INumber<T>
    {
        var xs = Rows<T>(x, inF, out int rows);
        MatMulKernel.Run(new MatrixRef<T>(g.Data<T>(), g.Offset, 1, outF), xs, dw.Data<T>(), 0, outF, rows, inF);
    }

    /// <summary>x as a (rows, in) matrix: through its strides when 2-D, else as its contiguous elements.</summary>
    private static MatrixRef<T> Rows<T>(Tensor x, int inF, out int rows)
    {
        if (x.Dim == 2)
        {
            rows = x.ShapeArray[0];
            return new MatrixRef<T>(x.Data<T>(), x.Offset, x.StridesArray[0], x.StridesArray[1]);
        }
        var c = Contiguous(x);
        rows = LeadingRows(x);
        return new MatrixRef<T>(c.Data<T>(), c.Offset, inF, 1);
    }

    /// <summary>The product of all dims but the last: the number of rows the layer maps.</summary>
    private static int LeadingRows(Tensor t)
    {
        int rows = 1;
        for (int d = 0; d < t.Dim - 1; d++) rows *= t.ShapeArray[d];
        return rows;
    }

    private static MatrixRef<T> Matrix<T>(Tensor w) => new(w.Data<T>(), w.Offset, w.StridesArray[0], w.StridesArray[1]);

    private static MatrixRef<T> Transposed<T>(Tensor w) => new(w.Data<T>(), w.Offset, w.StridesArray[1], w.StridesArray[0]);

    private static Tensor Contiguous(Tensor t)
    {
        if (t.IsContiguous) return t;
        using (GradMode.Set(false)) return t.Contiguous();
    }
}
