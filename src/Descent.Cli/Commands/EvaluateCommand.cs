using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Descent.Cli.Commands;

/// <summary><c>descent evaluate</c>: MSE, RMSE, MAE and R² of a saved model on a CSV file, per target.</summary>
internal static class EvaluateCommand
{
    public static Command Create(CliConsole console)
    {
        var model = CommonOptions.Model();
        var data = CommonOptions.Data("The data to evaluate on: CSV with the model's feature and target columns.");
        var json = CommonOptions.Json("Print the metrics as JSON.");
        var target = new Option<string?>("--target")
        {
            Description = "The column(s) the model predicts, separated by commas [default: those the model file names; a file saved by PyTorch names none].",
            HelpName = "COL[,COL...]",
        };
        var command = new Command("evaluate", "Print MSE, RMSE, MAE and R² per target of a saved model on a CSV file, and the MSE over all entries (the training loss).")
        {
            model, data, target, json,
        };
        command.SetAction(r => Run(console, r.GetValue(model)!, r.GetValue(data)!,
            r.GetValue(target) is { } t ? DataFile.Columns(t, "--target") : null, r.GetValue(json)));
        return command;
    }

    private static int Run(CliConsole console, string modelPath, string path, string[]? targets, bool json)
    {
        var model = LinearModel.Load(modelPath);
        if (targets is not null && targets.Length != model.TargetCount)
            throw new UsageException($"--target names {targets.Length} column(s) but {Path.GetFileName(modelPath)} predicts {model.TargetCount}");
        if (targets is null && !model.Metadata.ContainsKey("targets"))
            throw new CliException($"{modelPath}: the file does not name the columns it predicts (a model saved by PyTorch names none); give them with --target");
        var data = PredictCommand.LoadFor(model, path, withTargets: true, targets);
        var (metrics, mse) = Metrics.Compute(model.Predict(data.Features), data.Targets, targets ?? model.Targets);
        if (json)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream))
            {
                w.WriteStartObject();
                w.WriteNumber("rows", data.Rows);
                w.WriteNumberOrNull("mse", mse);
                WriteMetrics(w, metrics);
                w.WriteEndObject();
            }
            console.Out.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
            return ExitCodes.Success;
        }
        console.Out.WriteLine($"{Path.GetFileName(modelPath)} on {data.Rows} rows of {Path.GetFileName(path)}:");
        WriteTable(console.Out, metrics);
        console.Out.WriteLine($"MSE over all entries (the training loss): {LinearModel.Number(mse)}");
        return ExitCodes.Success;
    }

    /// <summary>Writes <c>"targets": {"name": {"mse", "rmse", "mae", "r2"}}</c>.</summary>
    internal static void WriteMetrics(Utf8JsonWriter w, IReadOnlyList<TargetMetrics> metrics)
    {
        w.WriteStartObject("metrics");
        foreach (var m in metrics)
        {
            w.WriteStartObject(m.Target);
            w.WriteNumberOrNull("mse", m.Mse);
            w.WriteNumberOrNull("rmse", m.Rmse);
            w.WriteNumberOrNull("mae", m.Mae);
            w.WriteNumberOrNull("r2", m.R2);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    internal static void WriteTable(TextWriter output, IReadOnlyList<TargetMetrics> metrics)
    {
        int width = Math.Max(6, metrics.Max(m => m.Target.Length));
        output.WriteLine($"  {"target".PadRight(width)}  {"MSE",12}  {"RMSE",12}  {"MAE",12}  {"R²",8}");
        foreach (var m in metrics)
            output.WriteLine($"  {m.Target.PadRight(width)}  {LinearModel.Number(m.Mse),12}  {LinearModel.Number(m.Rmse),12}  {LinearModel.Number(m.Mae),12}  {m.R2.ToString("F4", CultureInfo.InvariantCulture),8}");
    }
}
