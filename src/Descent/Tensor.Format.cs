using System.Globalization;
using System.Numerics;
using System.Text;

namespace Descent;

// Printing as PyTorch prints (torch/_tensor_str.py with the default print options: precision 4, threshold 1000,
// edgeitems 3, linewidth 80): tensor([[ 0.1234, -1.2000]], requires_grad=True). The structure follows PyTorch's
// so that the two can be compared line by line: one formatter chooses integer-like, fixed or scientific notation
// and a width from the elements shown, rows are cut into lines of whole elements, and suffixes wrap at 80 columns.
public sealed partial class Tensor
{
    private const int SummarizeOver = 1000, EdgeItems = 3, LineWidth = 80, Precision = 4;

    /// <summary>
    /// The tensor as PyTorch prints it: <c>tensor([[ 0.1234, -1.2000]], requires_grad=True)</c>. The dtype is shown
    /// when it is float64 (<c>dtype=float64</c>), or for an empty tensor when it is not float32; tensors of more than
    /// 1000 elements show the first and last 3 entries of each dim around <c>...</c>.
    /// </summary>
    public override string ToString()
    {
        const string prefix = "tensor(";
        int indent = prefix.Length;
        var suffixes = new List<string>();
        string body;
        if (Count == 0)
        {
            // As PyTorch (and NumPy): the shape is shown unless it is (0,), and the dtype unless it is the default.
            if (Dim != 1) suffixes.Add("size=(" + string.Join(", ", ShapeArray) + ")");
            if (DType != DType.Float32) suffixes.Add("dtype=" + DType.Name());
            body = "[]";
        }
        else
        {
            if (DType == DType.Float64) suffixes.Add("dtype=" + DType.Name());
            bool summarize = Count > SummarizeOver;
            var formatter = new Formatter(this, summarize);
            var sb = new StringBuilder();
            WriteSlice(sb, formatter, 0, Offset, indent, summarize);
            body = sb.ToString();
        }
        if (GradFn is { } fn) suffixes.Add("grad_fn=<" + fn.Name + ">");
        else if (RequiresGrad) suffixes.Add("requires_grad=True");
        return AddSuffixes(prefix + body, suffixes, indent);
    }

    // PyTorch's _add_suffixes, including its count of the last line's length.
    private static string AddSuffixes(string text, List<string> suffixes, int indent)
    {
        var sb = new StringBuilder(text);
        int lastLineLength = text.Length - text.LastIndexOf('\n') + 1;
        foreach (var suffix in suffixes)
        {
            if (lastLineLength + suffix.Length + 2 > LineWidth)
            {
                sb.Append(",\n").Append(' ', indent).Append(suffix);
                lastLineLength = indent + suffix.Length;
            }
            else
            {
                sb.Append(", ").Append(suffix);
                lastLineLength += suffix.Length + 2;
            }
        }
        return sb.Append(')').ToString();
    }

    /// <summary>The sub-tensor at dims <paramref name="dim"/>.. starting at storage position <paramref name="offset"/> (PyTorch's _tensor_str_with_formatter).</summary>
    private void WriteSlice(StringBuilder sb, Formatter fmt, int dim, int offset, int indent, bool summarize)
    {
        if (dim == Dim)
        {
            sb.Append(fmt.Format(offset));
            return;
        }
        int n = ShapeArray[dim], stride = StridesArray[dim];
        bool cut = summarize && n > 2 * EdgeItems;
        if (dim == Dim - 1)
        {
            // PyTorch's _vector_str: as many whole elements per line as fit in the line width.
            var items = new List<string>();
            for (int i = 0; i < n; i++)
            {
                if (cut && i == EdgeItems)
                {
                    items.Add(" ...");
                    i = n - EdgeItems - 1;
                    continue;
                }
                items.Add(fmt.Format(offset + i * stride));
            }
            int perLine = Math.Max(1, (LineWidth - indent) / (fmt.Width + 2));
            sb.Append('[');
            for (int i = 0; i < items.Count; i++)
            {
                if (i > 0) sb.Append(i % perLine == 0 ? ",\n" + new string(' ', indent + 1) : ", ");
                sb.Append(items[i]);
            }
            sb.Append(']');
            return;
        }
        string separator = "," + new string('\n', Dim - dim - 1) + new string(' ', indent + 1);
        sb.Append('[');
        for (int i = 0; i < n; i++)
        {
            if (i > 0) sb.Append(separator);
            if (cut && i == EdgeItems)
            {
                sb.Append("...").Append(separator);
                i = n - EdgeItems;
            }
            WriteSlice(sb, fmt, dim + 1, offset + i * stride, indent + 1, summarize);
        }
        sb.Append(']');
    }

    /// <summary>PyTorch's _Formatter: one notation and one width for every element shown.</summary>
    private sealed class Formatter
    {
        private readonly Tensor _t;
        private readonly bool _floating;
        private readonly bool _intMode = true;
        private readonly bool _sciMode;

        public Formatter(Tensor t, bool summarize)
        {
            _t = t;
            _floating = t.DType.IsFloatingPoint();
            var shown = Shown(t, summarize);
            if (!_floating)
            {
                foreach (var p in shown) Width = Math.Max(Width, Raw(p).Length);
                return;
            }
            // Only nonzero finite values decide the notation and the width, as in PyTorch.
            var values = new List<double>();
            foreach (var p in shown)
            {
                double v = t.ValueAt(p);
                if (double.IsFinite(v) && v != 0) values.Add(v);
            }
            if (values.Count == 0) return;
            double min = values.Min(Math.Abs), max = values.Max(Math.Abs);
            _intMode = values.All(v => v == Math.Ceiling(v));
            _sciMode = max / min > 1000 || max > 1e8 || (!_intMode && min < 1e-4);
            foreach (var v in values)
            {
                int length = _sciMode ? Scientific(v).Length : _intMode ? Fixed(v, 0).Length + 1 : Fixed(v, Precision).Length;
                Width = Math.Max(Width, length);
            }
        }

        /// <summary>The width every element is padded to (elements such as <c>-inf</c> may exceed it).</summary>
        public int Width { get; } = 1;

        /// <summary>The element at a storage position, padded on the left to <see cref="Width"/>.</summary>
        public string Format(int storageIndex) => Raw(storageIndex).PadLeft(Width);

        private string Raw(int storageIndex)
        {
            switch (_t.DType)
            {
                case DType.Int64: return _t.Data<long>()[storageIndex].ToString(CultureInfo.InvariantCulture);
                case DType.Bool: return _t.Data<bool>()[storageIndex] ? "True" : "False";
            }
            double v = _t.ValueAt(storageIndex);
            if (!double.IsFinite(v)) return NonFinite(v);
            if (_sciMode) return Scientific(v);
            return _intMode ? Fixed(v, 0) + "." : Fixed(v, Precision);
        }

        /// <summary>Storage positions of the elements printed: with summarising, the first and last 3 of each long dim.</summary>
        private static List<int> Shown(Tensor t, bool summarize)
        {
            var list = new List<int>();
            var stack = new Stack<(int Dim, int Offset)>();
            stack.Push((0, t.Offset));
            while (stack.TryPop(out var item))
            {
                if (item.Dim == t.Dim)
                {
                    list.Add(item.Offset);
                    continue;
                }
                int n = t.ShapeArray[item.Dim];
                for (int i = n - 1; i >= 0; i--)
                {
                    if (summarize && n > 2 * EdgeItems && i == n - EdgeItems - 1) i = EdgeItems - 1;
                    stack.Push((item.Dim + 1, item.Offset + i * t.StridesArray[item.Dim]));
                }
            }
            return list;
        }
    }

    private static string NonFinite(double v) => double.IsNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";

    /// <summary>Python's <c>'{:.Nf}'</c>: exactly rounded, ties to even, sign kept on negative zero.</summary>
    internal static string Fixed(double v, int decimals)
    {
        if (!double.IsFinite(v)) return NonFinite(v);
        var digits = RoundScaled(Math.Abs(v), decimals).ToString(CultureInfo.InvariantCulture);
        if (decimals > 0)
        {
            digits = digits.PadLeft(decimals + 1, '0');
            digits = digits[..^decimals] + "." + digits[^decimals..];
        }
        return double.IsNegative(v) ? "-" + digits : digits;
    }

    /// <summary>Python's <c>'{:.4e}'</c>: exactly rounded, ties to even, an exponent of at least two digits.</summary>
    internal static string Scientific(double v)
    {
        if (!double.IsFinite(v)) return NonFinite(v);
        string sign = double.IsNegative(v) ? "-" : "";
        double a = Math.Abs(v);
        if (a == 0) return sign + "0." + new string('0', Precision) + "e+00";
        int exponent = (int)Math.Floor(Math.Log10(a));
        BigInteger lowest = BigInteger.Pow(10, Precision), limit = lowest * 10;
        BigInteger m;
        while (true)
        {
            m = RoundScaled(a, Precision - exponent);
            if (m >= limit) exponent++;
            else if (m < lowest) exponent--;
            else break;
        }
        var digits = m.ToString(CultureInfo.InvariantCulture);
        return sign + digits[..1] + "." + digits[1..] + "e" + (exponent < 0 ? "-" : "+")
            + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
    }

    /// <summary><paramref name="a"/> (finite, non-negative) times 10^<paramref name="power"/>, rounded to the nearest whole number, ties to even, computed exactly.</summary>
    private static BigInteger RoundScaled(double a, int power)
    {
        long bits = BitConverter.DoubleToInt64Bits(a);
        int e = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & 0xFFFFFFFFFFFFFL;
        if (e == 0) e = 1;
        else mantissa |= 1L << 52;
        e -= 1075; // a = mantissa * 2^e
        BigInteger num = mantissa, den = BigInteger.One;
        if (e > 0) num <<= e;
        else den <<= -e;
        if (power >= 0) num *= BigInteger.Pow(10, power);
        else den *= BigInteger.Pow(10, -power);
        var q = BigInteger.DivRem(num, den, out var r);
        int half = (r * 2).CompareTo(den);
        if (half > 0 || (half == 0 && !q.IsEven)) q++;
        return q;
    }
}
