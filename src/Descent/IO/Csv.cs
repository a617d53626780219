using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using nietras.SeparatedValues;

namespace Descent.IO;

/// <summary>
/// Loads CSV files with a header row into feature and target tensors, picking columns by name (the lesson's
/// <c>pd.read_csv</c> followed by <c>torch.tensor(df[cols].values)</c>).
/// </summary>
/// <remarks>
/// <para>Format: the first non-blank line is the header; fields are separated by <see cref="CsvOptions.Separator"/>;
/// a field may be quoted with <c>"</c>, with <c>""</c> for a quote inside; header names are trimmed of surrounding
/// whitespace; blank lines are skipped. Numbers are parsed with the invariant culture (a <c>.</c> decimal point,
/// optional exponent, no thousands separators), rounded once to the target dtype.</para>
/// <para>Every problem is a <see cref="CsvFormatException"/> naming the file and, where there is one, the line and
/// column: an empty file, a header with no data rows, binary content, a duplicate header name, an unknown column, a
/// row with more or fewer fields than the header, an unterminated quote, an empty value, a value that is not a
/// number, and (unless <see cref="CsvOptions.AllowNonFinite"/>) NaN, infinities and values outside the dtype's range.</para>
/// </remarks>
public static class Csv
{
    /// <summary>Loads the CSV file at <paramref name="path"/> with <paramref name="targets"/> as targets and every other column as a feature.</summary>
    /// <exception cref="CsvFormatException">The file cannot be loaded; the message names the line and column.</exception>
    public static CsvData Load(string path, params string[] targets) => Load(path, new CsvOptions { Targets = targets });

    /// <summary>Loads the CSV file at <paramref name="path"/> as <paramref name="options"/> say.</summary>
    /// <exception cref="CsvFormatException">The file cannot be loaded; the message names the line and column.</exception>
    public static CsvData Load(string path, CsvOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        return Read(o => o.FromFile(path), options, path);
    }

    /// <summary>Loads CSV <paramref name="text"/> (for example an embedded resource); <paramref name="name"/> is used in error messages.</summary>
    /// <exception cref="CsvFormatException">The text cannot be loaded; the message names the line and column.</exception>
    public static CsvData Parse(string text, CsvOptions options, string name = "<text>")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(options);
        return Read(o => o.FromText(text), options, name);
    }

    /// <summary>Loads CSV text from <paramref name="textReader"/>; <paramref name="name"/> is used in error messages.</summary>
    /// <exception cref="CsvFormatException">The text cannot be loaded; the message names the line and column.</exception>
    public static CsvData Read(TextReader textReader, CsvOptions options, string name = "<reader>")
    {
        ArgumentNullException.ThrowIfNull(textReader);
        ArgumentNullException.ThrowIfNull(options);
        return Read(o => o.From(textReader), options, name);
    }

    /// <summary>Loads UTF-8 CSV text from <paramref name="stream"/>; <paramref name="name"/> is used in error messages.</summary>
    /// <exception cref="CsvFormatException">The text cannot be loaded; the message names the line and column.</exception>
    public static CsvData Read(Stream stream, CsvOptions options, string name = "<stream>")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        return Read(o => o.From(stream), options, name);
    }

    /// <summary>
    /// The column names in the header of the CSV file at <paramref name="path"/>, as <see cref="Load(string, CsvOptions)"/>
    /// reads them (unquoted, trimmed), without reading the data rows (pandas' <c>read_csv(path, nrows=0).columns</c>).
    /// </summary>
    /// <exception cref="CsvFormatException">The file is empty, or its header is malformed or names a column twice.</exception>
    public static IReadOnlyList<string> ReadHeader(string path, char separator = ',')
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var sep = Reader(new CsvOptions { Separator = separator });
        try
        {
            // Sep reads the first row while it opens the file, so opening is inside the try too.
            using var reader = sep.FromFile(path);
            foreach (var row in reader)
                if (CheckRow(row, path, null) is { } line) return Header(row, path, line);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            throw new CsvFormatException(path, $"cannot be read as CSV: {e.Message}");
        }
        throw new CsvFormatException(path, "the file is empty: expected a header row");
    }

    // The header is read as an ordinary row so that this code, not Sep, reports duplicate names; quotes are
    // removed here too, so that an unterminated quote is reported as such rather than as a strange value.
    private static SepReaderOptions Reader(CsvOptions options)
    {
        if (options.DType is not (DType.Float32 or DType.Float64))
            throw new ArgumentException($"Csv: DType must be Float32 or Float64, not {options.DType.Name()}", nameof(options));
        // A quote or a line break cannot separate fields, and a character numbers are written with would split them.
        char c = options.Separator;
        if (c is '"' or '\n' or '\r' or '\0' or '.' or '-' or '+' or 'e' or 'E' || char.IsAsciiDigit(c))
            throw new ArgumentException($"Csv: the separator cannot be U+{(int)c:X4}{(char.IsControl(c) ? "" : $" ('{c}')")}: it is a quote, a line break or part of how numbers are written; use ',', ';', '\\t' or '|'", nameof(options));
        return Sep.New(options.Separator).Reader(o => o with { HasHeader = false, DisableColCountCheck = true });
    }

    // Sep reads the first row while it opens the source, so a first row it cannot take (longer than 16 Mi characters,
    // a quote never closed) fails in open: that is inside the try too.
    private static CsvData Read(Func<SepReaderOptions, SepReader> open, CsvOptions options, string name)
    {
        var sep = Reader(options);
        try
        {
            using var reader = open(sep);
            return options.DType == DType.Float64 ? Read<double>(reader, options, name) : Read<float>(reader, options, name);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            throw new CsvFormatException(name, $"cannot be read as CSV: {e.Message}");
        }
    }

    private static CsvData Read<T>(SepReader reader, CsvOptions options, string name) where T : unmanaged
    {
        string[]? header = null;
        int[] featureCols = [], targetCols = [];
        var features = new List<T>();
        var targets = new List<T>();
        int rows = 0;
        foreach (var row in reader)
        {
            if (CheckRow(row, name, header) is not { } line) continue;
            if (header is null)
            {
                header = Header(row, name, line);
                (featureCols, targetCols) = Select(header, options, name, line);
                continue;
            }
            if (row.ColCount != header.Length)
                throw new CsvFormatException(name, $"the row has {row.ColCount} fields but the header has {header.Length}", line);
            foreach (int c in featureCols) features.Add(Value<T>(row[c].Span, options, name, line, c, header));
            foreach (int c in targetCols) targets.Add(Value<T>(row[c].Span, options, name, line, c, header));
            rows++;
        }
        if (header is null) throw new CsvFormatException(name, "the file is empty: expected a header row and data rows");
        if (rows == 0) throw new CsvFormatException(name, "the file has a header row but no data rows");
        return new CsvData(
            Tensor.FromSpan<T>(CollectionsMarshal.AsSpan(features), rows, featureCols.Length),
            Tensor.FromSpan<T>(CollectionsMarshal.AsSpan(targets), rows, targetCols.Length),
            [.. featureCols.Select(c => header[c])],
            [.. targetCols.Select(c => header[c])]);
    }

    /// <summary>The line a row starts on once its fields are checked for binary content and quotes; null for a blank line.</summary>
    private static int? CheckRow(SepReader.Row row, string name, string[]? header)
    {
        if (row.ColCount == 1 && Raw(row, 0).IsWhiteSpace()) return null;
        // Sep reports the first row's start as the line after it when HasHeader is off; it always starts on line 1.
        int line = row.RowIndex == 0 ? 1 : row.LineNumberFrom;
        for (int c = 0; c < row.ColCount; c++) CheckText(Raw(row, c), name, line, c, header);
        for (int c = 0; c < row.ColCount; c++) CheckQuotes(Raw(row, c), name, line, c, header);
        return line;
    }

    private static string[] Header(SepReader.Row row, string name, int line)
    {
        var header = new string[row.ColCount];
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < header.Length; c++)
        {
            var col = Unquote(Raw(row, c)).Trim().ToString();
            if (!seen.TryAdd(col, c))
                throw new CsvFormatException(name, $"the header names column '{col}' twice (columns {seen[col] + 1} and {c + 1})", line, c + 1, col);
            header[c] = col;
        }
        return header;
    }

    /// <summary>A field as written, without the byte order mark that text decoded without BOM detection may start with.</summary>
    private static ReadOnlySpan<char> Raw(SepReader.Row row, int col)
    {
        var span = row[col].Span;
        return row.RowIndex == 0 && col == 0 && span.StartsWith('\uFEFF') ? span[1..] : span;
    }

    private static (int[] Features, int[] Targets) Select(string[] header, CsvOptions options, string name, int line)
    {
        var targets = Resolve(header, options.Targets, "target", options.Separator, name, line);
        int[] features;
        if (options.Features is null)
        {
            features = [.. Enumerable.Range(0, header.Length).Where(c => !targets.Contains(c))];
            // A feature with no name cannot be told apart in a saved model; an unnamed first column is most often
            // the row index that pandas' to_csv writes, which would be learnt from as if it were data.
            foreach (int c in features)
                if (header[c].Length == 0)
                    throw new CsvFormatException(name, $"column {c + 1} has no name in the header, so it cannot be a feature" +
                        (c == 0 ? " (a nameless first column is usually the row index pandas writes: save with to_csv(index=False))" : "") +
                        "; name it, or choose the feature columns by name", line, c + 1);
        }
        else
        {
            features = Resolve(header, options.Features, "feature", options.Separator, name, line);
            foreach (int c in features)
                if (targets.Contains(c)) throw new CsvFormatException(name, $"column '{header[c]}' is asked for as both a feature and a target", line);
        }
        return (features, targets);
    }

    private static int[] Resolve(string[] header, IReadOnlyList<string> names, string role, char separator, string name, int line)
    {
        var cols = new int[names.Count];
        for (int i = 0; i < cols.Length; i++)
        {
            cols[i] = Array.IndexOf(header, names[i]);
            if (cols[i] < 0)
                throw new CsvFormatException(name, $"there is no {role} column '{names[i]}'; the header has {string.Join(", ", header.Select(h => $"'{h}'"))}{MissingHint(header, names[i], separator)}", line);
            if (Array.IndexOf(cols, cols[i], 0, i) >= 0)
                throw new CsvFormatException(name, $"{role} column '{names[i]}' is asked for twice", line);
        }
        return cols;
    }

    /// <summary>The two usual reasons a named column is not found: another case, or a file with another separator.</summary>
    private static string MissingHint(string[] header, string wanted, char separator)
    {
        var other = Array.Find(header, h => string.Equals(h, wanted, StringComparison.OrdinalIgnoreCase));
        if (other is not null) return $" (names are case-sensitive: the file's column is '{other}')";
        if (header.Length == 1)
            foreach (char c in ",;\t|")
                if (c != separator && header[0].Contains(c, StringComparison.Ordinal))
                    return $" (the header is one column: the file seems to be separated by {Name(c)}, not {Name(separator)})";
        return "";

        static string Name(char c) => c == '\t' ? "tabs" : $"'{c}'";
    }

    private static T Value<T>(ReadOnlySpan<char> raw, CsvOptions options, string name, int line, int col, string[] header) where T : unmanaged
    {
        var text = Unquote(raw);
        if (text.IsWhiteSpace())
            throw new CsvFormatException(name, "the value is empty", line, col + 1, header[col]);
        bool ok;
        double wide = 0;
        T value;
        if (typeof(T) == typeof(float))
        {
            ok = float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) || TryInfinity(text, out f);
            if (ok && !float.IsFinite(f)) wide = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : f;
            else wide = f;
            value = (T)(object)f;
        }
        else
        {
            ok = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out wide) || TryInfinity(text, out wide);
            value = (T)(object)wide;
        }
        if (!ok)
            throw new CsvFormatException(name, $"{Show(text)} is not a number", line, col + 1, header[col]);
        // Digits that overflow (1e39 in float32, 1e400 in either) are out of range; NaN and inf are words.
        if (!options.AllowNonFinite && !double.IsFinite(typeof(T) == typeof(float) ? (double)(float)(object)value : wide))
            throw new CsvFormatException(name, text.ContainsAnyInRange('0', '9')
                ? $"{Show(text)} is outside the range of {options.DType.Name()} (set AllowNonFinite to accept it as infinity)"
                : $"{Show(text)} is not a finite number (set AllowNonFinite to accept NaN and infinities)", line, col + 1, header[col]);
        return value;
    }

    /// <summary>
    /// <c>inf</c>, <c>+inf</c> and <c>-inf</c> in any case, as NumPy and pandas write infinities; .NET's parser reads
    /// <c>Infinity</c> and <c>NaN</c> but not these.
    /// </summary>
    private static bool TryInfinity<T>(ReadOnlySpan<char> text, out T value) where T : IFloatingPointIeee754<T>
    {
        var t = text.Trim();
        bool negative = t.StartsWith('-');
        if (negative || t.StartsWith('+')) t = t[1..];
        value = negative ? T.NegativeInfinity : T.PositiveInfinity;
        return t.Equals("inf", StringComparison.OrdinalIgnoreCase);
    }

    // Control characters other than tabs and line breaks, and U+FFFD (what undecodable bytes become).
    private static readonly SearchValues<char> NotText = SearchValues.Create(
        [.. Enumerable.Range(0, 32).Where(c => c is not ('\t' or '\n' or '\r')).Select(c => (char)c), '\u007F', '\uFFFD']);

    private static void CheckText(ReadOnlySpan<char> raw, string name, int line, int col, string[]? header)
    {
        int i = raw.IndexOfAny(NotText);
        if (i < 0) return;
        // Undecodable bytes are most often text saved in a legacy encoding (Latin-1, Windows-1252): say how to fix that.
        var problem = raw[i] == '\uFFFD'
            ? "the field holds bytes that are not UTF-8 text; this does not look like a text CSV file, or it is text in another encoding such as Latin-1: save it as UTF-8"
            : $"the field holds control character U+{(int)raw[i]:X4}; this does not look like a text CSV file";
        var colName = header is not null && col < header.Length ? header[col] : null;
        throw new CsvFormatException(name, problem, line, col + 1, colName);
    }

    private static void CheckQuotes(ReadOnlySpan<char> raw, string name, int line, int col, string[]? header)
    {
        int q = raw.IndexOf('"');
        if (q < 0) return;
        var colName = header is not null && col < header.Length ? header[col] : null;
        if (q > 0)
            throw new CsvFormatException(name, $"a quote appears inside the unquoted field {Show(raw)}; quote the whole field and double inner quotes", line, col + 1, colName);
        for (int i = 1; i < raw.Length; i++)
        {
            if (raw[i] != '"') continue;
            if (i + 1 < raw.Length && raw[i + 1] == '"')
            {
                i++;
                continue;
            }
            if (i != raw.Length - 1)
                throw new CsvFormatException(name, $"text follows the closing quote in {Show(raw)}", line, col + 1, colName);
            return;
        }
        throw new CsvFormatException(name, "a quoted field is never closed (its closing quote is missing)", line, col + 1, colName);
    }

    /// <summary>The content of a field whose quotes <see cref="CheckQuotes"/> accepted.</summary>
    private static ReadOnlySpan<char> Unquote(ReadOnlySpan<char> raw)
    {
        if (raw.Length < 2 || raw[0] != '"') return raw;
        var inner = raw[1..^1];
        return inner.Contains("\"\"", StringComparison.Ordinal) ? inner.ToString().Replace("\"\"", "\"", StringComparison.Ordinal) : inner;
    }

    private static string Show(ReadOnlySpan<char> text)
    {
        var sb = new StringBuilder("'");
        foreach (char c in text.Length > 40 ? text[..40] : text)
            sb.Append(char.IsControl(c) || c == '\uFFFD' ? $"\\u{(int)c:X4}" : c);
        if (text.Length > 40) sb.Append("...");
        return sb.Append('\'').ToString();
    }
}
