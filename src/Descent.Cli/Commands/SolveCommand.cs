using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Descent.Cli.Commands;

/// <summary><c>descent solve</c>: the exact least-squares fit (<see cref="Linalg.Lstsq"/> in float64: the normal equations for large tables of full rank, a pivoted QR otherwise), saved in the same model format as <c>train</c>.</summary>
internal static class SolveCommand
{
    public static Command Create(CliConsole console)
    {
        var data = CommonOptions.Data("The data: CSV with a header row.");
        var target = CommonOptions.Target();
        var features = CommonOptions.Features();
        var save = new Option<string?>("--save") { Description = "Save the fit as a model file (weight and bias, as nn.Linear's state dict).", HelpName = "FILE.safetensors" };
        var json = CommonOptions.Json("Print the fit as JSON.");
        var command = new Command("solve",
            "Compute the exact least-squares fit of the targets on the features, with a bias (in float64): the optimum that gradient descent approaches. " +
            "With linearly dependent features it gives the minimum-norm fit in standardized units.")
        {
            data, target, features, save, json,
        };
        command.SetAction(r => Run(console, r.GetValue(data)!, DataFile.Columns(r.GetValue(target)!, "--target"),
            r.GetValue(features) is { } f ? DataFile.Columns(f, "--features") : null, r.GetValue(save), r.GetValue(json)));
        return command;
    }

    private static int Run(CliConsole console, string path, string[] targets, string[]? features, string? save, bool json)
    {
        CommonOptions.CheckOutputs([(path, "--data")], (save, "--save"));
        var data = DataFile.Load(path, targets, features);
        var (model, mse, rank) = LeastSquares.Fit(data.Features, data.Targets, data.FeatureNames, data.TargetNames);
        var (metrics, savedMse) = Metrics.Compute(model.Predict(data.Features), data.Targets, data.TargetNames);
        if (save is not null)
        {
            model.Save(save, new Dictionary<string, string>
            {
                ["trained_by"] = "descent solve",
                ["descent_version"] = CommonOptions.Version,
                ["data"] = Path.GetFileName(path),
                ["standardized"] = "false",
                ["mse"] = mse.ToString("R", CultureInfo.InvariantCulture),
                ["rank"] = rank.ToString(CultureInfo.InvariantCulture),
            });
        }
        bool deficient = rank < data.FeatureNames.Count;
        if (json)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream))
            {
                w.WriteStartObject();
                TrainCommand.WriteModel(w, model);
                w.WriteNumberOrNull("mse", mse);
                w.WriteNumber("rank", rank);
                w.WriteNumber("rows", data.Rows);
                EvaluateCommand.WriteMetrics(w, metrics);
                if (save is null) w.WriteNull("saved");
                else w.WriteString("saved", save);
                w.WriteEndObject();
            }
            console.Out.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
        }
        else
        {
            console.Out.WriteLine($"least-squares fit of {string.Join(", ", data.TargetNames)} on {string.Join(", ", data.FeatureNames)} over {data.Rows} rows of {Path.GetFileName(path)}:");
            foreach (var equation in model.Equations()) console.Out.WriteLine("  " + equation);
            console.Out.WriteLine($"MSE {LinearModel.Number(mse)} (over all {data.Rows}x{data.TargetNames.Count} entries): " +
                (Metrics.IsExactFit(mse, data.Targets) ? Metrics.ExactFitNote : "no gradient-descent run on this data can go lower"));
            EvaluateCommand.WriteTable(console.Out, metrics);
            if (save is not null) console.Out.WriteLine($"saved {save}");
        }
        // The table scores the model as saved, in float32 as nn.Linear holds it: a fit whose coefficients need more digits
        // (a bias of -1e7 beside a column near 10 000) loses it there, and the two MSEs would disagree without a word.
        if (savedMse > 1.01 * mse && !Metrics.IsExactFit(savedMse, data.Targets))
            console.WriteNote($"note: the model holds float32 weights, as nn.Linear does; rounded to float32 they give MSE {LinearModel.Number(savedMse)} (the table), " +
                $"not the fit's {LinearModel.Number(mse)}: its coefficients (up to {LinearModel.Number(model.LargestCoefficient)}) need more digits than float32 keeps; " +
                "subtracting each column's mean (or rescaling it) first keeps them small");
        if (deficient)
        {
            int f = data.FeatureNames.Count;
            // With a bias, f weights need at least f + 1 rows; fewer leave the fit open whatever the columns hold.
            console.WriteNote((data.Rows <= f
                ? $"note: {data.Rows} row{(data.Rows == 1 ? "" : "s")} cannot determine {f} weight{(f == 1 ? "" : "s")} and a bias (rank {rank} of {f})"
                : $"note: the features are linearly dependent (rank {rank} of {f})") +
                ": many fits are equally good; this is the one with the smallest standardized weights");
        }
        return ExitCodes.Success;
    }
}
