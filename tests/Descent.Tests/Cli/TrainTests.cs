using System.Globalization;
using System.Text;
using Descent.Cli.Commands;
using Descent.IO;
using Xunit;

namespace Descent.Tests.Cli;

public sealed class TrainTests : IDisposable
{
    private readonly CliFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string, string> SharedDataSets() => new()
    {
        { "apples_oranges.csv", "apples,oranges" },
        { "linnerud.csv", "weight,waist,pulse" },
    };

    [Theory]
    [MemberData(nameof(SharedDataSets))]
    public void DefaultsReachTheLeastSquaresOptimumWithinFivePercent(string file, string targets)
    {
        var data = CliFolder.Fixture(file);
        AssertDefaultsReachOptimum(data, targets);
    }

    [Theory]
    [InlineData(1, 15, 3, 2)]
    [InlineData(2, 20, 3, 3)]
    [InlineData(3, 40, 4, 1)]
    [InlineData(4, 12, 2, 2)]
    [InlineData(5, 100, 5, 2)]
    public void DefaultsReachTheOptimumOnSyntheticDataLikeTheSharedSets(int seed, int rows, int features, int targets)
    {
        // Yields-like data: integer features in the tens to a hundred or so, targets linear in them plus noise.
        var random = new Random(seed);
        var weights = new double[targets, features];
        for (int j = 0; j < targets; j++)
            for (int k = 0; k < features; k++) weights[j, k] = random.NextDouble() * 2 - 0.8;
        var csv = new StringBuilder();
        csv.AppendJoin(',', Enumerable.Range(0, features).Select(k => $"x{k}").Concat(Enumerable.Range(0, targets).Select(j => $"y{j}"))).Append('\n');
        for (int i = 0; i < rows; i++)
        {
            var x = Enumerable.Range(0, features).Select(k => Math.Round(30 + 20 * k + random.NextDouble() * 80)).ToArray();
            var y = Enumerable.Range(0, targets).Select(j => Math.Round(Enumerable.Range(0, features).Sum(k => weights[j, k] * x[k]) + 10 * j + random.NextDouble() * 12, 1));
            csv.AppendJoin(',', x.Concat(y).Select(v => v.ToString(CultureInfo.InvariantCulture))).Append('\n');
        }
        var path = _folder.Write("synthetic.csv", csv.ToString());
        AssertDefaultsReachOptimum(path, string.Join(',', Enumerable.Range(0, targets).Select(j => $"y{j}")));
    }

    [Fact]
    public void DefaultsReachTheOptimumWhenAFeatureIsInTinyUnits()
    {
        // a is in [0, 1e-12], as a length in metres might be for a physicist's data: it must be standardized like any other.
        var random = new Random(11);
        var csv = new StringBuilder("a,b,y\n");
        for (int i = 0; i < 40; i++)
        {
            double a = random.NextDouble() * 1e-12, b = random.NextDouble() * 10;
            double y = 3e12 * a + b + (random.NextDouble() - 0.5) * 0.01;
            csv.Append(CultureInfo.InvariantCulture, $"{a:R},{b:R},{y:R}\n");
        }
        AssertDefaultsReachOptimum(_folder.Write("tiny.csv", csv.ToString()), "y");
    }

    [Fact]
    public void AnExactFitIsReportedAsSuchNotAsAPercentage()
    {
        // Two rows and four features: the optimum is rounding error (about 1e-30), and a percentage of it is noise.
        var data = _folder.Write("exact.csv", "a,b,c,d,y\n1,2,3,4,5\n2,3,5,7,1\n");
        var train = CliFolder.Run("train", "--data", data, "--target", "y");
        Assert.True(train.Code == 0, train.Err);
        var line = train.Out.Split('\n').Single(l => l.StartsWith("training MSE", StringComparison.Ordinal));
        Assert.Contains("the features fit the targets exactly (up to rounding), so the gap is the training MSE itself", line);
        Assert.DoesNotContain("%", line);
        var solve = CliFolder.Run("solve", "--data", data, "--target", "y");
        Assert.True(solve.Code == 0, solve.Err);
        Assert.Contains("entries): the features fit the targets exactly (up to rounding)", solve.Out);
        Assert.DoesNotContain("can go lower", solve.Out);

        // Data that do not fit exactly keep the percentage and the floor.
        Assert.Matches(@"optimum [0-9.]+ \('descent solve'\), [+-][0-9]+\.[0-9]{2}%", CliFolder.Run("train", "--data", CliFolder.Apples, "--target", "apples,oranges").Out);
        Assert.Contains("no gradient-descent run on this data can go lower", CliFolder.Run("solve", "--data", CliFolder.Apples, "--target", "apples").Out);
    }

    private void AssertDefaultsReachOptimum(string data, string targets)
    {
        var solve = CliFolder.Run("solve", "--data", data, "--target", targets, "--json");
        Assert.True(solve.Code == 0, solve.Err);
        double optimum = solve.Json.GetProperty("mse").GetDouble();

        var model = _folder.File("default.safetensors");
        var train = CliFolder.Run("train", "--data", data, "--target", targets, "--json", "--save", model);
        Assert.True(train.Code == 0, train.Err);
        var summary = train.Json;
        double finalLoss = summary.GetProperty("final_loss").GetDouble();
        double trainMse = summary.GetProperty("train_mse").GetDouble();
        Assert.Equal(TrainCommand.DefaultEpochs, summary.GetProperty("epochs").GetInt32());
        Assert.Equal(optimum, summary.GetProperty("optimum_mse").GetDouble(), 1e-9 * optimum);
        Assert.InRange(finalLoss, optimum * 0.999, optimum * 1.05);
        Assert.InRange(trainMse, optimum * 0.999, optimum * 1.05);

        var evaluate = CliFolder.Run("evaluate", "--model", model, "--data", data, "--json");
        Assert.True(evaluate.Code == 0, evaluate.Err);
        Assert.Equal(trainMse, evaluate.Json.GetProperty("mse").GetDouble(), 1e-9 * trainMse);
    }

    [Fact]
    public void JsonSummaryHasHistoryWeightsAndTiming()
    {
        var r = CliFolder.Run("train", "--data", CliFolder.Apples, "--target", "apples,oranges", "--epochs", "7", "--json");
        Assert.Equal(0, r.Code);
        var s = r.Json;
        Assert.Equal("completed", s.GetProperty("outcome").GetString());
        Assert.Equal(7, s.GetProperty("epochs").GetInt32());
        Assert.Equal(7, s.GetProperty("loss_history").GetArrayLength());
        Assert.Equal(s.GetProperty("loss_history")[6].GetDouble(), s.GetProperty("final_loss").GetDouble());
        Assert.Equal(2, s.GetProperty("weight").GetArrayLength());
        Assert.Equal(3, s.GetProperty("weight")[0].GetArrayLength());
        Assert.Equal(["temp", "rainfall", "humidity"], s.GetProperty("features").EnumerateArray().Select(e => e.GetString()));
        Assert.True(s.GetProperty("seconds").GetDouble() >= 0);
        Assert.Equal("adam", s.GetProperty("settings").GetProperty("optimizer").GetString());
    }

    [Fact]
    public void PlainProgressLinesWhenNotOnATerminal()
    {
        var r = CliFolder.Run("train", "--data", CliFolder.Apples, "--target", "apples,oranges", "--epochs", "50", "--quiet");
        Assert.Equal(0, r.Code);
        var progress = r.Out.Split('\n').Where(l => l.StartsWith("epoch", StringComparison.Ordinal)).ToArray();
        Assert.Equal(11, progress.Length); // epoch 1, then every 5th
        Assert.StartsWith("epoch  1/50  loss ", progress[0]);
        Assert.StartsWith("epoch 50/50  loss ", progress[^1]);
        Assert.Contains("epochs/s", progress[^1]);
        Assert.Contains("least-squares optimum", r.Out);
    }

    [Fact]
    public void LogPlotAndSavedModelWithValidationSplit()
    {
        string log = _folder.File("log.csv"), plot = _folder.File("loss.png"), save = _folder.File("m.safetensors");
        var r = CliFolder.Run("train", "--data", CliFolder.Linnerud, "--target", "weight,waist,pulse", "--epochs", "30", "--val-split", "0.25",
            "--log", log, "--plot", plot, "--save", save);
        Assert.True(r.Code == 0, r.Err);

        var lines = File.ReadAllLines(log);
        Assert.Equal("epoch,loss,val_loss", lines[0]);
        Assert.Equal(31, lines.Length);
        Assert.All(lines.Skip(1).Select((l, i) => (l, i)), x => Assert.StartsWith($"{x.i + 1},", x.l));
        Assert.All(lines.Skip(1), l => Assert.True(double.IsFinite(double.Parse(l.Split(',')[2], CultureInfo.InvariantCulture))));

        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(plot)[..4]);

        var model = Safetensors.Load(save);
        Assert.Equal([3, 3], model["weight"].Shape.ToArray());
        Assert.Equal([3], model["bias"].Shape.ToArray());
        Assert.Equal("[\"chins\",\"situps\",\"jumps\"]", model.Metadata["features"]);
        Assert.Equal("[\"weight\",\"waist\",\"pulse\"]", model.Metadata["targets"]);
        Assert.Equal("true", model.Metadata["standardized"]);
        Assert.Contains("\"val_split\":0.25", model.Metadata["settings"]);
        Assert.StartsWith("[", model.Metadata["feature_std"]);
        Assert.Empty(_folder.Outputs("log.csv", "loss.png", "m.safetensors"));
    }

    [Fact]
    public void StandardizedModelIsSavedInRawUnits()
    {
        // The saved raw-unit model must predict what the standardized training loss measured: its MSE on the
        // training rows equals the last epoch's loss for full-batch training up to one more step of progress.
        string save = _folder.File("m.safetensors");
        var r = CliFolder.Run("train", "--data", CliFolder.Apples, "--target", "apples,oranges", "--save", save, "--json");
        Assert.Equal(0, r.Code);
        var model = Safetensors.Load(save);
        var data = Csv.Load(CliFolder.Apples, "apples", "oranges");
        var predictions = data.Features.MatMul(model["weight"].T) + model["bias"];
        var diff = predictions - data.Targets;
        double mse = (diff * diff).Mean().Item();
        Assert.Equal(r.Json.GetProperty("train_mse").GetDouble(), mse, 1e-4 * mse);
        Assert.InRange(mse, 0.9094, 0.95);
    }

    [Fact]
    public void DivergenceStopsWithAdviceAndWritesNothing()
    {
        string save = _folder.File("m.safetensors"), log = _folder.File("log.csv"), plot = _folder.File("p.png");
        var r = CliFolder.Run("train", "--data", CliFolder.Apples, "--target", "apples,oranges", "--optimizer", "sgd", "--lr", "0.01",
            "--no-standardize", "--save", save, "--log", log, "--plot", plot);
        r.AssertFailure(1, "diverged", "smaller --lr", "--standardize", "No model was saved");
        Assert.Empty(_folder.Outputs());
    }

    [Fact]
    public void TheLessonsSlowRunGetsAHint()
    {
        var r = CliFolder.Run("train", "--data", CliFolder.Apples, "--target", "apples,oranges", "--optimizer", "sgd", "--lr", "1e-9",
            "--no-standardize", "--epochs", "20");
        Assert.Equal(0, r.Code);
        Assert.Contains("hint: the loss barely moved", r.Err);
        Assert.Contains("--standardize", r.Err);
        Assert.Contains("a larger --lr", r.Err);
    }

    [Fact]
    public void NoHintWhenTheRunStartsAtTheOptimum()
    {
        var solved = _folder.File("solved.safetensors");
        Assert.Equal(0, CliFolder.Run("solve", "--data", CliFolder.Apples, "--target", "apples,oranges", "--save", solved).Code);
        var r = CliFolder.Run("train", "--data", CliFolder.Apples, "--target", "apples,oranges", "--init", solved, "--optimizer", "sgd",
            "--lr", "1e-12", "--epochs", "5", "--no-standardize");
        Assert.Equal(0, r.Code);
        Assert.DoesNotContain("hint", r.Err);
    }

    [Fact]
    public void InitIsReadInRawUnitsAlsoWhenStandardizing()
    {
        // Starting from the least-squares fit, the first epoch's loss (taken before any update) is the optimum itself.
        var solved = _folder.File("solved.safetensors");
        var solve = CliFolder.Run("solve", "--data", CliFolder.Linnerud, "--target", "weight,waist,pulse", "--save", solved, "--json");
        var r = CliFolder.Run("train", "--data", CliFolder.Linnerud, "--target", "weight,waist,pulse", "--init", solved, "--epochs", "1", "--json");
        Assert.Equal(0, r.Code);
        double optimum = solve.Json.GetProperty("mse").GetDouble();
        Assert.Equal(optimum, r.Json.GetProperty("loss_history")[0].GetDouble(), 1e-4 * optimum);
    }

    [Fact]
    public void SeedMakesRunsRepeatableAndShufflingChangesThem()
    {
        string[] args = ["train", "--data", CliFolder.Apples, "--target", "apples,oranges", "--batch-size", "4", "--epochs", "5", "--json"];
        var a = CliFolder.Run(args).Json.GetProperty("loss_history").ToString();
        var b = CliFolder.Run(args).Json.GetProperty("loss_history").ToString();
        var otherSeed = CliFolder.Run([.. args, "--seed", "1"]).Json.GetProperty("loss_history").ToString();
        var inOrder = CliFolder.Run([.. args, "--no-shuffle"]).Json.GetProperty("loss_history").ToString();
        Assert.Equal(a, b);
        Assert.NotEqual(a, otherSeed);
        Assert.NotEqual(a, inOrder);
    }

    [Fact]
    public void CtrlCStopsAfterTheBatchAndSavesTheLastCompletedEpoch()
    {
        string interrupted = _folder.File("interrupted.safetensors"), twoEpochs = _folder.File("two.safetensors");
        string[] common = ["train", "--data", CliFolder.Apples, "--target", "apples,oranges", "--batch-size", "5", "--seed", "3"];
        using var ctrlC = new CancellationTokenSource();
        int batches = 0;
        TrainCommand.AfterBatch = _ =>
        {
            if (++batches == 8) ctrlC.Cancel(); // the 2nd of 3 batches of epoch 3
        };
        CliResult r;
        try
        {
            r = CliFolder.Run(ctrlC.Token, [.. common, "--epochs", "50", "--save", interrupted]);
        }
        finally
        {
            TrainCommand.AfterBatch = null;
        }
        Assert.Equal(1, r.Code);
        Assert.Equal(8, batches);
        Assert.Contains("interrupted: stopped after epoch 2 of 50", r.Err);
        Assert.Contains("saved the model of epoch 2", r.Err);

        Assert.Equal(0, CliFolder.Run([.. common, "--epochs", "2", "--save", twoEpochs]).Code);
        var a = Safetensors.Load(interrupted);
        var b = Safetensors.Load(twoEpochs);
        Assert.Equal(b["weight"].ToArray<float>(), a["weight"].ToArray<float>());
        Assert.Equal(b["bias"].ToArray<float>(), a["bias"].ToArray<float>());
        Assert.Equal("2", a.Metadata["epochs_completed"]);
    }

    [Fact]
    public void CtrlCInTheFirstEpochSavesNothing()
    {
        using var ctrlC = new CancellationTokenSource();
        ctrlC.Cancel();
        var save = _folder.File("m.safetensors");
        var r = CliFolder.Run(ctrlC.Token, "train", "--data", CliFolder.Apples, "--target", "apples,oranges", "--batch-size", "5", "--save", save);
        Assert.Equal(1, r.Code);
        Assert.Contains("nothing was saved", r.Err);
        Assert.False(File.Exists(save));
    }

    [Fact]
    public void InitMustFitTheData()
    {
        var solved = _folder.File("linnerud.safetensors");
        Assert.Equal(0, CliFolder.Run("solve", "--data", CliFolder.Linnerud, "--target", "weight,waist,pulse", "--save", solved).Code);
        var save = _folder.File("m.safetensors");
        var r = CliFolder.Run("train", "--data", CliFolder.Apples, "--target", "apples,oranges", "--init", solved, "--save", save);
        r.AssertFailure(1, "linnerud.safetensors", "--init");
        Assert.False(File.Exists(save));
    }

    [Fact]
    public void FeaturesOptionPicksColumns()
    {
        var r = CliFolder.Run("train", "--data", CliFolder.Apples, "--target", "oranges", "--features", "humidity,temp", "--epochs", "3", "--json");
        Assert.Equal(0, r.Code);
        Assert.Equal(["humidity", "temp"], r.Json.GetProperty("features").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["oranges"], r.Json.GetProperty("targets").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void HelpStatesTheDefaults()
    {
        var r = CliFolder.Run("train", "--help");
        Assert.Equal(0, r.Code);
        Assert.Contains("--optimizer adam --lr 0.1 --epochs 200", r.Out);
        foreach (var option in new[] { "--data", "--target", "--features", "--epochs", "--lr", "--batch-size", "--shuffle", "--no-shuffle", "--seed",
            "--optimizer", "--momentum", "--weight-decay", "--nesterov", "--standardize", "--no-standardize", "--val-split", "--init", "--save",
            "--log", "--plot", "--json", "--quiet" })
            Assert.Contains(option, r.Out);
    }

    [Fact]
    public void InitFromAModelOfAnotherTargetIsRefused()
    {
        // A model trained for apples went on training for oranges without a word.
        var solved = _folder.File("apples.safetensors");
        Assert.Equal(0, CliFolder.Run("solve", "--data", CliFolder.Apples, "--target", "apples", "--features", "temp,rainfall,humidity", "--save", solved).Code);
        CliFolder.Run("train", "--data", CliFolder.Apples, "--target", "oranges", "--features", "temp,rainfall,humidity", "--init", solved)
            .AssertFailure(1, "apples.safetensors", "the model predicts apples but --target names oranges");
    }
}
