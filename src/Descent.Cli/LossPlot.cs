using ScottPlot;
using ScottPlot.TickGenerators;

namespace Descent.Cli;

/// <summary>
/// The <c>--plot</c> image: training (and validation) loss per epoch, with a dashed line at the least-squares optimum,
/// as PNG, JPEG, BMP, WebP or SVG by the ending of the file name.
/// </summary>
internal static class LossPlot
{
    private const int Width = 800, Height = 500;

    /// <summary>How a plot is drawn for each file name ending, the only endings <c>--plot</c> takes (checked before training, so no run is lost to a bad name).</summary>
    public static readonly IReadOnlyDictionary<string, Func<Plot, byte[]>> Formats = new Dictionary<string, Func<Plot, byte[]>>
    {
        [".png"] = p => p.GetImageBytes(Width, Height, ImageFormat.Png),
        [".jpg"] = p => p.GetImageBytes(Width, Height, ImageFormat.Jpeg),
        [".jpeg"] = p => p.GetImageBytes(Width, Height, ImageFormat.Jpeg),
        [".bmp"] = p => p.GetImageBytes(Width, Height, ImageFormat.Bmp),
        [".webp"] = p => p.GetImageBytes(Width, Height, ImageFormat.Webp),
        [".svg"] = p => System.Text.Encoding.UTF8.GetBytes(p.GetSvgXml(Width, Height)),
    };

    public static void Save(string path, IReadOnlyList<double> train, IReadOnlyList<double>? val, double? optimum, string title)
    {
        var plot = new Plot();
        // Losses usually fall by orders of magnitude: plot log10 of them on a log axis when they span more than 100x.
        var all = train.Concat(val ?? []).Concat(optimum is { } o ? [o] : []).Where(v => v > 0).ToArray();
        bool log = all.Length > 0 && all.Max() / all.Min() > 100;
        double Y(double v) => log ? Math.Log10(Math.Max(v, all.Min())) : v;
        var epochs = Enumerable.Range(1, train.Count).Select(e => (double)e).ToArray();

        var trainLine = plot.Add.Scatter(epochs, train.Select(Y).ToArray());
        trainLine.LegendText = "train";
        trainLine.MarkerSize = train.Count == 1 ? 5 : 0;
        trainLine.LineWidth = 2;
        if (val is not null)
        {
            var valLine = plot.Add.Scatter(epochs, val.Select(Y).ToArray());
            valLine.LegendText = "validation";
            valLine.MarkerSize = val.Count == 1 ? 5 : 0;
            valLine.LineWidth = 2;
        }
        if (optimum is { } opt)
        {
            var line = plot.Add.HorizontalLine(Y(opt));
            line.LinePattern = LinePattern.Dashed;
            line.LegendText = $"least-squares optimum ({LinearModel.Number(opt)})";
        }
        if (log)
        {
            plot.Axes.Left.TickGenerator = new NumericAutomatic
            {
                MinorTickGenerator = new LogMinorTickGenerator(),
                IntegerTicksOnly = true,
                LabelFormatter = y => LinearModel.Number(Math.Pow(10, y)),
            };
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(log ? "loss (MSE, log scale)" : "loss (MSE)");
        plot.ShowLegend(Alignment.UpperRight);

        // --plot has checked the ending; PNG for any other name given here directly.
        var draw = Formats.GetValueOrDefault(Path.GetExtension(path).ToLowerInvariant(), Formats[".png"]);
        var bytes = draw(plot);
        OutputFile.Write(path, "--plot", "the plot", stream => stream.Write(bytes));
    }
}
