namespace Descent.IO;

/// <summary>
/// The base of the exceptions thrown when a file cannot be read because its content is malformed (as opposed to
/// missing or unreadable, which stay plain <see cref="IOException"/>s). It derives from <see cref="IOException"/>, so
/// code that reports any failure to load a file can catch that one type. The message starts with the file name.
/// </summary>
public abstract class DataFormatException : IOException
{
    /// <summary>Creates the exception for <paramref name="fileName"/>: <paramref name="problem"/> is what is wrong, <paramref name="message"/> the full message.</summary>
    protected DataFormatException(string fileName, string problem, string message, Exception? inner)
        : base(message, inner)
    {
        FileName = fileName;
        Problem = problem;
    }

    /// <summary>The path of the file as given, or the name given for a stream or text.</summary>
    public string FileName { get; }

    /// <summary>What is wrong, without the file name or position.</summary>
    public string Problem { get; }
}

/// <summary>
/// Thrown when a safetensors file is malformed: the message names the file and what is wrong with it, for example
/// <c>model.safetensors: tensor 'weight' has data_offsets [0, 20] (20 bytes) but F32 shape [2, 3] needs 24 bytes</c>.
/// Nothing read from a file is trusted before it is checked, so a truncated, corrupt or hostile file raises this
/// exception and no other.
/// </summary>
public sealed class SafetensorsFormatException : DataFormatException
{
    /// <summary>Creates the exception for <paramref name="fileName"/> with the problem found in it.</summary>
    public SafetensorsFormatException(string fileName, string problem, Exception? inner = null)
        : base(fileName, problem, $"{fileName}: {problem}", inner)
    {
    }
}

/// <summary>
/// Thrown when a <c>.npy</c> or <c>.npz</c> file is malformed or holds an array Descent cannot represent: the message
/// names the file (and the archive member for <c>.npz</c>) and the problem, for example
/// <c>x.npy: unsupported dtype '&lt;f2'</c>. A truncated, corrupt or hostile file raises this exception and no other.
/// </summary>
public sealed class NpyFormatException : DataFormatException
{
    /// <summary>Creates the exception for <paramref name="fileName"/> with the problem found in it.</summary>
    public NpyFormatException(string fileName, string problem, Exception? inner = null)
        : base(fileName, problem, $"{fileName}: {problem}", inner)
    {
    }
}

/// <summary>
/// Thrown when a CSV file cannot be loaded into tensors. The message names the file and, where there is one, the
/// line and column of the problem, for example
/// <c>data.csv: line 4, column 2 ('rainfall'): 'abc' is not a number</c>.
/// </summary>
public sealed class CsvFormatException : DataFormatException
{
    /// <summary>Creates the exception; <paramref name="line"/> and <paramref name="column"/> are 1-based, or null when the problem has no position.</summary>
    public CsvFormatException(string fileName, string problem, int? line = null, int? column = null, string? columnName = null)
        : base(fileName, problem, Format(fileName, problem, line, column, columnName), null)
    {
        Line = line;
        Column = column;
        ColumnName = columnName;
    }


    /// <summary>The 1-based line where the offending row starts (the header is line 1), or null.</summary>
    public int? Line { get; }

    /// <summary>The 1-based column of the offending value, or null.</summary>
    public int? Column { get; }

    /// <summary>The header name of the offending column, or null.</summary>
    public string? ColumnName { get; }

    private static string Format(string fileName, string problem, int? line, int? column, string? columnName)
    {
        var where = line is null ? "" : column is null ? $" line {line}:" : columnName is null
            ? $" line {line}, column {column}:" : $" line {line}, column {column} ('{columnName}'):";
        return $"{fileName}:{where} {problem}";
    }
}
