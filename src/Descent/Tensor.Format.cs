using System.Globalization;
using System.Text;

namespace Descent;

// Printing as PyTorch prints: tensor([[ 0.1234, -1.2000]], requires_grad=True). Same choice of fixed, integer-like
// or scientific notation, same padding, same summarising of large tensors with "...".
public sealed partial class Tensor
{
    private const int SummarizeOver = 1000, EdgeItems = 3, LineWidth = 80;

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder("tensor(");
        const int indent = 7;
        bool summarize = Count > SummarizeOver;
        if (Count == 0 && Dim == 1) sb.Append("[]");
        else if (Count == 0) sb.Append("[]");
        else
        {
            var fmt = NumberFormat.For(this, summarize);
            Write(sb, fmt, 0, Offset, indent, summarize);
        }
        if (Count == 0 && Dim != 1) sb.Append(", size=(").Append(string.Join(", ", ShapeArray)).Append(Dim == 1 ? ",)" : ")");
        if (DType is not (DType.Float32 or DType.Int64 or DType.Bool) || (Count == 0 && DType != DType.Float32))
            sb.Append(", dtype=").Append(DType.Name());
        if (GradFn is { } fn) sb.Append(", grad_fn=<").Append(fn.Name).Append('>');
        else if (RequiresGrad) sb.Append(", requires_grad=True");
        return sb.Append(')').ToString();
    }

    private void Write(StringBuilder sb, NumberFormat fmt, int dim, int offset, int indent, bool summarize)
    {
        if (dim == Dim)
        {
            sb.Append(fmt.Format(ValueAt(offset)));
            return;
        }
        int n = ShapeArray[dim], stride = StridesArray[dim];
        bool cut = summarize && n > 2 * EdgeItems;
        sb.Append('[');
        if (dim == Dim - 1)
        {
            int perLine = Math.Max(1, (LineWidth - indent) / (fmt.Width + 2));
            int written = 0;
            for (int i = 0; i < n; i++)
            {
                if (cut && i == EdgeItems)
                {
                    sb.Append(" ...,");
                    i = n - EdgeItems - 1;
                    continue;
                }
                if (written > 0)
                {
                    sb.Append(',');
                    if (written % perLine == 0) sb.Append('\n').Append(' ', indent + 1);
                    else sb.Append(' ');
                }
                else if (cut && i > EdgeItems) sb.Append(' ');
                sb.Append(fmt.Format(ValueAt(offset + i * stride)));
                written++;
            }
        }
        else
        {
            string sep = "," + new string('\n', Dim - dim - 1) + new string(' ', indent + 1);
            for (int i = 0; i < n; i++)
            {
                if (cut && i == EdgeItems)
                {
                    sb.Append("...").Append(sep);
                    i = n - EdgeItems - 1;
                    continue;
                }
                Write(sb, fmt, dim + 1, offset + i * stride, indent + 1, summarize);
                if (i < n - 1) sb.Append(sep);
            }
        }
        sb.Append(']');
    }

    private sealed class NumberFormat
    {
        private enum Mode { Int, Bool, Whole, Fixed, Sci }

        private Mode _mode;
        public int Width { get; private set; }

        public static NumberFormat For(Tensor t, bool summarize)
        {
            var f = new NumberFormat();
            var values = Shown(t, summarize);
            if (t.DType == DType.Bool) f._mode = Mode.Bool;
            else if (t.DType == DType.Int64) f._mode = Mode.Int;
            else
            {
                var finite = values.Where(double.IsFinite).ToList();
                var nonzero = finite.Select(Math.Abs).Where(v => v != 0).ToList();
                if (finite.All(v => v == Math.Ceiling(v)))
                    f._mode = nonzero.Count > 0 && nonzero.Max() > 1e8 ? Mode.Sci : Mode.Whole;
                else if (nonzero.Count > 0 && (nonzero.Max() / nonzero.Min() > 1000 || nonzero.Max() > 1e8 || nonzero.Min() < 1e-4))
                    f._mode = Mode.Sci;
                else f._mode = Mode.Fixed;
            }
            f.Width = values.Count == 0 ? 1 : values.Max(v => f.Raw(v).Length);
            return f;
        }

        private static List<double> Shown(Tensor t, bool summarize)
        {
            var list = new List<double>();
            void Walk(int dim, int offset)
            {
                if (dim == t.Dim)
                {
                    list.Add(t.ValueAt(offset));
                    return;
                }
                int n = t.ShapeArray[dim];
                for (int i = 0; i < n; i++)
                {
                    if (summarize && n > 2 * EdgeItems && i == EdgeItems) i = n - EdgeItems;
                    Walk(dim + 1, offset + i * t.StridesArray[dim]);
                }
            }
            Walk(0, t.Offset);
            return list;
        }

        private string Raw(double v)
        {
            var ci = CultureInfo.InvariantCulture;
            if (double.IsNaN(v)) return "nan";
            if (double.IsPositiveInfinity(v)) return "inf";
            if (double.IsNegativeInfinity(v)) return "-inf";
            return _mode switch
            {
                Mode.Bool => v != 0 ? "True" : "False",
                Mode.Int => ((long)v).ToString(ci),
                Mode.Whole => (v == 0 && double.IsNegative(v) ? "-0" : v.ToString("0", ci)) + ".",
                Mode.Fixed => v.ToString("0.0000", ci),
                _ => v.ToString("0.0000e+00", ci),
            };
        }

        public string Format(double v) => Raw(v).PadLeft(Width);
    }
}
