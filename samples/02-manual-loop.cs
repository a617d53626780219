// Step 2 of the lesson: linear regression trained by hand with gradient descent.
// Run from the repository root with `dotnet run --file samples/02-manual-loop.cs`.
#:project ../src/Descent/Descent.csproj

using Descent;

var inputs = Tensor.From(new float[,] { { 73, 67, 43 }, { 91, 88, 64 }, { 87, 134, 58 }, { 102, 43, 37 }, { 69, 96, 70 } });
var targets = Tensor.From(new float[,] { { 56, 70 }, { 81, 101 }, { 119, 133 }, { 22, 37 }, { 103, 119 } });

Console.WriteLine("Random weights (2 targets x 3 inputs) and biases (2), tracked by autograd:");
var generator = new Generator(42);
var w = Tensor.RandN([2, 3], requiresGrad: true, generator: generator);
var b = Tensor.RandN([2], requiresGrad: true, generator: generator);
Console.WriteLine(w);
Console.WriteLine(b);

Tensor Model(Tensor x) => x.MatMul(w.T) + b;

static Tensor Mse(Tensor predictions, Tensor targets)
{
    var diff = predictions - targets;
    return (diff * diff).Sum() / diff.Numel();
}

Console.WriteLine();
Console.WriteLine("Training for 100 epochs with learning rate 1e-5: predict, measure the loss, backward,");
Console.WriteLine("then w.SubInPlace(w.Grad! * lr) and the same for b, in place and without recording, and reset the gradients.");
const double lr = 1e-5;
double first = 0, last = 0;
for (int epoch = 0; epoch < 100; epoch++)
{
    var loss = Mse(Model(inputs), targets);
    loss.Backward();
    using (Tensor.NoGrad())
    {
        w.SubInPlace(w.Grad! * lr);
        b.SubInPlace(b.Grad! * lr);
        w.Grad!.ZeroInPlace();
        b.Grad!.ZeroInPlace();
    }
    if (epoch == 0) first = loss.Item();
    last = loss.Item();
    if (epoch % 10 == 0 || epoch == 99) Console.WriteLine($"epoch {epoch,3}: loss {loss.Item():F2}");
}
if (!(last < first / 50)) throw new InvalidOperationException($"the loss should fall at least 50-fold, but went from {first} to {last}");

Console.WriteLine();
Console.WriteLine("Predictions next to the targets (apples, oranges):");
using (Tensor.NoGrad())
{
    var predictions = Model(inputs);
    for (int i = 0; i < inputs.Size(0); i++)
        Console.WriteLine($"region {i}: predicted {predictions[i, 0].Item(),6:F1} {predictions[i, 1].Item(),6:F1}   actual {targets[i, 0].Item(),4} {targets[i, 1].Item(),4}");

    var unseen = Model(Tensor.From(new float[,] { { 75, 63, 44 } }));
    Console.WriteLine($"a new region (75 °F, 63 mm, 44 %): {unseen[0, 0].Item():F1} tons of apples, {unseen[0, 1].Item():F1} of oranges per hectare");
}

Console.WriteLine();
Console.WriteLine("The loss is still far from its minimum (0.48 for these rows): the raw inputs make the loss a narrow valley.");
Console.WriteLine("Standardising them allows a far larger learning rate: docs/lesson.md (question 29) shows how.");
