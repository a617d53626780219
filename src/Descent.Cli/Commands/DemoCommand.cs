using System.CommandLine;
using System.Globalization;
using Descent.Data;
using Descent.IO;
using Descent.NN;
using Descent.Optim;

namespace Descent.Cli.Commands;

/// <summary>
/// <c>descent demo</c>: the linear-regression lesson replayed on the built-in apples and oranges data, each step
/// introduced by one line that says what it is. Seeded, so it prints the same numbers every time.
/// </summary>
internal static class DemoCommand
{
    private const double LessonLr = 1e-5;
    private const int LessonEpochs = 100;

    public static Command Create(CliConsole console)
    {
        var command = new Command("demo", "Replay the linear-regression lesson on the built-in apples and oranges data: tensors, a hand-written training loop, the same with Linear, DataLoader, MseLoss and Sgd, and the exact least-squares answer.");
        command.SetAction(_ => Run(console.Out));
        return command;
    }

    /// <summary>The lesson's data, embedded: 15 regions with temp, rainfall, humidity, apples, oranges.</summary>
    internal static CsvData LoadData()
    {
        using var stream = typeof(DemoCommand).Assembly.GetManifestResourceStream("apples_oranges.csv")
            ?? throw new InvalidOperationException("the demo data is missing from the assembly");
        return Csv.Read(stream, new CsvOptions { Targets = ["apples", "oranges"] }, "apples_oranges.csv");
    }

    // One long method on purpose: it reads top to bottom as the lesson does, each step under the line that announces
    // it, and the lesson's names (w, b, loss, model) stay in scope from the step that makes them to the one that uses them.
    private static int Run(TextWriter o)
    {
        var data = LoadData();
        o.WriteLine("Descent demo: linear regression by gradient descent, as in the lesson. Crop yields of apples and oranges");
        o.WriteLine("(tons per hectare) in regions with a given temperature (°F), rainfall (mm) and humidity (%).");

        Step(o, 1, "The data as tensors: each row is a region; the inputs are its 3 features, the targets its 2 yields.");
        var inputs = data.Features.Narrow(0, 0, 5).Contiguous();
        var targets = data.Targets.Narrow(0, 0, 5).Contiguous();
        Show(o, "inputs (5 regions x temp, rainfall, humidity)", inputs);
        Show(o, "targets (5 regions x apples, oranges)", targets);

        Step(o, 2, "The model: apples = w11*temp + w12*rainfall + w13*humidity + b1, oranges likewise; as matrices, predictions = inputs @ w.T + b.");
        o.WriteLine("   The weights w (2 targets x 3 features) and biases b (2) start as random numbers, with gradients tracked.");
        var generator = new Generator(42);
        var w = Tensor.RandN([2, 3], requiresGrad: true, generator: generator);
        var b = Tensor.RandN([2], requiresGrad: true, generator: generator);
        Show(o, "w", w.Detach());
        Show(o, "b", b.Detach());
        Tensor Model(Tensor x) => x.MatMul(w.T) + b;

        Step(o, 3, "Predictions of the random model, next to the targets: far off, because the weights are random.");
        Show(o, "predictions", Model(inputs).Detach());

        Step(o, 4, "The loss says how far off: the mean squared error, the average of (prediction - target)² over all 10 entries.");
        static Tensor Mse(Tensor p, Tensor t)
        {
            var diff = p - t;
            return (diff * diff).Sum() / diff.Numel();
        }
        var loss = Mse(Model(inputs), targets);
        o.WriteLine($"   loss = {Num(loss.Item())}");

        Step(o, 5, "Gradients: loss.Backward() fills w.Grad and b.Grad with d(loss)/d(weight); a positive gradient means a smaller weight lowers the loss.");
        loss.Backward();
        Show(o, "w.Grad", w.Grad!);
        Show(o, "b.Grad", b.Grad!);

        Step(o, 6, $"Gradient descent by hand: {LessonEpochs} epochs of w.SubInPlace(w.Grad * {LessonLr:0e0}), the same for b, then zero the gradients (inside NoGrad, so the update is not tracked).");
        w.Grad!.ZeroInPlace();
        b.Grad!.ZeroInPlace();
        double first = 0, last = 0;
        for (int epoch = 0; epoch < LessonEpochs; epoch++)
        {
            loss = Mse(Model(inputs), targets);
            last = loss.Item();
            if (epoch == 0) first = last;
            if (epoch % 10 == 0 || epoch == LessonEpochs - 1) o.WriteLine($"   epoch {epoch,2}: loss {Num(last)}");
            loss.Backward();
            using (Tensor.NoGrad())
            {
                w.SubInPlace(w.Grad! * LessonLr);
                b.SubInPlace(b.Grad! * LessonLr);
                w.Grad!.ZeroInPlace();
                b.Grad!.ZeroInPlace();
            }
        }
        o.WriteLine($"   The loss fell from {Num(first)} to {Num(last)}: each step is small because the learning rate is.");

        Step(o, 7, "The same with the library, on all 15 regions: Linear(3, 2) holds w and b, MseLoss is the loss, Sgd does the update, and a DataLoader deals shuffled batches of 5.");
        var x = data.Features;
        var y = data.Targets;
        var model = new Linear(3, 2, generator: generator);
        var optimizer = new Sgd(model.Parameters(), lr: LessonLr);
        var loader = new DataLoader(new TensorDataset(x, y), batchSize: 5, shuffle: true, generator: generator);
        o.WriteLine($"   {model}");
        for (int epoch = 1; epoch <= LessonEpochs; epoch++)
        {
            foreach (var (xb, yb) in loader)
            {
                var batchLoss = Functional.MseLoss(model.Forward(xb), yb);
                optimizer.ZeroGrad();
                batchLoss.Backward();
                optimizer.Step();
            }
            if (epoch % 20 == 0 || epoch == 1)
            {
                using (Tensor.NoGrad())
                    o.WriteLine($"   epoch {epoch,3}: loss {Num(Functional.MseLoss(model.Forward(x), y).Item())}");
            }
        }

        Step(o, 8, "Predictions of the trained model next to the targets, region by region:");
        Tensor predictions;
        using (Tensor.NoGrad()) predictions = model.Forward(x);
        var p = predictions.ToArray<float>();
        var t = y.ToArray<float>();
        o.WriteLine("   apples: predicted (actual)          oranges: predicted (actual)");
        for (int i = 0; i < x.Size(0); i++)
            o.WriteLine($"   {Num(p[2 * i]),8} ({t[2 * i],3})                    {Num(p[2 * i + 1]),8} ({t[2 * i + 1],3})");
        double gdLoss = Metrics.Mse(predictions, y);

        Step(o, 9, "Use the model on a region it has not seen: temp 75, rainfall 63, humidity 44.");
        var unseen = Tensor.From(new float[,] { { 75, 63, 44 } });
        Tensor guess;
        using (Tensor.NoGrad()) guess = model.Forward(unseen);
        o.WriteLine($"   apples {Num(guess[0, 0].Item())}, oranges {Num(guess[0, 1].Item())} tons per hectare");

        Step(o, 10, "For comparison, the exact answer: least squares (Linalg.Lstsq, in float64) finds the weights with the lowest possible loss.");
        var (best, optimum, _) = LeastSquares.Fit(x, y, data.FeatureNames, data.TargetNames);
        foreach (var equation in best.Equations()) o.WriteLine("   " + equation);
        var exact = best.Predict(unseen);
        o.WriteLine($"   lowest possible loss {Num(optimum)}; gradient descent above reached {Num(gdLoss)}");
        o.WriteLine($"   for the unseen region: apples {Num(exact[0, 0].Item())}, oranges {Num(exact[0, 1].Item())}");
        o.WriteLine();
        o.WriteLine("With raw inputs in the tens and a learning rate this small, gradient descent is still far from the optimum after");
        o.WriteLine("100 epochs. 'descent train' standardizes the columns first and gets there in a fraction of a second:");
        o.WriteLine("   descent train --data apples_oranges.csv --target apples,oranges --save model.safetensors");
        o.WriteLine("   descent solve --data apples_oranges.csv --target apples,oranges");
        return ExitCodes.Success;
    }

    private static void Step(TextWriter o, int number, string text)
    {
        o.WriteLine();
        o.WriteLine($"{number}. {text}");
    }

    private static void Show(TextWriter o, string name, Tensor value)
    {
        o.WriteLine($"   {name} =");
        foreach (var line in value.ToString().Split('\n')) o.WriteLine("     " + line);
    }

    private static string Num(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
