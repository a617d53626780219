using System.Globalization;
using System.Text.Json;
using Descent.IO;
using Xunit;

namespace Descent.Tests.Cli;

/// <summary>
/// With --no-standardize --no-shuffle, <c>descent train</c> is PyTorch's nn.Linear + F.mse_loss + optim.SGD/Adam over
/// batches in file order from the --init weights (tools/fixtures/cli_train.py).
/// </summary>
public sealed class TrainPyTorchTests : IDisposable
{
    private readonly CliFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static JsonElement Fixture() =>
        JsonDocument.Parse(File.ReadAllText(CliFolder.Fixture("cli_train.json"))).RootElement;

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Fixture().GetProperty("cases").EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    private static float[] Floats(JsonElement e) =>
        e.ValueKind == JsonValueKind.Array && e.GetArrayLength() > 0 && e[0].ValueKind == JsonValueKind.Array
            ? [.. e.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle()))]
            : [.. e.EnumerateArray().Select(v => v.GetSingle())];

    [Theory]
    [MemberData(nameof(Cases))]
    public void SavedWeightsAndLossesMatchPyTorch(string name)
    {
        var c = Fixture().GetProperty("cases").EnumerateArray().First(x => x.GetProperty("name").GetString() == name);
        var w = c.GetProperty("init_weight");
        int rows = w.GetArrayLength(), cols = w[0].GetArrayLength();
        var init = _folder.File("init.safetensors");
        Safetensors.Save(init, new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.FromSpan<float>(Floats(w), rows, cols),
            ["bias"] = Tensor.FromSpan<float>(Floats(c.GetProperty("init_bias")), rows),
        });
        var save = _folder.File("model.safetensors");
        var log = _folder.File("log.csv");
        var args = new List<string> { "train", "--data", CliFolder.Fixture(c.GetProperty("data").GetString()!), "--init", init, "--save", save, "--log", log, "--json" };
        args.AddRange(c.GetProperty("args").EnumerateArray().Select(a => a.GetString()!));

        var result = CliFolder.Run([.. args]);

        Assert.True(result.Code == 0, result.Err);
        var model = Safetensors.Load(save);
        AssertClose(Floats(c.GetProperty("weight")), model["weight"].ToArray<float>(), name + " weight");
        AssertClose(Floats(c.GetProperty("bias")), model["bias"].ToArray<float>(), name + " bias");

        var expected = c.GetProperty("losses").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var logged = File.ReadAllLines(log).Skip(1).Select(l => double.Parse(l.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(expected.Length, logged.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(logged[i] - expected[i]) <= 2e-5 * Math.Abs(expected[i]), $"{name} epoch {i + 1}: loss {logged[i]} vs PyTorch {expected[i]}");
    }

    // Float32 precision: a few units in the last place of the largest value, after tens to hundreds of updates.
    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = expected.Max(MathF.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-5f * scale, $"{what}[{i}]: {actual[i]} vs PyTorch {expected[i]}");
    }
}
