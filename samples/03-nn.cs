// Step 3 of the lesson: the same linear regression with Descent.NN, Descent.Optim and Descent.Data
// (PyTorch's torch.nn, torch.optim and torch.utils.data). Run with `dotnet run --file samples/03-nn.cs`.
#:project ../src/Descent/Descent.csproj

using Descent;
using Descent.Data;
using Descent.NN;
using Descent.Optim;

Console.WriteLine("All 15 regions of the data set: temperature, rainfall, humidity -> apples, oranges.");
var inputs = Tensor.From(new float[,]
{
    { 73, 67, 43 }, { 91, 88, 64 }, { 87, 134, 58 }, { 102, 43, 37 }, { 69, 96, 70 },
    { 74, 66, 43 }, { 91, 87, 65 }, { 88, 134, 59 }, { 101, 44, 37 }, { 68, 96, 71 },
    { 73, 66, 44 }, { 92, 87, 64 }, { 87, 135, 57 }, { 103, 43, 36 }, { 68, 97, 70 },
});
var targets = Tensor.From(new float[,]
{
    { 56, 70 }, { 81, 101 }, { 119, 133 }, { 22, 37 }, { 103, 119 },
    { 57, 69 }, { 80, 102 }, { 118, 132 }, { 21, 38 }, { 104, 118 },
    { 57, 69 }, { 82, 100 }, { 118, 134 }, { 20, 38 }, { 102, 120 },
});

Console.WriteLine("TensorDataset pairs each row of inputs with its row of targets; DataLoader serves shuffled batches of 5.");
var dataset = new TensorDataset(inputs, targets);
var loader = new DataLoader(dataset, batchSize: 5, shuffle: true, generator: new Generator(7));

Console.WriteLine("Linear(3, 2) holds the weights [2, 3] and biases [2], initialised as PyTorch does:");
var model = new Linear(3, 2, generator: new Generator(42));
Console.WriteLine(model);
Console.WriteLine(model.Weight);
Console.WriteLine(model.Bias);

Console.WriteLine();
Console.WriteLine("Training for 100 epochs: each batch is predicted, measured by MseLoss, backpropagated,");
Console.WriteLine("and Sgd(lr 1e-5) steps every parameter against its gradient, then resets the gradients.");
var lossFn = new MseLoss();
var opt = new Sgd(model.Parameters(), lr: 1e-5);
double initial = lossFn.Forward(model.Forward(inputs), targets).Item();
for (int epoch = 1; epoch <= 100; epoch++)
{
    double sum = 0;
    foreach (var (xb, yb) in loader)
    {
        var loss = lossFn.Forward(model.Forward(xb), yb);
        loss.Backward();
        opt.Step();
        opt.ZeroGrad();
        sum += loss.Item() * xb.Size(0);
    }
    if (epoch % 10 == 0) Console.WriteLine($"epoch {epoch,3}: mean batch loss {sum / dataset.Count:F2}");
}

using (Tensor.NoGrad())
{
    double final = lossFn.Forward(model.Forward(inputs), targets).Item();
    Console.WriteLine($"loss over all 15 rows: {initial:F2} before training, {final:F2} after");
    if (!(final < initial / 10)) throw new InvalidOperationException("training should lower the loss at least 10-fold");

    Console.WriteLine();
    Console.WriteLine("Predictions for the first five regions, next to their actual yields:");
    var predictions = model.Forward(inputs);
    for (int i = 0; i < 5; i++)
        Console.WriteLine($"region {i}: predicted {predictions[i, 0].Item(),6:F1} {predictions[i, 1].Item(),6:F1}   actual {targets[i, 0].Item(),4} {targets[i, 1].Item(),4}");
    var unseen = model.Forward(Tensor.From(new float[,] { { 75, 63, 44 } }));
    Console.WriteLine($"a new region (75 °F, 63 mm, 44 %): {unseen[0, 0].Item():F1} tons of apples, {unseen[0, 1].Item():F1} of oranges per hectare");
}
