using System.Globalization;
using System.Text;

namespace Descent.NN;

/// <summary>Python's spelling of numbers and booleans, so module reprs read exactly as PyTorch prints them.</summary>
internal static class PyRepr
{
    public static string Bool(bool value) => value ? "True" : "False";

    /// <summary>Python's <c>repr(float)</c>: shortest round-trip digits, <c>.0</c> on whole numbers, <c>1e-05</c> style below 1e-4 and from 1e16.</summary>
    public static string Float(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";
        // Shortest round-trip digits and the decimal exponent of the first digit, from .NET's "R" form.
        var r = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        int e = r.IndexOf('E');
        int exp = e >= 0 ? int.Parse(r[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : 0;
        var mantissa = e >= 0 ? r[..e] : r;
        int dot = mantissa.IndexOf('.');
        var digits = mantissa.Replace(".", "");
        exp += (dot >= 0 ? dot : mantissa.Length) - 1;
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') { lead++; exp--; }
        digits = digits[lead..].TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        var sb = new StringBuilder(value < 0 ? "-" : "");
        if (exp < -4 || exp >= 16)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(exp < 0 ? '-' : '+').Append(Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (exp < 0) sb.Append("0.").Append('0', -exp - 1).Append(digits);
        else if (digits.Length <= exp + 1) sb.Append(digits).Append('0', exp + 1 - digits.Length).Append(".0");
        else sb.Append(digits, 0, exp + 1).Append('.').Append(digits, exp + 1, digits.Length - exp - 1);
        return sb.ToString();
    }
}
