using System.Globalization;
using System.Text;

namespace Descent.IO;

/// <summary>
/// Parses the small subset of Python literal syntax that <c>.npy</c> headers use: a dict of string keys whose values
/// are strings, <c>True</c>/<c>False</c>/<c>None</c>, integers (with Python 2's <c>L</c> suffix) and nested
/// tuples or lists of these. Never evaluates anything. Errors are <see cref="FormatException"/>s.
/// </summary>
internal ref struct PythonLiteral
{
    private readonly ReadOnlySpan<char> _text;
    private int _pos;

    private PythonLiteral(ReadOnlySpan<char> text)
    {
        _text = text;
        _pos = 0;
    }

    /// <summary>Values: string, bool, null (None), long, or List&lt;object?&gt; for tuples and lists.</summary>
    public static Dictionary<string, object?> ParseDict(ReadOnlySpan<char> text)
    {
        var p = new PythonLiteral(text);
        var dict = p.Dict();
        p.SkipSpace();
        if (p._pos != p._text.Length) throw p.Error("unexpected text after the dictionary");
        return dict;
    }

    private Dictionary<string, object?> Dict()
    {
        SkipSpace();
        Take('{');
        var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
        while (true)
        {
            SkipSpace();
            if (Peek() == '}')
            {
                _pos++;
                return dict;
            }
            if (Peek() is not ('\'' or '"')) throw Error("expected a string key");
            var key = String();
            SkipSpace();
            Take(':');
            var value = Value(0);
            if (!dict.TryAdd(key, value)) throw Error($"key '{key}' appears twice");
            SkipSpace();
            if (Peek() == ',') _pos++;
            else if (Peek() != '}') throw Error("expected ',' or '}'");
        }
    }

    private object? Value(int depth)
    {
        if (depth > 16) throw Error("values are nested too deeply");
        SkipSpace();
        char c = Peek();
        if (c is '\'' or '"') return String();
        if (c is '(' or '[') return Sequence(c == '(' ? ')' : ']', depth);
        if (c is '-' or '+' || char.IsAsciiDigit(c)) return Integer();
        if (Word("True")) return true;
        if (Word("False")) return false;
        if (Word("None")) return null;
        throw Error($"unexpected {(c == '\0' ? "end of header" : $"character '{c}'")}");
    }

    private List<object?> Sequence(char close, int depth)
    {
        _pos++;
        var items = new List<object?>();
        while (true)
        {
            SkipSpace();
            if (Peek() == close)
            {
                _pos++;
                return items;
            }
            items.Add(Value(depth + 1));
            SkipSpace();
            if (Peek() == ',') _pos++;
            else if (Peek() != close) throw Error($"expected ',' or '{close}'");
        }
    }

    private long Integer()
    {
        int start = _pos;
        if (Peek() is '-' or '+') _pos++;
        if (!char.IsAsciiDigit(Peek())) throw Error("expected digits");
        while (char.IsAsciiDigit(Peek())) _pos++;
        var digits = _text[start.._pos];
        if (Peek() is 'L' or 'l') _pos++;
        if (!long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
            throw Error($"integer {digits} is too large");
        return v;
    }

    private string String()
    {
        char quote = _text[_pos++];
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length) throw Error("unterminated string");
            char c = _text[_pos++];
            if (c == quote) return sb.ToString();
            if (c == '\\')
            {
                if (_pos >= _text.Length) throw Error("unterminated string");
                c = _text[_pos++];
            }
            sb.Append(c);
        }
    }

    private bool Word(string word)
    {
        if (!_text[_pos..].StartsWith(word, StringComparison.Ordinal)) return false;
        int end = _pos + word.Length;
        if (end < _text.Length && (char.IsAsciiLetterOrDigit(_text[end]) || _text[end] == '_')) return false;
        _pos = end;
        return true;
    }

    private void Take(char c)
    {
        if (Peek() != c) throw Error($"expected '{c}'");
        _pos++;
    }

    private readonly char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    private void SkipSpace()
    {
        while (_pos < _text.Length && _text[_pos] is ' ' or '\t' or '\n' or '\r') _pos++;
    }

    private readonly FormatException Error(string what) => new($"{what} at character {_pos}");
}
