using System.Globalization;

namespace Descent.Autograd;

/// <summary>
/// Checks the gradients that <see cref="Tensor.Backward(Tensor, bool)"/> computes for a function against central
/// finite differences in float64 (PyTorch's <c>torch.autograd.gradcheck</c>).
/// </summary>
/// <remarks>
/// The analytical Jacobian is built one output element at a time: a backward pass seeded with a one-hot gradient
/// gives one row. The numerical Jacobian is built one input element at a time: the element is moved by
/// <c>+eps</c> and <c>-eps</c> in place and the column is <c>(f(x + eps) - f(x - eps)) / (2 eps)</c>. Each pair of
/// entries must satisfy <c>|analytical - numerical| &lt;= atol + rtol * |numerical|</c>, as in PyTorch.
/// Inputs may be non-contiguous (a transposed or sliced leaf), so the function is checked on the layout it will
/// meet; the inputs' values and their <see cref="Tensor.Grad"/> are restored afterwards.
/// </remarks>
public static class GradCheck
{
    /// <summary>
    /// Compares the analytical and numerical Jacobians of <paramref name="function"/> at <paramref name="inputs"/>.
    /// </summary>
    /// <param name="function">A function of the inputs that returns one tensor; it must be deterministic.</param>
    /// <param name="inputs">
    /// The function's arguments. Those with <see cref="Tensor.RequiresGrad"/> are checked; they must be float64
    /// leaves without overlapping elements (no expanded, stride-0 dims). Others (masks, indices) pass unchanged.
    /// </param>
    /// <param name="eps">The finite-difference step.</param>
    /// <param name="atol">The absolute tolerance.</param>
    /// <param name="rtol">The tolerance relative to the numerical value.</param>
    /// <param name="raiseException">Throw <see cref="GradCheckException"/> on a mismatch (the default); false returns false instead.</param>
    /// <returns>True when every Jacobian entry agrees; false on a mismatch when <paramref name="raiseException"/> is false.</returns>
    /// <exception cref="GradCheckException">An entry differs; the message names the input, its element, the output element and both values.</exception>
    /// <exception cref="ArgumentException">No input requires grad, or one is not a float64 leaf, or has overlapping elements.</exception>
    public static bool Check(Func<Tensor[], Tensor> function, Tensor[] inputs,
        double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3, bool raiseException = true)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        var checkedInputs = Validate(inputs);
        var savedGrads = inputs.Select(x => x.Grad).ToArray();
        try
        {
            var analytical = Analytical(function, inputs, checkedInputs, out int[] outputShape);
            int outputs = Shapes.Numel(outputShape);
            for (int k = 0; k < checkedInputs.Length; k++)
            {
                var x = inputs[checkedInputs[k]];
                var numerical = Numerical(function, inputs, x, outputs, eps);
                if (Compare(analytical[k], numerical, checkedInputs[k], x, outputShape, atol, rtol) is { } message)
                {
                    if (raiseException) throw new GradCheckException(message);
                    return false;
                }
            }
            return true;
        }
        finally
        {
            for (int i = 0; i < inputs.Length; i++) inputs[i].Grad = savedGrads[i];
        }
    }

    /// <summary>The one-input form of <see cref="Check(Func{Tensor[], Tensor}, Tensor[], double, double, double, bool)"/>.</summary>
    /// <param name="function">A function of the input that returns one tensor.</param>
    /// <param name="input">A float64 leaf that requires grad.</param>
    /// <param name="eps">The finite-difference step.</param>
    /// <param name="atol">The absolute tolerance.</param>
    /// <param name="rtol">The tolerance relative to the numerical value.</param>
    /// <param name="raiseException">Throw on a mismatch (the default); false returns false instead.</param>
    /// <returns>True when every Jacobian entry agrees.</returns>
    public static bool Check(Func<Tensor, Tensor> function, Tensor input,
        double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3, bool raiseException = true)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Check(xs => function(xs[0]), [input], eps, atol, rtol, raiseException);
    }

    private static int[] Validate(Tensor[] inputs)
    {
        var result = new List<int>();
        for (int i = 0; i < inputs.Length; i++)
        {
            var x = inputs[i] ?? throw new ArgumentNullException(nameof(inputs), $"GradCheck: input {i} is null");
            if (!x.RequiresGrad) continue;
            if (x.DType != DType.Float64)
                throw new ArgumentException($"GradCheck: input {i} is {x.DType.Name()}; finite differences need float64 inputs (convert with To(DType.Float64) before setting RequiresGrad)", nameof(inputs));
            if (!x.IsLeaf)
                throw new ArgumentException($"GradCheck: input {i} is the result of an operation; pass leaves (Detach() it and set RequiresGrad = true)", nameof(inputs));
            for (int d = 0; d < x.Dim; d++)
                if (x.ShapeArray[d] > 1 && x.StridesArray[d] == 0)
                    throw new ArgumentException($"GradCheck: input {i} of shape {Shapes.Format(x.Shape)} has stride 0 in dim {d}, so its elements overlap and cannot be moved one at a time; pass a Contiguous() copy", nameof(inputs));
            result.Add(i);
        }
        if (result.Count == 0)
            throw new ArgumentException("GradCheck: no input requires grad; set RequiresGrad = true on the inputs to check", nameof(inputs));
        return [.. result];
    }

    /// <summary>Per checked input, the Jacobian as [input element, output element], one backward pass per output element.</summary>
    private static double[][,] Analytical(Func<Tensor[], Tensor> function, Tensor[] inputs, int[] checkedInputs, out int[] outputShape)
    {
        Tensor output;
        using (Tensor.EnableGrad()) output = function(inputs);
        outputShape = output.Shape.ToArray();
        int outputs = output.Count;
        var jacobians = checkedInputs.Select(i => new double[inputs[i].Count, outputs]).ToArray();
        foreach (var i in checkedInputs) inputs[i].Grad = null;
        if (!output.RequiresGrad) return jacobians;
        if (!output.DType.IsFloatingPoint())
            throw new ArgumentException($"GradCheck: the function returned a {output.DType.Name()} tensor that requires grad; it must return a floating-point tensor");
        for (int j = 0; j < outputs; j++)
        {
            var seed = Tensor.Zeros(output.ShapeArray, output.DType);
            seed.SetFlat(j, 1);
            output.Backward(seed, retainGraph: true);
            for (int k = 0; k < checkedInputs.Length; k++)
            {
                var x = inputs[checkedInputs[k]];
                if (x.Grad is not { } g) continue;
                var values = g.To(DType.Float64).ToArray<double>();
                for (int e = 0; e < values.Length; e++) jacobians[k][e, j] = values[e];
                x.Grad = null;
            }
        }
        return jacobians;
    }

    /// <summary>The Jacobian of the output with respect to <paramref name="x"/> by central differences, as [input element, output element].</summary>
    private static double[,] Numerical(Func<Tensor[], Tensor> function, Tensor[] inputs, Tensor x, int outputs, double eps)
    {
        var jacobian = new double[x.Count, outputs];
        var data = x.Data<double>();
        using var _ = Tensor.NoGrad();
        for (int e = 0; e < x.Count; e++)
        {
            int at = StorageIndex(x, e);
            double original = data[at];
            try
            {
                data[at] = original + eps;
                var plus = Evaluate(function, inputs, outputs);
                data[at] = original - eps;
                var minus = Evaluate(function, inputs, outputs);
                for (int j = 0; j < outputs; j++) jacobian[e, j] = (plus[j] - minus[j]) / (2 * eps);
            }
            finally
            {
                data[at] = original;
            }
        }
        return jacobian;
    }

    private static double[] Evaluate(Func<Tensor[], Tensor> function, Tensor[] inputs, int outputs)
    {
        var output = function(inputs);
        if (output.Count != outputs)
            throw new ArgumentException($"GradCheck: the function returned {output.Count} elements after an input moved by eps, but {outputs} before; it must return a fixed shape");
        return output.To(DType.Float64).ToArray<double>();
    }

    /// <summary>Where logical element <paramref name="flat"/> (row-major) of <paramref name="x"/> lives in its storage.</summary>
    private static int StorageIndex(Tensor x, int flat)
    {
        int at = x.Offset;
        for (int d = x.Dim - 1; d >= 0; d--)
        {
            int size = x.ShapeArray[d];
            at += flat % size * x.StridesArray[d];
            flat /= size;
        }
        return at;
    }

    private static string? Compare(double[,] analytical, double[,] numerical, int input, Tensor x, int[] outputShape,
        double atol, double rtol)
    {
        int outputs = Shapes.Numel(outputShape);
        int bad = 0, worstE = -1, worstJ = -1;
        double worstExcess = double.NegativeInfinity;
        for (int e = 0; e < x.Count; e++)
        {
            for (int j = 0; j < outputs; j++)
            {
                double a = analytical[e, j], n = numerical[e, j];
                double diff = Math.Abs(a - n), tol = atol + rtol * Math.Abs(n);
                if (diff <= tol) continue;
                bad++;
                double excess = double.IsNaN(diff) ? double.PositiveInfinity : diff - tol;
                if (worstE < 0 || excess > worstExcess)
                {
                    worstE = e;
                    worstJ = j;
                    worstExcess = excess;
                }
            }
        }
        if (bad == 0) return null;
        var c = CultureInfo.InvariantCulture;
        return string.Create(c,
            $"GradCheck: Jacobian mismatch for input {input} (shape {Shapes.Format(x.Shape)}): {bad} of {x.Count * outputs} entries differ. " +
            $"Worst: d output{Position(outputShape, worstJ)} / d input {input} element {Position(x.ShapeArray, worstE)} (flat {worstE}): " +
            $"analytical {analytical[worstE, worstJ].ToString("R", c)}, numerical {numerical[worstE, worstJ].ToString("R", c)} " +
            $"(atol {atol.ToString("R", c)}, rtol {rtol.ToString("R", c)})");
    }

    private static string Position(int[] shape, int flat)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return "[" + string.Join(", ", index) + "]";
    }
}

/// <summary>
/// Thrown by <see cref="GradCheck.Check(Func{Tensor[], Tensor}, Tensor[], double, double, double, bool)"/> when an
/// analytical gradient differs from the finite-difference one (PyTorch's <c>GradcheckError</c>).
/// </summary>
public sealed class GradCheckException(string message) : Exception(message);
