// Step 1 of the lesson: tensors. Run from the repository root with `dotnet run --file samples/01-tensors.cs`.
#:project ../src/Descent/Descent.csproj

using Descent;

Console.WriteLine("A tensor is an n-dimensional array of numbers. The lesson's data are two tables:");
var inputs = Tensor.From(new float[,] { { 73, 67, 43 }, { 91, 88, 64 }, { 87, 134, 58 }, { 102, 43, 37 }, { 69, 96, 70 } });
var targets = Tensor.From(new float[,] { { 56, 70 }, { 81, 101 }, { 119, 133 }, { 22, 37 }, { 103, 119 } });
Console.WriteLine($"inputs, {inputs.Size(0)} regions x {inputs.Size(1)} columns (temperature, rainfall, humidity):");
Console.WriteLine(inputs);
Console.WriteLine($"targets, {targets.Size(0)} regions x {targets.Size(1)} columns (apples, oranges):");
Console.WriteLine(targets);

Console.WriteLine();
Console.WriteLine("Indexing gives views of the same data: the first region, then the rainfall column:");
Console.WriteLine(inputs[0]);
Console.WriteLine(inputs[.., 1]);

Console.WriteLine();
Console.WriteLine("Operations work elementwise and broadcast: each column's mean, then the inputs minus it:");
var mean = inputs.Mean(0);
Console.WriteLine(mean);
Console.WriteLine(inputs - mean);

Console.WriteLine();
Console.WriteLine("The model is one matrix product plus a bias: [5, 3] @ [3, 2] + [2] gives [5, 2] predictions.");
var generator = new Generator(42);
var w = Tensor.RandN([2, 3], requiresGrad: true, generator: generator);
var b = Tensor.RandN([2], requiresGrad: true, generator: generator);
var predictions = inputs.MatMul(w.T) + b;
Console.WriteLine(predictions);

Console.WriteLine();
Console.WriteLine("Autograd records operations and computes derivatives: for y = x^2 + 3x at x = 2, dy/dx = 2x + 3 = 7.");
var x = Tensor.Scalar(2.0, DType.Float64);
x.RequiresGrad = true;
var y = x * x + 3 * x;
y.Backward();
Console.WriteLine($"y = {y.Item()}, dy/dx = {x.Grad!.Item()}");
if (x.Grad!.Item() != 7) throw new InvalidOperationException("the derivative should be 7");
