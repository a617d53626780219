// Step 4 of the lesson: load the data from CSV, train, save the model as safetensors and load it back.
// Run with `dotnet run --file samples/04-save-load.cs`.
#:project ../src/Descent/Descent.csproj

using Descent;
using Descent.Data;
using Descent.IO;
using Descent.NN;
using Descent.Optim;

string here = (string)AppContext.GetData("EntryPointFileDirectoryPath")!;
string csv = Path.Combine(here, "data", "apples_oranges.csv");
Console.WriteLine($"Loading {Path.GetFileName(csv)}: the targets are chosen by name, every other column is an input.");
var data = Csv.Load(csv, "apples", "oranges");
Console.WriteLine($"{data.Rows} rows; inputs {string.Join(", ", data.FeatureNames)}; targets {string.Join(", ", data.TargetNames)}");

Console.WriteLine("Training Linear(3, 2) for 100 epochs with Sgd(lr 1e-5) in shuffled batches of 5.");
var model = new Linear(3, 2, generator: new Generator(42));
var opt = new Sgd(model.Parameters(), lr: 1e-5);
var loader = new DataLoader(new TensorDataset(data.Features, data.Targets), batchSize: 5, shuffle: true, generator: new Generator(7));
for (int epoch = 0; epoch < 100; epoch++)
    foreach (var (xb, yb) in loader)
    {
        Functional.MseLoss(model.Forward(xb), yb).Backward();
        opt.Step();
        opt.ZeroGrad();
    }

string path = Path.Combine(Path.GetTempPath(), $"descent-sample-{Environment.ProcessId}.safetensors");
try
{
    Console.WriteLine();
    Console.WriteLine("Saving the state dict (PyTorch's names: weight [2, 3], bias [2]) as safetensors, with metadata:");
    Safetensors.Save(path, model.StateDict(), new Dictionary<string, string>
    {
        ["features"] = string.Join(",", data.FeatureNames),
        ["targets"] = string.Join(",", data.TargetNames),
    });
    Console.WriteLine($"{new FileInfo(path).Length} bytes written");

    Console.WriteLine("Loading it into a new Linear(3, 2) with different random weights:");
    var file = Safetensors.Load(path);
    foreach (var (name, tensor) in file) Console.WriteLine($"  {name}: {tensor.DType} [{string.Join(", ", tensor.Shape.ToArray())}]");
    Console.WriteLine($"  metadata: features {file.Metadata["features"]}; targets {file.Metadata["targets"]}");
    var restored = new Linear(3, 2, generator: new Generator(1));
    restored.LoadStateDict(file);

    using (Tensor.NoGrad())
    {
        var region = Tensor.From(new float[,] { { 75, 63, 44 } });
        var a = model.Forward(region);
        var b = restored.Forward(region);
        Console.WriteLine($"trained model predicts {a[0, 0].Item():F3}, {a[0, 1].Item():F3}; loaded model predicts {b[0, 0].Item():F3}, {b[0, 1].Item():F3}");
        if ((a - b).Abs().Max().Item() != 0) throw new InvalidOperationException("the loaded model should predict exactly what the saved one does");
        Console.WriteLine("Identical. In Python: nn.Linear(3, 2).load_state_dict(safetensors.torch.load_file(path)) reads the same file.");
    }
}
finally
{
    File.Delete(path);
}
