// Longer than the usual ~400 lines on purpose: one test per answer of docs/lesson.md, in the document's order,
// so that a reader can find the code of any question next to its neighbours.
using Descent.Data;
using Descent.IO;
using Descent.NN;
using Descent.Optim;
using Xunit;

namespace Descent.Tests.Docs;

/// <summary>Tests that write to <see cref="Console"/> run alone, so no other test's output lands in their capture.</summary>
[CollectionDefinition(nameof(ConsoleCollection), DisableParallelization = true)]
public sealed class ConsoleCollection;

/// <summary>
/// Runs the code of docs/lesson.md. Each snippet lives here between <c>// begin-snippet: name</c> and
/// <c>// end-snippet</c>; <see cref="EveryBlockOfTheLessonIsTested"/> checks that the document shows exactly
/// that text, and each test checks what the lesson's prose claims about its snippet and what it prints.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public class LessonDocTests
{
    private const string LessonPath = "docs/lesson.md";
    private const string SourcePath = "tests/Descent.Tests/Docs/LessonDocTests.cs";
    private static readonly Lazy<List<DocSnippets.Block>> Blocks = new(() => DocSnippets.ReadBlocks(LessonPath));

    [Fact]
    public void EveryBlockOfTheLessonIsTested()
    {
        var snippets = DocSnippets.ReadSnippets(SourcePath);
        var source = DocSnippets.ReadRepoFile(SourcePath);
        var shown = new HashSet<string>();
        foreach (var block in Blocks.Value)
        {
            string where = $"{LessonPath}:{block.Line} ({block.Kind} '{block.Name}')";
            Assert.True(snippets.ContainsKey(block.Name), $"{where}: no snippet of that name in {SourcePath}");
            if (block.Kind == "snippet")
            {
                Assert.True(shown.Add(block.Name), $"{where}: the snippet is shown twice");
                Assert.True(snippets[block.Name] == block.Text, $"{where}: the document's code differs from the test's:\n--- document\n{block.Text}\n--- test\n{snippets[block.Name]}");
            }
            else
            {
                Assert.True(shown.Contains(block.Name), $"{where}: an output block must follow its snippet");
                Assert.Contains($"AssertPrinted(\"{block.Name}\"", source);
            }
        }
        Assert.Empty(snippets.Keys.Except(shown));
    }

    /// <summary>Asserts that what the snippet printed is what the lesson shows under it (and that it shows something if it printed).</summary>
    private static void AssertPrinted(string name, ConsoleCapture console)
    {
        var block = Blocks.Value.SingleOrDefault(b => b.Kind == "output" && b.Name == name);
        if (block is null)
        {
            Assert.True(console.Text.Length == 0, $"snippet '{name}' printed output that {LessonPath} does not show:\n{console.Text}");
            return;
        }
        DocSnippets.AssertSameOutput(block.Text, console.Text, $"{LessonPath}:{block.Line}");
    }

    // The lesson's data and the model of its first half, as the document's earlier answers define them.
    private static Tensor Inputs() => Tensor.From(new float[,] { { 73, 67, 43 }, { 91, 88, 64 }, { 87, 134, 58 }, { 102, 43, 37 }, { 69, 96, 70 } });

    private static Tensor Targets() => Tensor.From(new float[,] { { 56, 70 }, { 81, 101 }, { 119, 133 }, { 22, 37 }, { 103, 119 } });

    private static (Tensor W, Tensor B) InitialWeights()
    {
        var generator = new Generator(42);
        return (Tensor.RandN([2, 3], requiresGrad: true, generator: generator), Tensor.RandN([2], requiresGrad: true, generator: generator));
    }

    private static Tensor Mse(Tensor predictions, Tensor targets)
    {
        var diff = predictions - targets;
        return (diff * diff).Sum() / diff.Numel();
    }

    // The second half: all 15 rows of the data set, a seeded nn.Linear(3, 2) and shuffled batches of 5.
    private static readonly string DataPath = Path.Combine(DocSnippets.RepoRoot, "samples", "data", "apples_oranges.csv");

    private static (Tensor Inputs, Tensor Targets) AllRows()
    {
        var data = Csv.Load(DataPath, "apples", "oranges");
        return (data.Features, data.Targets);
    }

    private static DataLoader Loader(Tensor inputs, Tensor targets) =>
        new(new TensorDataset(inputs, targets), batchSize: 5, shuffle: true, generator: new Generator(7));

    /// <summary>Question 44's training, without its printing: 100 epochs of Sgd(lr 1e-5) over the loader's batches.</summary>
    private static Linear TrainedModel(Tensor inputs, Tensor targets)
    {
        var model = new Linear(3, 2, generator: new Generator(42));
        var opt = new Sgd(model.Parameters(), lr: 1e-5);
        var loader = Loader(inputs, targets);
        for (int epoch = 0; epoch < 100; epoch++)
            foreach (var (xb, yb) in loader)
            {
                Functional.MseLoss(model.Forward(xb), yb).Backward();
                opt.Step();
                opt.ZeroGrad();
            }
        return model;
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance = 1e-4)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var e = expected.To(DType.Float64).ToArray<double>();
        var a = actual.To(DType.Float64).ToArray<double>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tolerance * Math.Max(1, Math.Abs(e[i])), $"element {i}: expected {e[i]}, got {a[i]}");
    }

    [Fact]
    public void Q04_TabularData()
    {
        using var console = new ConsoleCapture();
        // begin-snippet: tabular-data
        // One row per region: temperature (°F), rainfall (mm), humidity (%).
        var inputs = Tensor.From(new float[,]
        {
            { 73, 67, 43 },
            { 91, 88, 64 },
            { 87, 134, 58 },
            { 102, 43, 37 },
            { 69, 96, 70 },
        });
        // The same regions' yields: apples, oranges (tons per hectare).
        var targets = Tensor.From(new float[,]
        {
            { 56, 70 },
            { 81, 101 },
            { 119, 133 },
            { 22, 37 },
            { 103, 119 },
        });
        Console.WriteLine($"inputs: {inputs.Size(0)} rows x {inputs.Size(1)} columns of {inputs.DType}");
        Console.WriteLine($"targets: {targets.Size(0)} rows x {targets.Size(1)} columns of {targets.DType}");
        Console.WriteLine(inputs[0]);        // the first region
        Console.WriteLine(inputs[.., 1]);    // the rainfall column
        // end-snippet
        AssertPrinted("tabular-data", console);
        Assert.Equal([5, 3], inputs.Shape.ToArray());
        Assert.Equal([5, 2], targets.Shape.ToArray());
        Assert.Equal(DType.Float32, inputs.DType);
        AssertClose(Inputs(), inputs);
        AssertClose(Targets(), targets);
    }

    [Fact]
    public void Q04_Csv()
    {
        using var console = new ConsoleCapture();
        string path = DataPath;
        // begin-snippet: csv
        var data = Csv.Load(path, "apples", "oranges");   // the targets by name; every other column is an input
        Console.WriteLine($"inputs:  {string.Join(", ", data.FeatureNames)}: {data.Features.Size(0)} x {data.Features.Size(1)}");
        Console.WriteLine($"targets: {string.Join(", ", data.TargetNames)}: {data.Targets.Size(0)} x {data.Targets.Size(1)}");
        // end-snippet
        AssertPrinted("csv", console);
        Assert.Equal(["temp", "rainfall", "humidity"], data.FeatureNames);
        Assert.Equal(["apples", "oranges"], data.TargetNames);
        // Its first five rows are the lesson's first half.
        AssertClose(Inputs(), data.Features[..5], 0);
        AssertClose(Targets(), data.Targets[..5], 0);
    }

    [Fact]
    public void Q07_RandomWeights()
    {
        using var console = new ConsoleCapture();
        var inputs = Inputs();
        var targets = Targets();
        // begin-snippet: random-weights
        int features = inputs.Size(1), outputs = targets.Size(1);   // 3 and 2
        var generator = new Generator(42);   // a fixed seed: the same "random" numbers on every run
        var w = Tensor.RandN([outputs, features], requiresGrad: true, generator: generator);
        var b = Tensor.RandN([outputs], requiresGrad: true, generator: generator);
        Console.WriteLine(w);
        Console.WriteLine(b);
        // end-snippet
        AssertPrinted("random-weights", console);
        Assert.Equal([2, 3], w.Shape.ToArray());
        Assert.Equal([2], b.Shape.ToArray());
        Assert.True(w.IsLeaf && w.RequiresGrad && b.IsLeaf && b.RequiresGrad);
        var (w0, b0) = InitialWeights();
        AssertClose(w0, w, 0);
        AssertClose(b0, b, 0);
    }

    [Fact]
    public void Q08_ModelAsMatrixProduct()
    {
        using var console = new ConsoleCapture();
        // begin-snippet: model-by-hand
        var x = Tensor.From(new float[,] { { 73, 67, 43 } });   // one region: shape [1, 3]
        var w = Tensor.From(new float[,]
        {
            { 0.5f, 0.25f, 0.1f },   // apples' weights for temp, rainfall, humidity
            { 0.2f, 0.6f, 0.3f },    // oranges' weights
        });                          // shape [2, 3]
        var b = Tensor.From(new float[] { 1, 2 });              // shape [2]
        var y = x.MatMul(w.T) + b;   // [1, 3] @ [3, 2] -> [1, 2], then b is added to every row
        Console.WriteLine(y);
        // apples:  73*0.5 + 67*0.25 + 43*0.1 + 1 = 58.55
        // oranges: 73*0.2 + 67*0.6  + 43*0.3 + 2 = 69.7
        // end-snippet
        AssertPrinted("model-by-hand", console);
        Assert.Equal([1, 2], y.Shape.ToArray());
        AssertClose(Tensor.From(new double[,] { { 58.55, 69.7 } }), y, 1e-6);
    }

    [Fact]
    public void Q09_Predictions()
    {
        using var console = new ConsoleCapture();
        var inputs = Inputs();
        var targets = Targets();
        var (w, b) = InitialWeights();
        // begin-snippet: predictions
        Tensor Model(Tensor x) => x.MatMul(w.T) + b;

        var predictions = Model(inputs);   // [5, 3] @ [3, 2] + [2] -> [5, 2]: one row per region
        Console.WriteLine(predictions);
        Console.WriteLine(targets);
        // end-snippet
        AssertPrinted("predictions", console);
        Assert.Equal(targets.Shape.ToArray(), predictions.Shape.ToArray());
        // Row i, column j is the dot product of region i's inputs with target j's weights, plus its bias.
        var expected = new double[5, 2];
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 2; j++)
            {
                double sum = b[j].Item();
                for (int k = 0; k < 3; k++) sum += inputs[i, k].Item() * w[j, k].Item();
                expected[i, j] = sum;
            }
        AssertClose(Tensor.From(expected), predictions, 1e-5);
    }

    [Fact]
    public void Q13_MeanSquaredError()
    {
        using var console = new ConsoleCapture();
        var inputs = Inputs();
        var targets = Targets();
        var (w, b) = InitialWeights();
        Tensor Model(Tensor x) => x.MatMul(w.T) + b;
        // begin-snippet: mse
        static Tensor Mse(Tensor predictions, Tensor targets)
        {
            var diff = predictions - targets;            // the errors, one per entry
            return (diff * diff).Sum() / diff.Numel();   // squared, summed, divided by the number of entries
        }

        // By hand: errors 0, 2, -2, 0; squares 0, 4, 4, 0; mean 8 / 4 = 2.
        var small = Mse(Tensor.From(new float[,] { { 1, 2 }, { 3, 4 } }), Tensor.From(new float[,] { { 1, 0 }, { 5, 4 } }));
        Console.WriteLine(small);

        var loss = Mse(Model(inputs), targets);
        Console.WriteLine(loss);
        Console.WriteLine($"root mean squared error: {Math.Sqrt(loss.Item()):F1} tons per hectare");
        // end-snippet
        AssertPrinted("mse", console);
        Assert.Equal(2f, small.Item<float>());
        Assert.Equal(0, loss.Dim);
        AssertClose((Model(inputs) - targets).Square().Mean(), loss, 1e-6);
    }

    [Fact]
    public void Q14_Backward()
    {
        using var console = new ConsoleCapture();
        var inputs = Inputs();
        var targets = Targets();
        var (w, b) = InitialWeights();
        Tensor Model(Tensor x) => x.MatMul(w.T) + b;
        // begin-snippet: backward
        var loss = Mse(Model(inputs), targets);
        Console.WriteLine(loss.GradFn);           // the last recorded operation: the division by 10
        Console.WriteLine(w.Grad is null);        // no gradient yet
        loss.Backward();
        Console.WriteLine(w.Grad);                // dLoss/dw: the same shape as w, [2, 3]
        Console.WriteLine(b.Grad);                // dLoss/db: the same shape as b, [2]
        // end-snippet
        AssertPrinted("backward", console);
        Assert.Equal(w.Shape.ToArray(), w.Grad!.Shape.ToArray());
        Assert.Equal(b.Shape.ToArray(), b.Grad!.Shape.ToArray());
        // A second backward through the same graph fails: the graph was freed.
        Assert.Throws<InvalidOperationException>(() => loss.Backward());
    }

    [Fact]
    public void Q15_GradientByHand()
    {
        using var console = new ConsoleCapture();
        var inputs = Inputs();
        var targets = Targets();
        var (w, b) = InitialWeights();
        Tensor Model(Tensor x) => x.MatMul(w.T) + b;
        Mse(Model(inputs), targets).Backward();
        // begin-snippet: gradient-by-hand
        using (Tensor.NoGrad())
        {
            var diff = Model(inputs) - targets;                           // [5, 2]
            var dW = diff.T.MatMul(inputs) * (2.0 / diff.Numel());        // [2, 5] @ [5, 3] -> [2, 3]
            var dB = diff.Sum(0) * (2.0 / diff.Numel());                  // [2]
            Console.WriteLine(dW);
            Console.WriteLine(dB);
        }
        // end-snippet
        AssertPrinted("gradient-by-hand", console);
        using (Tensor.NoGrad())
        {
            var diff = Model(inputs) - targets;
            AssertClose(diff.T.MatMul(inputs) * 0.2, w.Grad!);
            AssertClose(diff.Sum(0) * 0.2, b.Grad!);
        }
    }

    [Fact]
    public void Q16_NudgeOneWeight()
    {
        using var console = new ConsoleCapture();
        var inputs = Inputs();
        var targets = Targets();
        var (w, b) = InitialWeights();
        Tensor Model(Tensor x) => x.MatMul(w.T) + b;
        Mse(Model(inputs), targets).Backward();   // question 14
        // begin-snippet: nudge-one-weight
        double slope = w.Grad![1, 2].Item();   // dLoss/dw[1,2], oranges' weight for humidity, from question 14
        double before = Mse(Model(inputs), targets).Item();
        Console.WriteLine($"dLoss/dw[1,2] = {slope:F1}, loss = {before:F1}");
        foreach (double step in new[] { +0.01, -0.01 })
        {
            using (Tensor.NoGrad()) w[1, 2].AddInPlace(step);
            double after = Mse(Model(inputs), targets).Item();
            using (Tensor.NoGrad()) w[1, 2].SubInPlace(step);   // put it back
            Console.WriteLine($"w[1,2] {step:+0.00;-0.00}: the loss changes by {after - before:F1}; slope x step = {slope * step:F1}");
        }
        // end-snippet
        AssertPrinted("nudge-one-weight", console);
        // The gradient is negative, so increasing the weight lowers the loss and decreasing it raises it.
        Assert.True(slope < 0);
        double Loss(double delta)
        {
            using var _ = Tensor.NoGrad();
            w[1, 2].AddInPlace(delta);
            double l = Mse(Model(inputs), targets).Item();
            w[1, 2].SubInPlace(delta);
            return l;
        }
        Assert.True(Loss(0.01) < before && Loss(-0.01) > before);
        // The first-order prediction, slope x step, is accurate to 1% for a step this small.
        Assert.True(Math.Abs((Loss(0.01) - before) / (0.01 * slope) - 1) < 0.01);
    }

    [Fact]
    public void Q19_UpdateStep()
    {
        using var console = new ConsoleCapture();
        var inputs = Inputs();
        var targets = Targets();
        var (w, b) = InitialWeights();
        Tensor Model(Tensor x) => x.MatMul(w.T) + b;
        var w0 = w.Detach().Clone();
        // begin-snippet: update-step
        const double lr = 1e-5;                    // the learning rate
        var loss = Mse(Model(inputs), targets);
        loss.Backward();
        using (Tensor.NoGrad())
        {
            w.SubInPlace(w.Grad! * lr);            // w <- w - lr * dLoss/dw
            b.SubInPlace(b.Grad! * lr);            // b <- b - lr * dLoss/db
            w.Grad!.ZeroInPlace();                 // ready for the next backward
            b.Grad!.ZeroInPlace();
        }
        Console.WriteLine($"loss before the step: {loss.Item():F2}");
        Console.WriteLine($"loss after the step:  {Mse(Model(inputs), targets).Item():F2}");
        // end-snippet
        AssertPrinted("update-step", console);
        Assert.True(Mse(Model(inputs), targets).Item() < loss.Item());
        Assert.True(w.IsLeaf && w.RequiresGrad);
        Assert.Equal(0.0, w.Grad!.Abs().Sum().Item());
        // The step moved each weight by exactly -lr times its gradient.
        var (wa, ba) = InitialWeights();
        Mse(inputs.MatMul(wa.T) + ba, targets).Backward();
        AssertClose(w0 - wa.Grad! * lr, w.Detach(), 1e-6);
    }

    [Fact]
    public void Q19_TheNotebooksUpdate()
    {
        using var console = new ConsoleCapture();
        var inputs = Inputs();
        var targets = Targets();
        var (w, b) = InitialWeights();
        Tensor Model(Tensor x) => x.MatMul(w.T) + b;
        var w0 = w.Detach().Clone();
        // begin-snippet: notebook-update
        const double learningRate = 3e-5;
        double first = 0, last = 0;
        for (int epoch = 0; epoch < 100; epoch++)
        {
            var loss = Mse(Model(inputs), targets);
            if (epoch == 0) first = loss.Item();
            last = loss.Item();
            loss.Backward();
            using (Tensor.NoGrad())
            {
                w.SubInPlace(w * learningRate);    // the notebook's step: w, not w.Grad!
                b.SubInPlace(b * learningRate);
            }
        }
        Console.WriteLine($"loss: {first:F2} -> {last:F2}, {100 * (first - last) / first:F2}% lower after 100 epochs");
        Console.WriteLine($"every weight was multiplied by (1 - lr)^100 = {Math.Pow(1 - learningRate, 100):F6}");
        // end-snippet
        AssertPrinted("notebook-update", console);
        Assert.True(last < first && (first - last) / first < 0.01);
        AssertClose(w0 * Math.Pow(1 - 3e-5, 100), w.Detach(), 1e-5);
        // The gradients it never used, nor zeroed, piled up: 100 backward passes summed.
        Assert.True(w.Grad!.Abs().Max().Item() > 100 * 10_000);
    }

    [Fact]
    public void Q23_NoGrad()
    {
        using var console = new ConsoleCapture();
        var inputs = Inputs();
        var (w, b) = InitialWeights();
        Tensor Model(Tensor x) => x.MatMul(w.T) + b;
        // begin-snippet: no-grad
        try
        {
            w.SubInPlace(0.001);                    // an update outside NoGrad
        }
        catch (InvalidOperationException e)
        {
            Console.WriteLine(e.Message);
        }
        using (Tensor.NoGrad())
        {
            w.SubInPlace(0.001);                    // allowed: not recorded
            var predictions = Model(inputs);        // not recorded either: no graph is kept
            Console.WriteLine($"requires grad: {predictions.RequiresGrad}, recorded: {predictions.GradFn is not null}");
        }
        var stepped = w - 0.001;                    // out of place, with grad on: a new, recorded tensor
        Console.WriteLine($"leaf: {stepped.IsLeaf}, recorded as: {stepped.GradFn}");
        // end-snippet
        AssertPrinted("no-grad", console);
        Assert.False(stepped.IsLeaf);
        var (w0, _) = InitialWeights();
        AssertClose(w0 - 0.001, w.Detach(), 1e-6);
        Assert.True(Tensor.IsGradEnabled);
    }

    [Fact]
    public void Q24_GradientsAccumulate()
    {
        using var console = new ConsoleCapture();
        var inputs = Inputs();
        var targets = Targets();
        var (w, b) = InitialWeights();
        Tensor Model(Tensor x) => x.MatMul(w.T) + b;
        // begin-snippet: gradients-accumulate
        Mse(Model(inputs), targets).Backward();
        Console.WriteLine($"after one backward:  dLoss/dw[1,2] = {w.Grad![1, 2].Item():F1}");
        Mse(Model(inputs), targets).Backward();     // the same loss again, same weights
        Console.WriteLine($"after two backwards: dLoss/dw[1,2] = {w.Grad![1, 2].Item():F1}");
        w.Grad!.ZeroInPlace();
        Console.WriteLine($"after ZeroInPlace:   dLoss/dw[1,2] = {w.Grad![1, 2].Item():F1}");
        // end-snippet
        AssertPrinted("gradients-accumulate", console);
        var (w1, b1) = InitialWeights();
        Mse(inputs.MatMul(w1.T) + b1, targets).Backward();
        AssertClose(b1.Grad! * 2, b.Grad!, 1e-6);
    }

    [Fact]
    public void Q25_TrainingLoop()
    {
        using var console = new ConsoleCapture();
        var inputs = Inputs();
        var targets = Targets();
        var (w, b) = InitialWeights();
        Tensor Model(Tensor x) => x.MatMul(w.T) + b;
        var losses = new List<double>();
        // begin-snippet: training-loop
        const double lr = 1e-5;
        for (int epoch = 0; epoch < 100; epoch++)
        {
            var loss = Mse(Model(inputs), targets);     // 1. predict, 2. measure
            loss.Backward();                            // 3. gradients
            using (Tensor.NoGrad())                     // 4. step against the gradients, 5. reset them
            {
                w.SubInPlace(w.Grad! * lr);
                b.SubInPlace(b.Grad! * lr);
                w.Grad!.ZeroInPlace();
                b.Grad!.ZeroInPlace();
            }
            if (epoch % 20 == 0 || epoch == 99) Console.WriteLine($"epoch {epoch,2}: loss {loss.Item():F2}");
            losses.Add(loss.Item());
        }
        // end-snippet
        AssertPrinted("training-loop", console);
        for (int i = 1; i < losses.Count; i++) Assert.True(losses[i] < losses[i - 1], $"epoch {i}: {losses[i]} after {losses[i - 1]}");
        Assert.True(losses[^1] < losses[0] / 50);
        // Still far from the least-squares optimum of these 5 rows, 0.4831 (numpy's lstsq in float64): see Q29.
        Assert.True(losses[^1] > 100 * 0.4831);
    }

    [Fact]
    public void Q22_LearningRates()
    {
        using var console = new ConsoleCapture();
        var inputs = Inputs();
        var targets = Targets();
        var final = new Dictionary<double, double>();
        // begin-snippet: learning-rates
        foreach (double lr in new[] { 1e-6, 1e-5, 1e-4, 2e-4 })
        {
            var generator = new Generator(42);          // the same start as question 7 for each run
            var w = Tensor.RandN([2, 3], requiresGrad: true, generator: generator);
            var b = Tensor.RandN([2], requiresGrad: true, generator: generator);
            double loss = 0;
            for (int epoch = 0; epoch < 100; epoch++)
            {
                var l = Mse(inputs.MatMul(w.T) + b, targets);
                loss = l.Item();
                l.Backward();
                using (Tensor.NoGrad())
                {
                    w.SubInPlace(w.Grad! * lr);
                    b.SubInPlace(b.Grad! * lr);
                    w.Grad = null;                      // another way to reset: the next backward starts afresh
                    b.Grad = null;
                }
            }
            Console.WriteLine($"lr {lr:0e0}: loss after 100 epochs {loss:G6}");
            final[lr] = loss;
        }
        // end-snippet
        AssertPrinted("learning-rates", console);
        Assert.True(final[1e-6] > final[1e-5] && final[1e-5] > final[1e-4]);
        Assert.True(!double.IsFinite(final[2e-4]) || final[2e-4] > 1e6, "lr 2e-4 diverges");
    }

    [Fact]
    public void Q29_StandardizedInputs()
    {
        using var console = new ConsoleCapture();
        var inputs = Inputs();
        var targets = Targets();
        var losses = new List<double>();
        // begin-snippet: standardize
        var mean = inputs.Mean(0);                      // per column: [3]
        var std = inputs.Std(0);
        var scaled = (inputs - mean) / std;             // every column now has mean 0 and standard deviation 1
        var generator = new Generator(42);              // the same start as question 7
        var w = Tensor.RandN([2, 3], requiresGrad: true, generator: generator);
        var b = Tensor.RandN([2], requiresGrad: true, generator: generator);
        const double lr = 0.5;                          // 50,000 times the raw inputs' rate, and stable
        for (int epoch = 0; epoch < 100; epoch++)
        {
            var loss = Mse(scaled.MatMul(w.T) + b, targets);
            loss.Backward();
            using (Tensor.NoGrad())
            {
                w.SubInPlace(w.Grad! * lr);
                b.SubInPlace(b.Grad! * lr);
                w.Grad = null;
                b.Grad = null;
            }
            if (epoch % 20 == 0 || epoch == 99) Console.WriteLine($"epoch {epoch,2}: loss {loss.Item():F2}");
            losses.Add(loss.Item());
        }
        // end-snippet
        AssertPrinted("standardize", console);
        // One mean and one standard deviation per column, and the scaled columns are standard.
        Assert.Equal([3], std.Shape.ToArray());
        AssertClose(Tensor.Zeros(3), scaled.Mean(0), 1e-5);
        AssertClose(Tensor.Ones(3), scaled.Std(0), 1e-5);
        // Within 5% of the least-squares optimum of these 5 rows, 0.4831 (numpy's lstsq in float64), and never below it.
        Assert.InRange(losses[^1], 0.4831 * 0.999, 0.4831 * 1.05);
    }

    [Fact]
    public void Q28_PredictUnseen()
    {
        using var console = new ConsoleCapture();
        var inputs = Inputs();
        var targets = Targets();
        var (w, b) = InitialWeights();
        Tensor Model(Tensor x) => x.MatMul(w.T) + b;
        for (int epoch = 0; epoch < 100; epoch++)
        {
            Mse(Model(inputs), targets).Backward();
            using var _ = Tensor.NoGrad();
            w.SubInPlace(w.Grad! * 1e-5);
            b.SubInPlace(b.Grad! * 1e-5);
            w.Grad = null;
            b.Grad = null;
        }
        // begin-snippet: predict-unseen
        using (Tensor.NoGrad())
        {
            var region = Tensor.From(new float[,] { { 75, 63, 44 } });   // temp, rainfall, humidity: a batch of 1 row
            var yields = Model(region);                                  // [1, 2]: apples, oranges
            Console.WriteLine(yields);
        }
        // end-snippet
        AssertPrinted("predict-unseen", console);
        using (Tensor.NoGrad())
        {
            var yields = Model(Tensor.From(new float[,] { { 75, 63, 44 } }));
            Assert.Equal([1, 2], yields.Shape.ToArray());
            Assert.False(yields.RequiresGrad);
        }
    }

    [Fact]
    public void Q31_TensorDataset()
    {
        using var console = new ConsoleCapture();
        var data = Csv.Load(DataPath, "apples", "oranges");
        // begin-snippet: tensor-dataset
        var inputs = data.Features;                       // all 15 rows: [15, 3]
        var targets = data.Targets;                       // [15, 2]
        var dataset = new TensorDataset(inputs, targets); // PyTorch: TensorDataset(inputs, targets)
        Console.WriteLine($"{dataset.Count} examples");
        var (x, y) = dataset[0];                          // the first example: its inputs and its targets
        Console.WriteLine(x);
        Console.WriteLine(y);
        // end-snippet
        AssertPrinted("tensor-dataset", console);
        for (int i = 0; i < dataset.Count; i++)
        {
            var (xi, yi) = dataset[i];
            AssertClose(inputs[i], xi, 0);
            AssertClose(targets[i], yi, 0);
        }
    }

    [Fact]
    public void Q32_DataLoader()
    {
        using var console = new ConsoleCapture();
        var (inputs, targets) = AllRows();
        var dataset = new TensorDataset(inputs, targets);
        // begin-snippet: data-loader
        var loader = new DataLoader(dataset, batchSize: 5, shuffle: true, generator: new Generator(7));
        Console.WriteLine($"{loader.Count} batches of {loader.BatchSize} per epoch");
        foreach (var (xb, yb) in loader)
        {
            Console.WriteLine(xb);   // [5, 3]: five examples' inputs
            Console.WriteLine(yb);   // [5, 2]: the same five examples' targets
            break;                   // only the first batch
        }
        // end-snippet
        AssertPrinted("data-loader", console);
        Assert.Equal(3, loader.Count);
    }

    [Fact]
    public void Q33_Batches()
    {
        using var console = new ConsoleCapture();
        var (inputs, targets) = AllRows();
        var loader = Loader(inputs, targets);
        // begin-snippet: batches
        for (int epoch = 1; epoch <= 2; epoch++)
        {
            Console.WriteLine($"epoch {epoch}:");
            foreach (var (xb, yb) in loader)
                Console.WriteLine($"  temperatures {string.Join(" ", xb[.., 0].ToArray<float>())}, apples {string.Join(" ", yb[.., 0].ToArray<float>())}");
        }
        // end-snippet
        AssertPrinted("batches", console);
        // Each epoch visits every row once, in a different order, and each row's targets travel with its inputs.
        var seen = new List<string>();
        var again = Loader(inputs, targets);   // the same seed: the same two epochs as above
        for (int epoch = 1; epoch <= 2; epoch++)
            foreach (var (xb, yb) in again)
            {
                Assert.Equal(5, xb.Size(0));
                for (int i = 0; i < xb.Size(0); i++) seen.Add(string.Join(",", xb[i].ToArray<float>().Concat(yb[i].ToArray<float>())));
            }
        var rows = Enumerable.Range(0, 15).Select(i => string.Join(",", inputs[i].ToArray<float>().Concat(targets[i].ToArray<float>()))).Order().ToList();
        Assert.Equal(rows, seen.Take(15).Order().ToList());
        Assert.Equal(rows, seen.Skip(15).Order().ToList());
        Assert.NotEqual(seen.Take(15), seen.Skip(15));
    }

    [Fact]
    public void Q36_Linear()
    {
        using var console = new ConsoleCapture();
        var (inputs, _) = AllRows();
        // begin-snippet: linear
        var model = new Linear(3, 2, generator: new Generator(42));   // PyTorch: nn.Linear(3, 2)
        Console.WriteLine(model);
        var predictions = model.Forward(inputs);    // PyTorch: model(inputs); computes inputs @ Weight.T + Bias
        Console.WriteLine($"predictions: {predictions.Size(0)} x {predictions.Size(1)}");
        // end-snippet
        AssertPrinted("linear", console);
        AssertClose(inputs.MatMul(model.Weight.T) + model.Bias!, predictions, 1e-6);
        double bound = 1 / Math.Sqrt(3);
        Assert.True(model.Weight.Abs().Max().Item() <= bound && model.Bias!.Abs().Max().Item() <= bound);
    }

    [Fact]
    public void Q37_LinearParameters()
    {
        using var console = new ConsoleCapture();
        var model = new Linear(3, 2, generator: new Generator(42));
        // begin-snippet: linear-parameters
        Console.WriteLine(model.Weight);   // [2, 3]: one row per output, one column per input
        Console.WriteLine(model.Bias);     // [2]
        foreach (var (name, parameter) in model.NamedParameters())
            Console.WriteLine($"{name}: {parameter.Numel()} numbers");
        // end-snippet
        AssertPrinted("linear-parameters", console);
        Assert.Equal([model.Weight, model.Bias!], model.Parameters());
        Assert.Equal(["weight", "bias"], model.StateDict().Keys);
    }

    [Fact]
    public void Q38_Functional()
    {
        using var console = new ConsoleCapture();
        var (inputs, _) = AllRows();
        var model = new Linear(3, 2, generator: new Generator(42));
        // begin-snippet: functional
        var viaModule = model.Forward(inputs);
        var viaFunction = Functional.Linear(inputs, model.Weight, model.Bias);   // the parameters are arguments
        Console.WriteLine($"largest difference: {(viaModule - viaFunction).Abs().Max().Item()}");
        // end-snippet
        AssertPrinted("functional", console);
        Assert.Equal(0.0, (viaModule - viaFunction).Abs().Max().Item());
    }

    [Fact]
    public void Q39_MseLoss()
    {
        using var console = new ConsoleCapture();
        var (inputs, targets) = AllRows();
        var model = new Linear(3, 2, generator: new Generator(42));
        // begin-snippet: mse-loss
        var loss = Functional.MseLoss(model.Forward(inputs), targets);   // PyTorch: F.mse_loss(model(inputs), targets)
        Console.WriteLine(loss);
        Console.WriteLine(Mse(model.Forward(inputs), targets));          // question 13's function
        // end-snippet
        AssertPrinted("mse-loss", console);
        AssertClose(Mse(model.Forward(inputs), targets), loss, 1e-6);
        AssertClose(loss * targets.Numel(), Functional.MseLoss(model.Forward(inputs), targets, Reduction.Sum), 1e-6);
    }

    [Fact]
    public void Q43_Optimizer()
    {
        using var console = new ConsoleCapture();
        var (inputs, targets) = AllRows();
        var model = new Linear(3, 2, generator: new Generator(42));
        // begin-snippet: optimizer
        var opt = new Sgd(model.Parameters(), lr: 1e-5);   // PyTorch: torch.optim.SGD(model.parameters(), lr=1e-5)

        // One step, compared with the hand-written update of question 19:
        Functional.MseLoss(model.Forward(inputs), targets).Backward();
        var byHand = model.Weight.Detach() - model.Weight.Grad! * 1e-5;
        opt.Step();                                          // every parameter: p <- p - lr * p.Grad
        opt.ZeroGrad();                                      // every parameter: Grad <- null
        Console.WriteLine($"largest difference from the hand-written step: {(model.Weight.Detach() - byHand).Abs().Max().Item()}");
        Console.WriteLine($"gradient after ZeroGrad: {model.Weight.Grad?.ToString() ?? "null"}");
        // end-snippet
        AssertPrinted("optimizer", console);
        // One rounding against two: at most one unit in the last place of each weight.
        var ulp = byHand.Abs().To(DType.Float64) * Math.Pow(2, -23);
        Assert.All((model.Weight.Detach() - byHand).Abs().To(DType.Float64).Le(ulp).ToArray<bool>(), Assert.True);
    }

    [Fact]
    public void Q44_Fit()
    {
        using var console = new ConsoleCapture();
        var (inputs, targets) = AllRows();
        var loader = Loader(inputs, targets);
        double before = Functional.MseLoss(new Linear(3, 2, generator: new Generator(42)).Forward(inputs), targets).Item();
        // begin-snippet: fit
        static void Fit(int epochs, Module<Tensor, Tensor> model, Func<Tensor, Tensor, Tensor> lossFn, Optimizer opt, DataLoader loader)
        {
            for (int epoch = 1; epoch <= epochs; epoch++)
            {
                double sum = 0;
                foreach (var (xb, yb) in loader)
                {
                    var loss = lossFn(model.Forward(xb), yb);   // 1. predict, 2. measure
                    loss.Backward();                            // 3. gradients
                    opt.Step();                                 // 4. step
                    opt.ZeroGrad();                             // 5. reset
                    sum += loss.Item() * xb.Size(0);
                }
                if (epoch % 10 == 0) Console.WriteLine($"Epoch [{epoch}/{epochs}], Loss: {sum / loader.Dataset.Count:F4}");
            }
        }

        var model = new Linear(3, 2, generator: new Generator(42));
        var opt = new Sgd(model.Parameters(), lr: 1e-5);
        Fit(100, model, (predictions, targets) => Functional.MseLoss(predictions, targets), opt, loader);
        // end-snippet
        AssertPrinted("fit", console);
        double after = Functional.MseLoss(model.Forward(inputs), targets).Item();
        Assert.True(after < before / 10, $"{before} -> {after}");
        // The helper the next answer uses trains exactly this way.
        AssertClose(TrainedModel(inputs, targets).Weight, model.Weight, 0);
    }

    [Fact]
    public void Q45_PredictUnseen()
    {
        using var console = new ConsoleCapture();
        var (inputs, targets) = AllRows();
        var model = TrainedModel(inputs, targets);
        // begin-snippet: predict-nn
        using (Tensor.NoGrad())
        {
            Console.WriteLine(model.Forward(inputs[..3]));     // the first three regions
            Console.WriteLine(targets[..3]);                   // and their actual yields
            var region = Tensor.From(new float[,] { { 75, 63, 44 } });
            Console.WriteLine(model.Forward(region));          // a region the model has never seen
        }
        // end-snippet
        AssertPrinted("predict-nn", console);
        using (Tensor.NoGrad())
        {
            var yields = model.Forward(Tensor.From(new float[,] { { 75, 63, 44 } }));
            Assert.Equal([1, 2], yields.Shape.ToArray());
            Assert.False(yields.RequiresGrad);
        }
    }
}
