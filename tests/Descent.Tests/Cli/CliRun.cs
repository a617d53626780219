using System.Text.Json;
using Descent.Cli;
using Xunit;

namespace Descent.Tests.Cli;

/// <summary>Runs the <c>descent</c> command in-process and keeps what it wrote.</summary>
public sealed record CliResult(int Code, string Out, string Err)
{
    public JsonElement Json => JsonDocument.Parse(Out).RootElement;

    /// <summary>Asserts a failure reported the way the contract says: the exit status, one line on stderr, no stack trace.</summary>
    public void AssertFailure(int code, params string[] fragments)
    {
        Assert.True(Code == code, $"exit {Code}, expected {code}; stderr: {Err}; stdout: {Out}");
        var lines = Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one error line, got: {Err}");
        Assert.StartsWith("descent: ", lines[0]);
        Assert.DoesNotContain("   at ", Err);
        Assert.DoesNotContain("Exception", Err);
        foreach (var f in fragments) Assert.Contains(f, lines[0]);
    }
}

/// <summary>A scratch folder per test class, with the shared data sets at hand.</summary>
public sealed class CliFolder : IDisposable
{
    public CliFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), "descent-cli-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static string Apples => Fixture("apples_oranges.csv");

    public static string Linnerud => Fixture("linnerud.csv");

    public string File(string name) => Path.Combine(Root, name);

    public string Write(string name, string content)
    {
        var path = File(name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    public string Write(string name, byte[] content)
    {
        var path = File(name);
        System.IO.File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>The files in the folder other than those the test wrote as input.</summary>
    public string[] Outputs(params string[] inputs) =>
        [.. Directory.GetFiles(Root).Select(Path.GetFileName).Where(n => !inputs.Contains(n)).Select(n => n!)];

    public static CliResult Run(params string[] args) => Run(CancellationToken.None, args);

    public static CliResult Run(CancellationToken cancel, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr, cancel);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
