using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Descent.Cli.Commands;

/// <summary>
/// <c>descent train</c>: fits <c>Linear(features, targets)</c> to a CSV file by gradient descent on the mean squared error.
/// </summary>
/// <remarks>
/// The defaults (Adam, lr 0.1, 200 epochs, full batch, standardized features and targets) were chosen so that a run
/// with no options reaches a training MSE within 5% of the least-squares optimum on small tabular data sets such as
/// the lesson's: Adam is insensitive to the scale of each weight, and full batches carry no sampling noise, which a
/// constant learning rate could not average away. See Note [cli-defaults] in docs/notes/cli-defaults.md.
/// </remarks>
internal static class TrainCommand
{
    public const int DefaultEpochs = 200;
    public const double DefaultLr = 0.1;
    public const string DefaultOptimizer = "adam";

    private static readonly AsyncLocal<Action<int>?> _afterBatch = new();

    /// <summary>Called after every batch with its number in the epoch, in this async flow only; tests use it to stand in for Ctrl-C.</summary>
    internal static Action<int>? AfterBatch
    {
        get => _afterBatch.Value;
        set => _afterBatch.Value = value;
    }

    public static Command Create(CliConsole console)
    {
        var data = CommonOptions.Data("The training data: CSV with a header row.");
        var target = CommonOptions.Target();
        var features = CommonOptions.Features();
        var epochs = CommonOptions.Whole("--epochs", "Passes over the training rows.", () => DefaultEpochs);
        var lr = CommonOptions.Number("--lr", "Learning rate.", DefaultLr);
        var batchSize = CommonOptions.OptionalWhole("--batch-size", "Rows per batch [default: all training rows, one step per epoch].");
        var shuffle = new Option<bool>("--shuffle") { Description = "Visit the rows in a new random order every epoch (the default)." };
        var noShuffle = new Option<bool>("--no-shuffle") { Description = "Take the batches in file order." };
        var seed = CommonOptions.Whole("--seed", "Seed for the initial weights, the shuffling and the validation split.", () => 0L);
        var optimizer = new Option<string>("--optimizer") { Description = "sgd or adam (Adam with PyTorch's betas 0.9, 0.999 and eps 1e-8).", DefaultValueFactory = _ => DefaultOptimizer, HelpName = "sgd|adam" };
        optimizer.AcceptOnlyFromAmong("sgd", "adam");
        var momentum = CommonOptions.Number("--momentum", "SGD momentum.", 0);
        var weightDecay = CommonOptions.Number("--weight-decay", "L2 penalty added to the gradient, as PyTorch's weight_decay.", 0);
        var nesterov = new Option<bool>("--nesterov") { Description = "Nesterov momentum (SGD with --momentum > 0)." };
        var standardize = new Option<bool>("--standardize") { Description = "Train on standardized features and targets (the default); the saved model is still in raw units." };
        var noStandardize = new Option<bool>("--no-standardize") { Description = "Train on the raw numbers, exactly as a PyTorch script on the same file would." };
        var valSplit = CommonOptions.Number("--val-split", "Fraction of rows held out at random to report a validation loss.", 0);
        valSplit.HelpName = "F";
        var init = new Option<string?>("--init") { Description = "Start from the weights in this model file (raw units) instead of PyTorch's random initialisation.", HelpName = "FILE.safetensors" };
        var save = new Option<string?>("--save") { Description = "Save the trained model (weight and bias in raw units, as nn.Linear's state dict).", HelpName = "FILE.safetensors" };
        var log = new Option<string?>("--log") { Description = "Write the loss of every epoch as CSV: epoch,loss[,val_loss].", HelpName = "FILE.csv" };
        var plot = new Option<string?>("--plot") { Description = "Draw the loss curve, with the least-squares optimum dashed: PNG, or JPEG, BMP, WebP or SVG by the ending of the file name.", HelpName = "FILE.png" };
        var json = CommonOptions.Json("Print one JSON summary at the end instead of progress and text.");
        var quiet = new Option<bool>("--quiet") { Description = "Plain progress lines instead of a live progress bar." };

        var command = new Command("train",
            "Train Linear(features, targets) by gradient descent on the mean squared error. " +
            $"Defaults: --optimizer {DefaultOptimizer} --lr {DefaultLr.ToString(CultureInfo.InvariantCulture)} --epochs {DefaultEpochs}, full batch, standardized, seed 0, " +
            "which on typical tabular data reach the least-squares optimum ('descent solve') within a few percent.")
        {
            data, target, features, epochs, lr, batchSize, shuffle, noShuffle, seed, optimizer, momentum, weightDecay, nesterov,
            standardize, noStandardize, valSplit, init, save, log, plot, json, quiet,
        };
        command.SetAction(r =>
        {
            if (r.GetValue(shuffle) && r.GetValue(noShuffle)) throw new UsageException("--shuffle and --no-shuffle contradict each other; give one");
            if (r.GetValue(standardize) && r.GetValue(noStandardize)) throw new UsageException("--standardize and --no-standardize contradict each other; give one");
            var settings = new TrainSettings(
                r.GetValue(epochs), r.GetValue(lr), r.GetValue(batchSize), !r.GetValue(noShuffle), r.GetValue(seed), r.GetValue(optimizer)!,
                r.GetValue(momentum), r.GetValue(weightDecay), r.GetValue(nesterov), !r.GetValue(noStandardize), r.GetValue(valSplit));
            Validate(settings);
            var outputs = new Outputs(r.GetValue(save), r.GetValue(log), r.GetValue(plot));
            return Run(console, r.GetValue(data)!, DataFile.Columns(r.GetValue(target)!, "--target"),
                r.GetValue(features) is { } f ? DataFile.Columns(f, "--features") : null,
                settings, r.GetValue(init), outputs, r.GetValue(json), r.GetValue(quiet));
        });
        return command;
    }

    private sealed record Outputs(string? Save, string? Log, string? Plot);

    private static void Validate(TrainSettings s)
    {
        if (s.Epochs < 1) throw new UsageException($"--epochs must be at least 1, got {s.Epochs}");
        if (!(s.Lr > 0) || !double.IsFinite(s.Lr)) throw new UsageException($"--lr must be a positive number, got {Num(s.Lr)}");
        if (s.BatchSize is < 1) throw new UsageException($"--batch-size must be at least 1, got {s.BatchSize}");
        if (!(s.Momentum >= 0) || !double.IsFinite(s.Momentum)) throw new UsageException($"--momentum must be 0 or more, got {Num(s.Momentum)}");
        if (!(s.WeightDecay >= 0) || !double.IsFinite(s.WeightDecay)) throw new UsageException($"--weight-decay must be 0 or more, got {Num(s.WeightDecay)}");
        if (!(s.ValSplit >= 0 && s.ValSplit < 1)) throw new UsageException($"--val-split must be at least 0 and less than 1, got {Num(s.ValSplit)}");
        if (s.Optimizer == "adam" && s.Momentum != 0) throw new UsageException("--momentum applies to --optimizer sgd; Adam has its own (betas 0.9, 0.999)");
        if (s.Optimizer == "adam" && s.Nesterov) throw new UsageException("--nesterov applies to --optimizer sgd");
        if (s.Nesterov && s.Momentum == 0) throw new UsageException("--nesterov needs a --momentum above 0, as in PyTorch");
    }

    private static string Num(double v) => v.ToString(CultureInfo.InvariantCulture);

    private static int Run(CliConsole console, string path, string[] targets, string[]? features, TrainSettings s, string? initPath, Outputs outputs, bool json, bool quiet)
    {
        CommonOptions.CheckOutputs([(path, "--data")], (outputs.Save, "--save"), (outputs.Log, "--log"), (outputs.Plot, "--plot"));
        // --save may name the --init model, to go on training it in place: it is read whole before anything is written,
        // and the new model replaces it whole or not at all. The log and plot may not.
        CommonOptions.CheckOutputs([(initPath, "--init")], (outputs.Log, "--log"), (outputs.Plot, "--plot"));
        var data = DataFile.Load(path, targets, features);
        var init = initPath is null ? null : LinearModel.Load(initPath, "--init");
        if (init is not null) CheckInit(init, initPath!, data.FeatureNames, data.TargetNames);

        var result = Progress.Run(console, live: console.IsTerminal && !quiet, silent: json, s.Epochs,
            onEpoch => Trainer.Run(data, s, init, console.Cancel, onEpoch, AfterBatch));

        if (result.Outcome == TrainOutcome.Diverged)
        {
            var advice = s.Standardize ? $"try a smaller --lr (it was {Num(s.Lr)})" : $"try a smaller --lr (it was {Num(s.Lr)}) or --standardize";
            throw new CliException($"training diverged at epoch {result.DivergedEpoch}: the loss became infinite or NaN; {advice}. No model was saved.");
        }
        int completed = result.Losses.Count;
        var (_, optimum, _) = LeastSquares.Fit(result.TrainFeatures, result.TrainTargets, data.FeatureNames, data.TargetNames);
        double trainMse = Metrics.Mse(result.Model.Predict(result.TrainFeatures), result.TrainTargets);
        bool exactFit = Metrics.IsExactFit(optimum, result.TrainTargets);
        bool interrupted = result.Outcome == TrainOutcome.Interrupted;
        string? saved = null;
        if (completed > 0)
        {
            if (outputs.Log is not null) OutputFile.WriteText(outputs.Log, "--log", "the loss log", LogCsv(result));
            if (outputs.Plot is not null)
                // An exact fit's optimum is rounding error (1e-30): as a line it would stretch the log axis over 30 decades.
                LossPlot.Save(outputs.Plot, result.Losses, result.ValLosses, exactFit ? null : optimum, $"descent train: {Path.GetFileName(path)} ({string.Join(", ", data.TargetNames)})");
            if (outputs.Save is not null)
            {
                result.Model.Save(outputs.Save, Metadata(result, s, path, initPath, completed));
                saved = outputs.Save;
            }
        }

        if (json) console.Out.WriteLine(Summary(result, s, completed, trainMse, optimum, saved));
        else Report(console.Out, result, path, completed, trainMse, optimum, exactFit, saved);
        if (interrupted)
        {
            console.WriteNote(completed == 0
                ? "interrupted before the first epoch completed: nothing was saved"
                : $"interrupted: stopped after epoch {completed} of {s.Epochs}" + (saved is null ? "" : $"; saved the model of epoch {completed} to {saved}"));
            return ExitCodes.Interrupted;
        }
        Hint(console, result, s, optimum);
        return ExitCodes.Success;
    }

    private static void CheckInit(LinearModel init, string initPath, IReadOnlyList<string> features, IReadOnlyList<string> targets)
    {
        if (init.FeatureCount != features.Count || init.TargetCount != targets.Count)
            throw new CliException($"{initPath}: the model maps {init.FeatureCount} features to {init.TargetCount} targets but the data has {features.Count} features and {targets.Count} targets (--init)");
        if (init.Features is not null && !init.Features.SequenceEqual(features))
            throw new CliException($"{initPath}: the model's features are {string.Join(", ", init.Features)} but the data's are {string.Join(", ", features)} (--init)");
        if (init.Metadata.ContainsKey("targets") && !init.Targets.SequenceEqual(targets))
            throw new CliException($"{initPath}: the model predicts {string.Join(", ", init.Targets)} but --target names {string.Join(", ", targets)} (--init)");
    }

    private static string LogCsv(TrainResult result)
    {
        var text = new StringBuilder(result.ValLosses is null ? "epoch,loss\n" : "epoch,loss,val_loss\n");
        for (int i = 0; i < result.Losses.Count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i + 1},{result.Losses[i].ToString("R", CultureInfo.InvariantCulture)}");
            if (result.ValLosses is not null) text.Append(',').Append(result.ValLosses[i].ToString("R", CultureInfo.InvariantCulture));
            text.Append('\n');
        }
        return text.ToString();
    }

    private static Dictionary<string, string> Metadata(TrainResult result, TrainSettings s, string path, string? initPath, int completed)
    {
        var metadata = new Dictionary<string, string>
        {
            ["trained_by"] = "descent train",
            ["descent_version"] = CommonOptions.Version,
            ["data"] = Path.GetFileName(path),
            ["standardized"] = s.Standardize ? "true" : "false",
            ["epochs_completed"] = completed.ToString(CultureInfo.InvariantCulture),
            ["final_loss"] = result.Losses[^1].ToString("R", CultureInfo.InvariantCulture),
            ["settings"] = SettingsJson(s, result, initPath),
        };
        if (s.Standardize)
        {
            metadata["feature_mean"] = JsonSerializer.Serialize(result.Scaling.FeatureMean, CliJson.Default.DoubleArray);
            metadata["feature_std"] = JsonSerializer.Serialize(result.Scaling.FeatureStd, CliJson.Default.DoubleArray);
            metadata["target_mean"] = JsonSerializer.Serialize(result.Scaling.TargetMean, CliJson.Default.DoubleArray);
            metadata["target_std"] = JsonSerializer.Serialize(result.Scaling.TargetStd, CliJson.Default.DoubleArray);
        }
        return metadata;
    }

    private static string SettingsJson(TrainSettings s, TrainResult result, string? initPath)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
            WriteSettings(w, s, result, initPath);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteSettings(Utf8JsonWriter w, TrainSettings s, TrainResult result, string? initPath)
    {
        w.WriteStartObject();
        w.WriteString("optimizer", s.Optimizer);
        w.WriteNumber("lr", s.Lr);
        w.WriteNumber("epochs", s.Epochs);
        w.WriteNumber("batch_size", result.BatchSize);
        w.WriteBoolean("shuffle", s.Shuffle);
        w.WriteNumber("seed", s.Seed);
        w.WriteNumber("momentum", s.Momentum);
        w.WriteNumber("weight_decay", s.WeightDecay);
        w.WriteBoolean("nesterov", s.Nesterov);
        w.WriteBoolean("standardize", s.Standardize);
        w.WriteNumber("val_split", s.ValSplit);
        if (initPath is not null) w.WriteString("init", Path.GetFileName(initPath));
        w.WriteEndObject();
    }

    private static string Summary(TrainResult result, TrainSettings s, int completed, double trainMse, double optimum, string? saved)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("outcome", result.Outcome == TrainOutcome.Completed ? "completed" : "interrupted");
            w.WriteNumber("epochs", completed);
            w.WriteNumber("epochs_requested", s.Epochs);
            if (completed > 0) w.WriteNumberOrNull("final_loss", result.Losses[^1]);
            if (result.ValLosses is { Count: > 0 } vals) w.WriteNumberOrNull("final_val_loss", vals[^1]);
            w.WriteNumberOrNull("train_mse", trainMse);
            w.WriteNumberOrNull("optimum_mse", optimum);
            w.WriteStartArray("loss_history");
            foreach (var l in result.Losses) w.WriteNumberOrNullValue(l);
            w.WriteEndArray();
            if (result.ValLosses is not null)
            {
                w.WriteStartArray("val_loss_history");
                foreach (var l in result.ValLosses) w.WriteNumberOrNullValue(l);
                w.WriteEndArray();
            }
            WriteModel(w, result.Model);
            w.WriteNumber("train_rows", result.TrainRows);
            w.WriteNumber("val_rows", result.ValRows);
            w.WriteNumber("seconds", result.Elapsed.TotalSeconds);
            if (result.Elapsed.TotalSeconds > 0) w.WriteNumber("epochs_per_second", completed / result.Elapsed.TotalSeconds);
            if (saved is null) w.WriteNull("saved");
            else w.WriteString("saved", saved);
            w.WritePropertyName("settings");
            WriteSettings(w, s, result, null);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes <c>features</c>, <c>targets</c>, <c>weight</c> (rows per target, float32 values) and <c>bias</c>.</summary>
    internal static void WriteModel(Utf8JsonWriter w, LinearModel model)
    {
        w.WriteStartArray("features");
        foreach (var f in model.Features ?? []) w.WriteStringValue(f);
        w.WriteEndArray();
        w.WriteStartArray("targets");
        foreach (var t in model.Targets) w.WriteStringValue(t);
        w.WriteEndArray();
        w.WriteStartArray("weight");
        for (int j = 0; j < model.TargetCount; j++)
        {
            w.WriteStartArray();
            for (int k = 0; k < model.FeatureCount; k++) w.WriteNumberOrNullValue((float)model.Weight[j, k]);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteStartArray("bias");
        foreach (var b in model.Bias) w.WriteNumberOrNullValue((float)b);
        w.WriteEndArray();
    }

    private static void Report(TextWriter output, TrainResult result, string path, int completed, double trainMse, double optimum, bool exact, string? saved)
    {
        var model = result.Model;
        string rows = result.ValRows > 0 ? $"{result.TrainRows} rows (+{result.ValRows} for validation)" : $"{result.TrainRows} rows";
        if (completed > 0)
        {
            output.WriteLine($"trained Linear({model.FeatureCount} -> {model.TargetCount}) on {rows} of {Path.GetFileName(path)} for {completed} epochs in {result.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)} s: loss {LinearModel.Number(result.Losses[0])} -> {LinearModel.Number(result.Losses[^1])}");
            if (result.ValLosses is { Count: > 0 } vals) output.WriteLine($"validation loss {LinearModel.Number(vals[0])} -> {LinearModel.Number(vals[^1])}");
        }
        // A percentage of an optimum that is only rounding error is noise: the training MSE is then the gap itself.
        double gap = exact ? 0 : Math.Round((trainMse / optimum - 1) * 100, 2) + 0.0;
        string comparison = exact
            ? $": {Metrics.ExactFitNote}, so the gap is the training MSE itself"
            : $", {(gap < 0 ? "" : "+")}{gap.ToString("0.00", CultureInfo.InvariantCulture)}%";
        output.WriteLine($"training MSE of the final model {LinearModel.Number(trainMse)}; least-squares optimum {LinearModel.Number(optimum)} ('descent solve'){comparison}");
        foreach (var equation in model.Equations()) output.WriteLine("  " + equation);
        if (saved is not null) output.WriteLine($"saved {saved}: weight {model.TargetCount}x{model.FeatureCount} and bias {model.TargetCount} in raw units, loadable by PyTorch's nn.Linear");
    }

    // The lesson's own run barely moves its loss: say so, and what would help, unless it is already at the optimum.
    private static void Hint(CliConsole console, TrainResult result, TrainSettings s, double optimum)
    {
        if (result.Losses.Count < 2) return;
        double first = result.Losses[0], last = result.Losses[^1];
        if (!(first > 0) || (first - last) / first >= 0.01 || last <= optimum * 1.01) return;
        var advice = new List<string>();
        if (!s.Standardize) advice.Add("--standardize (or drop --no-standardize)");
        advice.Add($"a larger --lr (it was {Num(s.Lr)})");
        advice.Add($"more --epochs (it was {s.Epochs})");
        console.WriteNote($"hint: the loss barely moved ({LinearModel.Number(first)} -> {LinearModel.Number(last)}, less than 1%) and is still above the least-squares optimum {LinearModel.Number(optimum)}; try {string.Join(", ", advice)}");
    }
}
