using System.Globalization;
using System.Runtime.CompilerServices;
using Spectre.Console;

namespace Descent.Cli;

/// <summary>
/// Training progress: a live bar with epoch, loss and rate on a terminal; plain lines at about every tenth of the run
/// when the output is redirected or <c>--quiet</c> is given; nothing with <c>--json</c>, which prints one summary.
/// </summary>
internal static class Progress
{
    public static T Run<T>(CliConsole console, bool live, bool silent, int epochs, Func<Action<EpochReport>, T> train)
    {
        if (silent) return train(_ => { });
        if (!live) return train(Plain(console.Out, epochs));
        return Live(epochs, train);
    }

    // Apart, so that plain and silent runs never load Spectre.Console.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T Live<T>(int epochs, Func<Action<EpochReport>, T> train)
    {
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("starting", maxValue: epochs);
                result = train(r =>
                {
                    task.Value = r.Epoch;
                    task.Description = Markup.Escape(Line(r));
                });
            });
        return result;
    }

    private static Action<EpochReport> Plain(TextWriter output, int epochs)
    {
        int every = Math.Max(1, epochs / 10);
        return r =>
        {
            if (r.Epoch == 1 || r.Epoch % every == 0 || r.Epoch == r.Epochs) output.WriteLine(Line(r));
        };
    }

    private static string Line(EpochReport r)
    {
        int width = r.Epochs.ToString(CultureInfo.InvariantCulture).Length;
        var text = $"epoch {r.Epoch.ToString(CultureInfo.InvariantCulture).PadLeft(width)}/{r.Epochs}  loss {LinearModel.Number(r.Loss)}";
        if (r.ValLoss is { } v) text += $"  val_loss {LinearModel.Number(v)}";
        double seconds = r.Elapsed.TotalSeconds;
        if (seconds > 0) text += $"  ({(r.Epoch / seconds).ToString("F0", CultureInfo.InvariantCulture)} epochs/s)";
        return text;
    }
}
