using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace Descent.Tests.Docs;

/// <summary>
/// Keeps a Markdown document and the tests that run its code in step. Every fenced block of the document is
/// preceded by a marker line: <c>&lt;!-- snippet: name --&gt;</c> before a <c>```csharp</c> block, whose text
/// must equal the region between <c>// begin-snippet: name</c> and <c>// end-snippet</c> in a test source file,
/// or <c>&lt;!-- output: name --&gt;</c> before a <c>```text</c> block, which must equal what that snippet's
/// test wrote to the console (numbers compared to the precision they are printed with).
/// </summary>
public static partial class DocSnippets
{
    /// <summary>A fenced block of a Markdown document with the marker that names it.</summary>
    public sealed record Block(string Kind, string Name, string Language, string Text, int Line);

    /// <summary>The repository root: the nearest folder above the test binaries that holds Descent.slnx.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Descent.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no folder above {AppContext.BaseDirectory} holds Descent.slnx");
    }

    /// <summary>A file's text, by its path relative to the repository root, with line ends normalised.</summary>
    public static string ReadRepoFile(string relativePath) =>
        File.ReadAllText(Path.Combine(RepoRoot, relativePath)).ReplaceLineEndings("\n");

    /// <summary>The regions marked <c>// begin-snippet: name</c> ... <c>// end-snippet</c> in a source file, de-indented.</summary>
    public static Dictionary<string, string> ReadSnippets(string relativePath)
    {
        var snippets = new Dictionary<string, string>();
        var lines = ReadRepoFile(relativePath).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var begin = BeginSnippet().Match(lines[i]);
            if (!begin.Success) continue;
            string name = begin.Groups[1].Value;
            var body = new List<string>();
            int j = i + 1;
            for (; j < lines.Length && lines[j].Trim() != "// end-snippet"; j++)
            {
                Assert.False(BeginSnippet().IsMatch(lines[j]), $"{relativePath}:{j + 1}: snippet '{name}' is not closed before the next one begins");
                body.Add(lines[j]);
            }
            Assert.True(j < lines.Length, $"{relativePath}:{i + 1}: snippet '{name}' has no // end-snippet");
            Assert.True(snippets.TryAdd(name, Dedent(body)), $"{relativePath}:{i + 1}: snippet '{name}' is defined twice");
            i = j;
        }
        return snippets;
    }

    private static string Dedent(List<string> lines)
    {
        int indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..].TrimEnd() : l.Trim()));
    }

    /// <summary>
    /// The fenced blocks of a Markdown file. Throws when a fence has no marker, a marker no fence, or a marker's
    /// kind does not fit its fence's language: no code can hide in the document untested.
    /// </summary>
    public static List<Block> ReadBlocks(string relativePath)
    {
        var blocks = new List<Block>();
        var lines = ReadRepoFile(relativePath).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var marker = Marker().Match(lines[i]);
            if (lines[i].StartsWith("```", StringComparison.Ordinal))
                Assert.Fail($"{relativePath}:{i + 1}: a fenced block without a <!-- snippet: name --> or <!-- output: name --> marker line before it");
            if (!marker.Success) continue;
            string kind = marker.Groups[1].Value, name = marker.Groups[2].Value;
            string expectedFence = kind == "snippet" ? "```csharp" : "```text";
            Assert.True(i + 1 < lines.Length && lines[i + 1] == expectedFence,
                $"{relativePath}:{i + 1}: the {kind} marker '{name}' must be followed by a {expectedFence} line");
            var body = new List<string>();
            int j = i + 2;
            for (; j < lines.Length && lines[j] != "```"; j++) body.Add(lines[j]);
            Assert.True(j < lines.Length, $"{relativePath}:{i + 2}: the block '{name}' is not closed");
            blocks.Add(new Block(kind, name, expectedFence[3..], string.Join('\n', body), i + 1));
            i = j;
        }
        return blocks;
    }

    /// <summary>
    /// Asserts that <paramref name="actual"/> (what a snippet printed) equals <paramref name="expected"/> (what the
    /// document shows): the same words and layout, and every number equal to within one unit of the last digit the
    /// document prints, or one part in 10^5, so that the last bit of a float sum may differ between machines.
    /// </summary>
    public static void AssertSameOutput(string expected, string actual, string what)
    {
        string[] e = Tokens(expected), a = Tokens(actual);
        string context = $"{what}: the document shows\n{expected}\nbut the code printed\n{actual}";
        Assert.True(e.Length == a.Length, context);
        for (int i = 0; i < e.Length; i++)
        {
            bool eNum = TryNumber(e[i], out double ev, out double ulp), aNum = TryNumber(a[i], out double av, out _);
            if (eNum && aNum)
            {
                bool same = ev == av || double.IsNaN(ev) && double.IsNaN(av) || Math.Abs(ev - av) <= Math.Max(ulp, 1e-5 * Math.Abs(ev));
                Assert.True(same, $"{context}\n(number {i}: {e[i]} vs {a[i]})");
            }
            else Assert.True(e[i] == a[i], $"{context}\n(token {i}: '{e[i]}' vs '{a[i]}')");
        }
    }

    // Numbers, and runs of other non-space characters; whitespace only separates, so padding may change with a digit.
    private static string[] Tokens(string text) =>
        [.. TokenPattern().Matches(text.ReplaceLineEndings("\n").Trim()).Select(m => m.Value)];

    private static bool TryNumber(string token, out double value, out double ulp)
    {
        ulp = 0;
        if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return false;
        var m = NumberPattern().Match(token);
        int decimals = m.Groups[2].Success ? m.Groups[2].Value.Length - 1 : 0;
        int exponent = m.Groups[3].Success ? int.Parse(m.Groups[3].Value[1..], CultureInfo.InvariantCulture) : 0;
        ulp = Math.Pow(10, exponent - decimals);
        return true;
    }

    [GeneratedRegex(@"^\s*// begin-snippet: ([\w-]+)\s*$")]
    private static partial Regex BeginSnippet();

    [GeneratedRegex(@"^<!-- (snippet|output): ([\w-]+) -->$")]
    private static partial Regex Marker();

    [GeneratedRegex(@"-?\d+(\.\d*)?([eE][-+]?\d+)?|[^\s\d-]+|-")]
    private static partial Regex TokenPattern();

    [GeneratedRegex(@"^-?(\d+)(\.\d*)?([eE][-+]?\d+)?$")]
    private static partial Regex NumberPattern();
}

/// <summary>Redirects <see cref="Console.Out"/> into a buffer until disposed, so a test can read what a snippet printed.</summary>
public sealed class ConsoleCapture : IDisposable
{
    private readonly TextWriter _previous = Console.Out;
    private readonly StringWriter _buffer = new(new StringBuilder(), CultureInfo.InvariantCulture) { NewLine = "\n" };

    /// <summary>Starts capturing.</summary>
    public ConsoleCapture() => Console.SetOut(_buffer);

    /// <summary>Everything written so far.</summary>
    public string Text => _buffer.ToString();

    /// <summary>Restores the console.</summary>
    public void Dispose() => Console.SetOut(_previous);
}
