// Step 5, one step beyond the lesson: a classifier whose answer is not a straight line.
// Logistic regression (one Linear layer) against a small neural network (an MLP) on synthetic data.
// Run with `dotnet run --file samples/05-beyond.cs`.
#:project ../src/Descent/Descent.csproj

using Descent;
using Descent.NN;
using Descent.Optim;

Console.WriteLine("400 random points in the square [-1, 1] x [-1, 1]; a point's label is 1 inside the circle of radius 0.7, else 0.");
var generator = new Generator(3);
var points = Tensor.Rand([400, 2], generator: generator) * 2 - 1;
var labels = (points.Square().Sum(1, keepDim: true) < 0.49).To(DType.Float32);   // [400, 1]
Console.WriteLine($"{labels.Sum().Item()} of 400 points are inside.");

double Train(string title, Module<Tensor, Tensor> model)
{
    Console.WriteLine();
    Console.WriteLine(title);
    Console.WriteLine(model);
    var opt = new Adam(model.Parameters(), lr: 0.05);
    for (int step = 1; step <= 300; step++)
    {
        // The model outputs a score (a logit); the sigmoid of the score is the probability of "inside".
        // BinaryCrossEntropyWithLogits combines both, the standard loss for yes/no answers.
        var loss = Functional.BinaryCrossEntropyWithLogits(model.Forward(points), labels);
        loss.Backward();
        opt.Step();
        opt.ZeroGrad();
        if (step % 100 == 0) Console.WriteLine($"step {step}: loss {loss.Item():F4}");
    }
    using (Tensor.NoGrad())
    {
        var predicted = (model.Forward(points) > 0).To(DType.Float32);        // score > 0 means probability > 0.5
        double accuracy = predicted.Eq(labels).To(DType.Float32).Mean().Item();
        Console.WriteLine($"accuracy: {100 * accuracy:F1}%");
        return accuracy;
    }
}

double linear = Train("Logistic regression: a straight line can only cut the square in two, so it cannot draw a circle.",
    new Linear(2, 1, generator: new Generator(1)));
double mlp = Train("An MLP: 16 hidden units with tanh between two Linear layers can bend its boundary into a circle.",
    new Sequential(new Linear(2, 16, generator: new Generator(1)), new Tanh(), new Linear(16, 1, generator: new Generator(2))));

Console.WriteLine();
Console.WriteLine($"logistic regression {100 * linear:F1}%, MLP {100 * mlp:F1}%: the hidden layer is what makes the difference.");
if (!(mlp > 0.95 && mlp > linear + 0.2)) throw new InvalidOperationException("the MLP should beat logistic regression clearly");
