using Descent.Cli;
using Descent.Cli.Commands;
using Xunit;

namespace Descent.Tests.Cli;

/// <summary>Output options: they never replace an input or each other, and their failures name the user's path and option.</summary>
public sealed class OutputFileTests : IDisposable
{
    private readonly CliFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Model()
    {
        var path = _folder.File("model.safetensors");
        Assert.Equal(0, CliFolder.Run("solve", "--data", CliFolder.Apples, "--target", "apples,oranges", "--save", path).Code);
        return path;
    }

    [Fact]
    public void AnOutputNeverOverwritesAnInput()
    {
        var data = _folder.Write("data.csv", File.ReadAllText(CliFolder.Apples));
        var model = Model();
        // Another spelling of the same file: paths are compared in full.
        var sameData = Path.Combine(_folder.Root, ".", "sub", "..", "data.csv");
        Directory.CreateDirectory(_folder.File("sub"));
        var cases = new (string[] Args, string Output, string Input)[]
        {
            (["train", "--data", data, "--target", "apples,oranges", "--save", sameData], "--save", "--data"),
            (["train", "--data", data, "--target", "apples,oranges", "--log", data], "--log", "--data"),
            (["train", "--data", data, "--target", "apples,oranges", "--plot", data], "--plot", "--data"),
            (["train", "--data", data, "--target", "apples,oranges", "--init", model, "--log", model], "--log", "--init"),
            (["solve", "--data", data, "--target", "apples,oranges", "--save", data], "--save", "--data"),
            (["predict", "--model", model, "--data", data, "--out", data], "--out", "--data"),
            (["predict", "--model", model, "--data", data, "--out", model], "--out", "--model"),
        };
        var before = (File.ReadAllBytes(data), File.ReadAllBytes(model));
        foreach (var (args, output, input) in cases)
        {
            var r = CliFolder.Run(args);
            r.AssertFailure(2, $"{output} and {input} name the same file");
            Assert.Equal("", r.Out);
            Assert.Equal(before.Item1, File.ReadAllBytes(data));
            Assert.Equal(before.Item2, File.ReadAllBytes(model));
        }
        Assert.Empty(_folder.Outputs("data.csv", "model.safetensors"));
    }

    /// <summary>
    /// A model or plot whose name announces another format is refused before any training, and nothing is written;
    /// a plot is written in the format its name ends in.
    /// </summary>
    [Fact]
    public void OutputsAreWrittenInTheFormatTheirNamesAnnounce()
    {
        var cases = new (string[] Args, string Message)[]
        {
            (["train", "--data", CliFolder.Apples, "--target", "apples,oranges", "--save", _folder.File("model.csv")], "end the file name in .safetensors, e.g. model.safetensors"),
            (["train", "--data", CliFolder.Apples, "--target", "apples,oranges", "--save", _folder.File("model.pt")], "--save"),
            (["solve", "--data", CliFolder.Apples, "--target", "apples,oranges", "--save", _folder.File("fit")], "--save"),
            (["train", "--data", CliFolder.Apples, "--target", "apples,oranges", "--plot", _folder.File("loss.gif")], "e.g. loss.png"),
        };
        foreach (var (args, message) in cases)
        {
            var r = CliFolder.Run(args);
            r.AssertFailure(2, message);
            Assert.Equal("", r.Out);
        }
        Assert.Empty(_folder.Outputs());

        byte[][] magic = [[0x89, (byte)'P', (byte)'N', (byte)'G'], [0xFF, 0xD8, 0xFF], [(byte)'B', (byte)'M'], [(byte)'R', (byte)'I', (byte)'F', (byte)'F'], [(byte)'<', (byte)'?', (byte)'x', (byte)'m', (byte)'l']];
        string[] names = ["loss.PNG", "loss.jpg", "loss.bmp", "loss.webp", "loss.svg"];
        for (int i = 0; i < names.Length; i++)
        {
            var path = _folder.File(names[i]);
            LossPlot.Save(path, [2.0, 1.0], null, 0.5, "title");
            Assert.Equal(magic[i], File.ReadAllBytes(path)[..magic[i].Length]);
        }
    }

    [Fact]
    public void AnOutputNeverOverwritesAnInputThroughASymbolicLink()
    {
        if (OperatingSystem.IsWindows()) return; // creating links there needs a privilege
        var data = _folder.Write("data.csv", File.ReadAllText(CliFolder.Apples));
        var model = Model();
        var link = _folder.File("link.csv");
        File.CreateSymbolicLink(link, data);
        var folderLink = _folder.File("linked");
        Directory.CreateSymbolicLink(folderLink, _folder.Root);
        var before = File.ReadAllBytes(data);
        foreach (var (input, output) in new[] { (link, data), (data, link), (data, Path.Combine(folderLink, "data.csv")) })
        {
            var r = CliFolder.Run("predict", "--model", model, "--data", input, "--out", output);
            r.AssertFailure(2, "--out and --data name the same file");
            Assert.Equal(before, File.ReadAllBytes(data));
        }
    }

    [Fact]
    public void SaveMayReplaceTheInitModelToTrainItFurther()
    {
        var model = Model();
        var before = File.ReadAllBytes(model);
        var r = CliFolder.Run("train", "--data", CliFolder.Apples, "--target", "apples,oranges", "--init", model, "--save", model, "--epochs", "3", "--quiet");
        Assert.Equal(0, r.Code);
        Assert.NotEqual(before, File.ReadAllBytes(model));
        Assert.Equal(0, CliFolder.Run("predict", "--model", model, "--data", CliFolder.Apples).Code);
    }

    [Fact]
    public void TwoOutputsNeverShareAFile()
    {
        var log = _folder.File("out.csv");
        var r = CliFolder.Run("train", "--data", CliFolder.Apples, "--target", "apples,oranges", "--log", log, "--plot", log);
        r.AssertFailure(2, "--log and --plot name the same file");
        Assert.False(File.Exists(log));
    }

    [Fact]
    public void AFolderRemovedDuringTrainingIsReportedWithTheUsersPath()
    {
        var sub = _folder.File("sub");
        Directory.CreateDirectory(sub);
        var log = Path.Combine(sub, "log.csv");
        TrainCommand.AfterBatch = _ => Directory.Delete(sub, recursive: true);
        CliResult r;
        try
        {
            r = CliFolder.Run("train", "--data", CliFolder.Apples, "--target", "apples,oranges", "--epochs", "1", "--log", log);
        }
        finally
        {
            TrainCommand.AfterBatch = null;
        }
        r.AssertFailure(1, $"{log}: cannot write the loss log: the folder '{sub}' does not exist (--log)");
        Assert.DoesNotContain(".tmp", r.Err);
    }

    [Fact]
    public void EveryWriterNamesTheUsersPathAndOption()
    {
        var missing = Path.Combine(_folder.Root, "gone", "x");
        var taken = _folder.File("taken");
        Directory.CreateDirectory(taken);
        var model = new LinearModel(new double[,] { { 1 } }, [0], new[] { "a" }, new[] { "y" });
        var writers = new (string Option, string What, Action<string> Write)[]
        {
            ("--save", "the model", path => model.Save(path, new Dictionary<string, string>())),
            ("--plot", "the plot", path => LossPlot.Save(path, [2.0, 1.0], null, 0.5, "title")),
            ("--log", "the loss log", path => OutputFile.WriteText(path, "--log", "the loss log", "epoch,loss\n")),
            ("--out", "the predictions", path => OutputFile.WriteText(path, "--out", "the predictions", "y\n")),
        };
        foreach (var (option, what, write) in writers)
        {
            var gone = Assert.Throws<CliException>(() => write(missing));
            Assert.Equal($"{missing}: cannot write {what}: the folder '{Path.GetDirectoryName(missing)}' does not exist ({option})", gone.Message);
            // A folder where the file should go: the system's reason, with the user's path in it.
            var folder = Assert.Throws<CliException>(() => write(taken));
            Assert.StartsWith($"{taken}: cannot write {what}: ", folder.Message);
            Assert.EndsWith($"({option})", folder.Message);
            Assert.DoesNotContain(".tmp", folder.Message);
        }
        Assert.Equal(["taken"], Directory.GetFileSystemEntries(_folder.Root).Select(Path.GetFileName));
    }
}
