using Descent.Data;
using Descent.NN;
using Descent.Optim;
using Xunit;
using Xunit.Abstractions;
using F = Descent.NN.Functional;

namespace Descent.Tests.NN;

/// <summary>
/// The lesson's second half: nn.Linear(3, 2) trained with F.mse_loss and optim.SGD(lr=1e-5) on the 15 rows of the
/// apples and oranges data in batches of 5, from the initial weights PyTorch drew, for 100 epochs.
/// </summary>
public class LessonFitTests(ITestOutputHelper output)
{
    private static List<double> Fit(int epochs, Linear model, Func<Tensor, Tensor, Tensor> lossFn, Optimizer opt, DataLoader trainDl)
    {
        var losses = new List<double>();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            foreach (var (xb, yb) in trainDl)
            {
                var pred = model.Forward(xb);
                var loss = lossFn(pred, yb);
                loss.Backward();
                opt.Step();
                opt.ZeroGrad();
                losses.Add(loss.Item());
            }
        }
        return losses;
    }

    [Fact]
    public void EveryBatchLossFinalWeightsAndPredictionsEqualPyTorchs()
    {
        var f = NNFixture.Load("fit.json");
        var inputs = f.GetProperty("inputs").ToTensor();
        var targets = f.GetProperty("targets").ToTensor();
        Assert.Equal([15, 3], inputs.Shape.ToArray());

        var model = new Linear(3, 2);
        model.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = f.GetProperty("weight0").ToTensor(),
            ["bias"] = f.GetProperty("bias0").ToTensor(),
        });
        var trainDl = new DataLoader(new TensorDataset(inputs, targets), batchSize: f.GetProperty("batch_size").GetInt32());
        var opt = new Sgd(model.Parameters(), lr: f.GetProperty("lr").GetDouble());

        var losses = Fit(f.GetProperty("epochs").GetInt32(), model, (p, y) => F.MseLoss(p, y), opt, trainDl);

        // float32 throughout, as in PyTorch; the sums are taken in another order, so agreement is to a few ulps of
        // float32 (relative 2e-6 allows about 16) over all 300 steps.
        var expected = f.GetProperty("batch_losses").Doubles();
        Assert.Equal(300, expected.Length);
        double worst = expected.Zip(losses).Max(p => Math.Abs(p.Second - p.First) / Math.Abs(p.First));
        int same = expected.Zip(losses).Count(p => (float)p.First == (float)p.Second);
        output.WriteLine($"batch losses: {same} of 300 bit-equal in float32, largest relative difference {worst:E2}; last loss {losses[^1]}");
        NNFixture.AssertClose(expected, [.. losses], 2e-6, 0, "batch losses");
        NNFixture.AssertClose(f.GetProperty("epoch_losses").Doubles(), [.. losses.Where((_, i) => i % 3 == 2)], 2e-6, 0, "epoch losses");
        NNFixture.AssertClose(f.GetProperty("weight").ToTensor(), model.Weight, 2e-6, 1e-7, "final weight");
        NNFixture.AssertClose(f.GetProperty("bias").ToTensor(), model.Bias!, 2e-6, 1e-7, "final bias");
        using (Tensor.NoGrad())
        {
            var predictions = model.Forward(inputs);
            NNFixture.AssertClose(f.GetProperty("predictions").ToTensor(), predictions, 2e-6, 1e-5, "predictions");
            var unseen = model.Forward(Tensor.From(new float[,] { { 75, 63, 44 } }));
            NNFixture.AssertClose(f.GetProperty("unseen_prediction").ToTensor(), unseen, 2e-6, 1e-5, "prediction for (75, 63, 44)");
            NNFixture.AssertClose([f.GetProperty("final_full_loss").GetDouble()], [F.MseLoss(predictions, targets).Item()], 2e-6, 0, "final loss on all rows");
        }
        Assert.True(losses[^1] < losses[0] / 10, "training made little progress");
    }
}
