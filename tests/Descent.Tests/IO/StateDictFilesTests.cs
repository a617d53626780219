using Descent.IO;
using Descent.NN;
using Xunit;

namespace Descent.Tests.IO;

/// <summary>Modules move through safetensors and .npz files under PyTorch's state-dict names.</summary>
public class StateDictFilesTests
{
    [Fact]
    public void ALinearLayerSavedByPyTorchLoadsIntoDescentsLinear()
    {
        // linear.safetensors holds torch.nn.Linear(3, 2).state_dict() after torch.manual_seed(0).
        var file = Safetensors.Load(IOFixtures.PathOf("linear.safetensors"));
        var linear = new Linear(3, 2, generator: new Generator(1));
        var result = linear.LoadStateDict(file);
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        IOFixtures.AssertExact(IOFixtures.Entries.Single(e => e.File == "linear.safetensors" && e.Key == "weight"), linear.Weight);
        IOFixtures.AssertExact(IOFixtures.Entries.Single(e => e.File == "linear.safetensors" && e.Key == "bias"), linear.Bias!);
        Assert.True(linear.Weight.RequiresGrad);
    }

    [Fact]
    public void ASequentialModelRoundTripsThroughSafetensorsAndNpzUnderDottedNames()
    {
        using var dir = TempDir.Create();
        var model = new Sequential(new Linear(3, 4, generator: new Generator(2)), new ReLU(), new Linear(4, 2, generator: new Generator(3)));
        var st = Path.Combine(dir.Path, "model.safetensors");
        var npz = Path.Combine(dir.Path, "model.npz");
        Safetensors.Save(st, model.StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
        Npz.Save(npz, model.StateDict());

        var file = Safetensors.Load(st);
        Assert.Equal(["0.bias", "0.weight", "2.bias", "2.weight"], file.Keys);
        foreach (var path in new[] { st, npz })
        {
            var copy = new Sequential(new Linear(3, 4, generator: new Generator(4)), new ReLU(), new Linear(4, 2, generator: new Generator(5)));
            copy.LoadStateDict(path.EndsWith(".npz") ? Npz.Load(path) : Safetensors.Load(path));
            var x = Tensor.RandN([5, 3], generator: new Generator(6));
            Assert.Equal(model.Forward(x).ToArray<float>(), copy.Forward(x).ToArray<float>());
        }
    }
}
