using Xunit;

namespace Descent.Tests.Cli;

public sealed class UsageTests
{
    public static TheoryData<string[], string> UsageErrors() => new()
    {
        { [], "command" },
        { ["fit"], "fit" },
        { ["train", "--target", "apples"], "--data" },
        { ["train", "--data", "x.csv"], "--target" },
        { ["train", "--data", "x.csv", "--target", "a", "--optimizer", "rmsprop"], "--optimizer" },
        { ["train", "--data", "x.csv", "--target", "a", "--epochs", "many"], "--epochs" },
        { ["train", "--data", "x.csv", "--target", "a", "--epochs", "0"], "--epochs" },
        { ["train", "--data", "x.csv", "--target", "a", "--lr", "-0.1"], "--lr" },
        { ["train", "--data", "x.csv", "--target", "a", "--lr", "NaN"], "--lr" },
        { ["train", "--data", "x.csv", "--target", "a", "--batch-size", "0"], "--batch-size" },
        { ["train", "--data", "x.csv", "--target", "a", "--val-split", "1"], "--val-split" },
        { ["train", "--data", "x.csv", "--target", "a", "--momentum", "-1", "--optimizer", "sgd"], "--momentum" },
        { ["train", "--data", "x.csv", "--target", "a", "--momentum", "0.9"], "--momentum" },
        { ["train", "--data", "x.csv", "--target", "a", "--weight-decay", "-1"], "--weight-decay" },
        { ["train", "--data", "x.csv", "--target", "a", "--optimizer", "sgd", "--nesterov"], "--nesterov" },
        { ["train", "--data", "x.csv", "--target", "a", "--shuffle", "--no-shuffle"], "--no-shuffle" },
        { ["train", "--data", "x.csv", "--target", "a", "--standardize", "--no-standardize"], "--no-standardize" },
        { ["train", "--data", "x.csv", "--target", "a,,b"], "--target" },
        { ["train", "--data", "x.csv", "--target", "a", "--bogus"], "--bogus" },
        { ["predict", "--data", "x.csv"], "--model" },
        { ["evaluate", "--model", "m.safetensors"], "--data" },
        { ["solve", "--data", "x.csv"], "--target" },
        { ["demo", "extra"], "extra" },
        // An empty file name, as an unset shell variable gives: named, not an internal ArgumentException.
        { ["train", "--data", "x.csv", "--target", "a", "--save", ""], "--save needs a file name, got ''" },
        { ["train", "--data", "x.csv", "--target", "a", "--log", ""], "--log needs a file name" },
        { ["train", "--data", "x.csv", "--target", "a", "--plot", " "], "--plot needs a file name" },
        { ["solve", "--data", "x.csv", "--target", "a", "--save", ""], "--save needs a file name" },
        { ["predict", "--model", "m.safetensors", "--data", "x.csv", "--out", ""], "--out needs a file name" },
        { ["solve", "--data", "", "--target", "a"], "--data needs a file name" },
        { ["evaluate", "--model", "", "--data", "x.csv"], "--model needs a file name" },
        { ["train", "--data", CliFolder.Apples, "--target", "apples", "--init", ""], "--init needs a file name" },
    };

    [Theory]
    [MemberData(nameof(UsageErrors))]
    public void UsageErrorsExitWithTwoAndOneLine(string[] args, string named)
    {
        var r = CliFolder.Run(args);
        r.AssertFailure(2, named);
        Assert.Equal("", r.Out);
    }

    [Theory]
    [InlineData("--lr", "0,01", "'0,01' is not a number; write decimals with a dot: 0.01")]
    [InlineData("--momentum", "0,9", "write decimals with a dot: 0.9")]
    [InlineData("--weight-decay", "1,5e-4", "write decimals with a dot: 1.5e-4")]
    [InlineData("--val-split", "0,2", "write decimals with a dot: 0.2")]
    [InlineData("--lr", "fast", "'fast' is not a number")]
    [InlineData("--epochs", "many", "'many' is not a whole number")]
    [InlineData("--batch-size", "2.5", "'2.5' is not a whole number")]
    [InlineData("--seed", "x", "'x' is not a whole number")]
    [InlineData("--epochs", "99999999999", "'99999999999' is above the range of this option (at most 2147483647)")]
    [InlineData("--seed", "-99999999999999999999", "is below the range of this option (at least -9223372036854775808)")]
    public void BadNumbersSayWhatWasExpected(string option, string value, string message)
    {
        // A decimal comma was read as a thousands separator: --lr 0,01 trained with a learning rate of 1.
        var r = CliFolder.Run("train", "--data", "x.csv", "--target", "a", "--optimizer", "sgd", option, value);
        r.AssertFailure(2, $"{option}: '{value}'", message);
        Assert.DoesNotContain("System.", r.Err);
    }

    [Theory]
    [InlineData("train")]
    [InlineData("predict")]
    [InlineData("evaluate")]
    [InlineData("solve")]
    [InlineData("demo")]
    public void EveryCommandHasHelp(string command)
    {
        var r = CliFolder.Run(command, "--help");
        Assert.Equal(0, r.Code);
        Assert.Contains("Usage:", r.Out);
        Assert.Contains(command, r.Out);
    }

    [Fact]
    public void RootHelpListsTheCommands()
    {
        var r = CliFolder.Run("--help");
        Assert.Equal(0, r.Code);
        foreach (var c in new[] { "train", "predict", "evaluate", "solve", "demo" }) Assert.Contains(c, r.Out);
    }

    [Fact]
    public void VersionPrintsTheVersion()
    {
        var r = CliFolder.Run("--version");
        Assert.Equal(0, r.Code);
        Assert.Matches(@"^\d+\.\d+\.\d+", r.Out);
    }

    [Fact]
    public void MissingDataFileIsAFailedRunNamingTheFile()
    {
        var r = CliFolder.Run("solve", "--data", "no-such-file.csv", "--target", "a");
        r.AssertFailure(1, "no-such-file.csv", "--data");
    }
}
