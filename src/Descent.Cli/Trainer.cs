using System.Diagnostics;
using Descent.Data;
using Descent.IO;
using Descent.NN;
using Descent.Optim;

namespace Descent.Cli;

/// <summary>The hyper-parameters of a <c>descent train</c> run (see <see cref="Commands.TrainCommand"/> for the defaults).</summary>
internal sealed record TrainSettings(
    int Epochs, double Lr, int? BatchSize, bool Shuffle, long Seed, string Optimizer,
    double Momentum, double WeightDecay, bool Nesterov, bool Standardize, double ValSplit);

/// <summary>What one finished epoch reports to the progress display.</summary>
internal sealed record EpochReport(int Epoch, int Epochs, double Loss, double? ValLoss, TimeSpan Elapsed);

/// <summary>How a training run ended.</summary>
internal enum TrainOutcome { Completed, Diverged, Interrupted }

/// <summary>The result of a training run: the loss history and the model of the last completed epoch, in raw units.</summary>
internal sealed record TrainResult(
    TrainOutcome Outcome, IReadOnlyList<double> Losses, IReadOnlyList<double>? ValLosses, LinearModel Model,
    Scaling Scaling, Tensor TrainFeatures, Tensor TrainTargets, TimeSpan Elapsed, int BatchSize, int TrainRows, int ValRows,
    int? DivergedEpoch);

/// <summary>
/// The training loop of <c>descent train</c>: <c>Linear</c>, <c>MseLoss</c>, <c>Sgd</c> or <c>Adam</c> and a
/// <c>DataLoader</c>, exactly as a PyTorch script would run them, on data standardized unless asked otherwise.
/// </summary>
/// <remarks>
/// An epoch's loss is the mean of the per-row losses seen during the epoch, each computed before its batch's update
/// (for full-batch training, the loss before the epoch's update, as the lesson prints it), in raw target units.
/// The loop stops at once on a non-finite loss or weight, and after the current batch when cancelled; the model it
/// returns is always that of the last completed epoch.
/// </remarks>
internal static class Trainer
{
    public static TrainResult Run(CsvData data, TrainSettings s, LinearModel? init, CancellationToken cancel, Action<EpochReport> onEpoch, Action<int>? afterBatch = null)
    {
        var generator = new Generator(s.Seed);
        int features = data.FeatureNames.Count, targets = data.TargetNames.Count;
        var model = new Linear(features, targets, generator: generator);

        var (train, val) = Split(data, s.ValSplit, generator);
        var xTrain = data.Features.IndexSelect(0, train);
        var yTrain = data.Targets.IndexSelect(0, train);
        var scaling = s.Standardize ? Scaling.Fit(xTrain, yTrain) : Scaling.Identity(features, targets);
        var xs = scaling.ScaleFeatures(xTrain);
        var ys = scaling.ScaleTargets(yTrain);
        Tensor? xsVal = val is null ? null : scaling.ScaleFeatures(data.Features.IndexSelect(0, val));
        Tensor? ysVal = val is null ? null : scaling.ScaleTargets(data.Targets.IndexSelect(0, val));
        var targetStd = Tensor.FromSpan<double>(scaling.TargetStd, targets).To(DType.Float32);

        if (init is not null) Load(model, init, scaling);
        Optimizer optimizer = s.Optimizer == "sgd"
            ? new Sgd(model.Parameters(), s.Lr, s.Momentum, weightDecay: s.WeightDecay, nesterov: s.Nesterov)
            : new Adam(model.Parameters(), s.Lr, weightDecay: s.WeightDecay);
        int rows = xs.Size(0);
        int batchSize = Math.Min(s.BatchSize ?? rows, rows);
        // One batch of all rows gives the same gradient in any order: shuffling it would only cost a gather per epoch.
        var loader = new DataLoader(new TensorDataset(xs, ys), batchSize, shuffle: s.Shuffle && batchSize < rows, generator: generator);

        var losses = new List<double>();
        var valLosses = val is null ? null : new List<double>();
        var last = RawModel(model, scaling, data);
        var clock = Stopwatch.StartNew();
        TrainResult Result(TrainOutcome outcome, int? diverged = null) =>
            new(outcome, losses, valLosses, last, scaling, xTrain, yTrain, clock.Elapsed, batchSize, rows, ysVal?.Size(0) ?? 0, diverged);

        for (int epoch = 1; epoch <= s.Epochs; epoch++)
        {
            double sum = 0;
            int seen = 0, batch = 0;
            foreach (var (x, y) in loader)
            {
                var predictions = model.Forward(x);
                var loss = Functional.MseLoss(predictions, y);
                double rowLoss = scaling.IsIdentity ? loss.Item() : RawLoss(predictions, y, targetStd);
                if (!double.IsFinite(rowLoss) || !double.IsFinite(loss.Item())) return Result(TrainOutcome.Diverged, epoch);
                sum += rowLoss * x.Size(0);
                seen += x.Size(0);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                afterBatch?.Invoke(++batch);
                if (cancel.IsCancellationRequested && seen < rows) return Result(TrainOutcome.Interrupted);
            }
            if (!AllFinite(model)) return Result(TrainOutcome.Diverged, epoch);
            losses.Add(sum / seen);
            if (xsVal is not null)
            {
                using (Tensor.NoGrad())
                    valLosses!.Add(RawLoss(model.Forward(xsVal), ysVal!, targetStd));
            }
            last = RawModel(model, scaling, data);
            onEpoch(new EpochReport(epoch, s.Epochs, losses[^1], valLosses?[^1], clock.Elapsed));
            if (cancel.IsCancellationRequested && epoch < s.Epochs) return Result(TrainOutcome.Interrupted);
        }
        return Result(TrainOutcome.Completed);
    }

    // Training rows in file order and validation rows, picked at random by the seed as PyTorch's random_split does.
    private static (Tensor Train, Tensor? Val) Split(CsvData data, double fraction, Generator generator)
    {
        int n = data.Rows;
        if (fraction <= 0) return (Tensor.Arange(n), null);
        int valRows = (int)Math.Round(n * fraction);
        if (valRows < 1 || valRows >= n)
            throw new CliException($"--val-split {fraction} of {n} rows leaves {n - valRows} training and {valRows} validation rows; both need at least one");
        var subsets = Dataset.RandomSplit(new TensorDataset(data.Features), [n - valRows, valRows], generator);
        Tensor Sorted(Subset<Tensor[]> subset) => Tensor.From(subset.Indices.Order().Select(i => (long)i).ToArray());
        return (Sorted(subsets[0]), Sorted(subsets[1]));
    }

    private static void Load(Linear model, LinearModel init, Scaling scaling)
    {
        var (w, b) = scaling.FromRaw(init.Weight, init.Bias);
        using (Tensor.NoGrad())
        {
            model.Weight.CopyInPlace(Tensor.From(w).To(DType.Float32));
            model.Bias!.CopyInPlace(Tensor.From(b).To(DType.Float32));
        }
    }

    // The loss in raw target units of a batch predicted in standardized units: errors scale back by each target's std.
    private static double RawLoss(Tensor predictions, Tensor targets, Tensor targetStd)
    {
        using (Tensor.NoGrad())
            return ((predictions.Detach() - targets) * targetStd).Square().Mean().Item();
    }

    private static bool AllFinite(Linear model) =>
        model.Parameters().All(p => p.Detach().To(DType.Float64).ToArray<double>().All(double.IsFinite));

    private static LinearModel RawModel(Linear model, Scaling scaling, CsvData data)
    {
        var w = (double[,])model.Weight.Detach().To(DType.Float64).ToArray();
        var b = model.Bias!.Detach().To(DType.Float64).ToArray<double>();
        var (rw, rb) = scaling.ToRaw(w, b);
        return new LinearModel(rw, rb, data.FeatureNames, data.TargetNames);
    }
}
