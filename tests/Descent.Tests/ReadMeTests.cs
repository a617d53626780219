using System.Text.RegularExpressions;
using Descent;
using Descent.Data;
using Descent.IO;
using Descent.NN;
using Descent.Optim;
using Descent.Tests.Docs;
using Xunit;
using F = Descent.NN.Functional;

namespace Descent.Tests;

/// <summary>
/// The README runs: each of its C# blocks is marked <c>&lt;!-- snippet: name --&gt;</c> and is, apart from its
/// using lines, the text of a region below; <see cref="EveryCodeBlockOfTheReadMeIsHere"/> keeps the two equal.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public class ReadMeTests
{
    private const string SourcePath = "tests/Descent.Tests/ReadMeTests.cs";

    [Fact]
    public void EveryCodeBlockOfTheReadMeIsHere()
    {
        var lines = DocSnippets.ReadRepoFile("README.md").Split('\n');
        var snippets = DocSnippets.ReadSnippets(SourcePath);
        var source = DocSnippets.ReadRepoFile(SourcePath);
        int checkedBlocks = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i] != "```csharp") continue;
            var marker = Regex.Match(i > 0 ? lines[i - 1] : "", @"^<!-- snippet: ([\w-]+) -->$");
            Assert.True(marker.Success, $"README.md:{i + 1}: a C# block without a <!-- snippet: name --> line before it");
            var body = new List<string>();
            int j = i + 1;
            for (; lines[j] != "```"; j++) body.Add(lines[j]);
            var usings = body.TakeWhile(l => l.StartsWith("using ", StringComparison.Ordinal)).ToList();
            foreach (var u in usings) Assert.Contains("\n" + u + "\n", source);
            var code = string.Join('\n', body.Skip(usings.Count).SkipWhile(l => l.Length == 0));
            string name = marker.Groups[1].Value;
            Assert.True(snippets.TryGetValue(name, out var expected), $"README.md:{i + 1}: no snippet '{name}' in {SourcePath}");
            Assert.True(expected == code, $"README.md:{i + 1}: the README's code differs from the test's:\n--- README\n{code}\n--- test\n{expected}");
            checkedBlocks++;
            i = j;
        }
        Assert.Equal(snippets.Count, checkedBlocks);
    }

    [Fact]
    public void TheLessonByHandLearns()
    {
        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        try
        {
            // begin-snippet: readme-by-hand
            var inputs = Tensor.From(new float[,] { { 73, 67, 43 }, { 91, 88, 64 }, { 87, 134, 58 }, { 102, 43, 37 }, { 69, 96, 70 } });
            var targets = Tensor.From(new float[,] { { 56, 70 }, { 81, 101 }, { 119, 133 }, { 22, 37 }, { 103, 119 } });

            Tensor.ManualSeed(42);
            var w = Tensor.RandN([2, 3], requiresGrad: true);   // weights: 2 targets x 3 features
            var b = Tensor.RandN([2], requiresGrad: true);      // one bias per target

            Tensor Model(Tensor x) => x.MatMul(w.T) + b;        // x @ w.t() + b

            Tensor MseLoss(Tensor predictions, Tensor truths)
            {
                var diff = predictions - truths;
                return (diff * diff).Sum() / diff.Numel();
            }

            for (int epoch = 0; epoch < 100; epoch++)
            {
                var loss = MseLoss(Model(inputs), targets);
                Console.WriteLine($"Epoch {epoch}: loss {loss.Item<float>()}");
                loss.Backward();                                // fills w.Grad and b.Grad
                using (Tensor.NoGrad())                         // the update itself is not part of the model
                {
                    w.SubInPlace(w.Grad! * 1e-5);               // w -= w.grad * lr  (the gradient, not w itself)
                    b.SubInPlace(b.Grad! * 1e-5);
                    w.Grad!.ZeroInPlace();                      // gradients add up until zeroed
                    b.Grad!.ZeroInPlace();
                }
            }
            // end-snippet
            Assert.All(w.Grad!.ToArray<float>(), g => Assert.Equal(0f, g));
        }
        finally
        {
            Console.SetOut(console);
        }
        var losses = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => float.Parse(l.Split("loss ")[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(100, losses.Count);
        Assert.True(losses[^1] < losses[0] / 10, $"loss went from {losses[0]} to {losses[^1]}");
    }

    [Fact]
    public void TheLessonWithModulesLearnsAndSavesAModelPyTorchReads()
    {
        var folder = Directory.CreateTempSubdirectory("descent-readme-");
        var previous = Directory.GetCurrentDirectory();
        var output = new StringWriter();
        var console = Console.Out;
        try
        {
            File.Copy(Path.Combine(DocSnippets.RepoRoot, "samples", "data", "apples_oranges.csv"), Path.Combine(folder.FullName, "apples_oranges.csv"));
            Directory.SetCurrentDirectory(folder.FullName);
            Console.SetOut(output);
            Tensor.ManualSeed(0);
            // begin-snippet: readme-nn
            var data = Csv.Load("apples_oranges.csv", "apples", "oranges");     // Features [15, 3], Targets [15, 2]
            var loader = new DataLoader(new TensorDataset(data.Features, data.Targets), batchSize: 5, shuffle: true);
            var model = new Linear(3, 2);                                       // weight [2, 3] and bias [2], PyTorch's init
            var opt = new Sgd(model.Parameters(), lr: 1e-5);

            for (int epoch = 0; epoch < 100; epoch++)
            {
                foreach (var (xb, yb) in loader)
                {
                    var loss = F.MseLoss(model.Forward(xb), yb);
                    loss.Backward();
                    opt.Step();
                    opt.ZeroGrad();
                }
            }

            Console.WriteLine(model.Forward(Tensor.From(new float[,] { { 75, 63, 44 } })));   // an unseen region
            Safetensors.Save("model.safetensors", model.StateDict());         // PyTorch's nn.Linear(3, 2) loads this
            // end-snippet
            Assert.StartsWith("tensor([[", output.ToString());
            var saved = Safetensors.Load("model.safetensors");
            Assert.Equal(["bias", "weight"], saved.Keys.Order());
            Assert.Equal(model.Weight.ToArray<float>(), saved["weight"].ToArray<float>());
            var mse = F.MseLoss(model.Forward(data.Features), data.Targets).Item<float>();
            Assert.True(mse < 200, $"training MSE after 100 epochs is {mse}");
        }
        finally
        {
            Console.SetOut(console);
            Directory.SetCurrentDirectory(previous);
            folder.Delete(recursive: true);
        }
    }
}
