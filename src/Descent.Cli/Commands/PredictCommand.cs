using System.CommandLine;
using System.Globalization;
using System.Text;
using Descent.IO;

namespace Descent.Cli.Commands;

/// <summary><c>descent predict</c>: a saved model's predictions for the rows of a CSV file, as CSV with one column per target.</summary>
internal static class PredictCommand
{
    public static Command Create(CliConsole console)
    {
        var model = CommonOptions.Model();
        var data = CommonOptions.Data("The rows to predict: CSV with the model's feature columns (other columns are ignored).");
        var output = new Option<string?>("--out") { Description = "Write the predictions here instead of to stdout.", HelpName = "FILE.csv" };
        var command = new Command("predict", "Predict the targets for each row of a CSV file with a saved model; writes CSV with one column per target.")
        {
            model, data, output,
        };
        command.SetAction(r => Run(console, r.GetValue(model)!, r.GetValue(data)!, r.GetValue(output)));
        return command;
    }

    private static int Run(CliConsole console, string modelPath, string path, string? output)
    {
        CommonOptions.CheckOutputs([(path, "--data"), (modelPath, "--model")], (output, "--out"));
        var model = LinearModel.Load(modelPath);
        var data = LoadFor(model, path, withTargets: false);
        var predictions = model.Predict(data.Features).Contiguous().ToArray<float>();
        var text = new StringBuilder();
        text.AppendJoin(',', model.Targets.Select(Quote)).Append('\n');
        int t = model.TargetCount;
        for (int i = 0; i < data.Rows; i++)
        {
            for (int j = 0; j < t; j++)
            {
                if (j > 0) text.Append(',');
                text.Append(predictions[i * t + j].ToString("R", CultureInfo.InvariantCulture));
            }
            text.Append('\n');
        }
        if (output is null) console.Out.Write(text.ToString());
        else OutputFile.WriteText(output, "--out", "the predictions", text.ToString());
        return ExitCodes.Success;
    }

    private static string Quote(string name) =>
        name.IndexOfAny([',', '"', '\n', '\r']) < 0 ? name : "\"" + name.Replace("\"", "\"\"") + "\"";

    /// <summary>
    /// Loads the model's feature columns (by name; by position when the file does not name them) and, for evaluation,
    /// its target columns (<paramref name="targets"/>, or those the file names).
    /// </summary>
    internal static CsvData LoadFor(LinearModel model, string path, bool withTargets, IReadOnlyList<string>? targets = null)
    {
        var features = model.Features ?? FirstColumns(path, model.FeatureCount);
        var data = DataFile.Load(path, withTargets ? [.. targets ?? model.Targets] : [], features);
        if (data.FeatureNames.Count != model.FeatureCount)
            throw new CliException($"{path}: the model takes {model.FeatureCount} features but the file gives {data.FeatureNames.Count}");
        return data;
    }

    // Only the header is read here, so the columns after the model's may hold anything, text included.
    private static string[] FirstColumns(string path, int count)
    {
        var header = DataFile.Header(path);
        if (header.Count < count)
            throw new CliException($"{path}: the model takes {count} features but the file has only {header.Count} columns");
        // A nameless first column is most often the row index pandas writes, not a feature.
        int unnamed = header.Take(count).ToList().IndexOf("");
        if (unnamed >= 0)
            throw new CliException($"{path}: column {unnamed + 1} has no name in the header, so it cannot be a feature" +
                (unnamed == 0 ? " (a nameless first column is usually the row index pandas writes: save with to_csv(index=False))" : "") +
                $"; the model file names no features, so it takes the first {count} columns");
        return [.. header.Take(count)];
    }
}
