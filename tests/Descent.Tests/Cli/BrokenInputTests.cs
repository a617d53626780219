using System.Buffers.Binary;
using System.Text;
using Descent.IO;
using Xunit;

namespace Descent.Tests.Cli;

/// <summary>Every command on broken data and model files: exit 1, one line naming the file and the fault, no file written.</summary>
public sealed class BrokenInputTests : IDisposable
{
    private readonly CliFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string, string, string> BrokenCsv() => new()
    {
        { "ragged", "temp,rainfall,humidity,apples,oranges\n73,67,43,56,70\n91,88,64,81\n", "line 3" },
        { "non-numeric", "temp,rainfall,humidity,apples,oranges\n73,67,43,56,70\n91,lots,64,81,101\n", "line 3, column 2 ('rainfall')" },
        { "missing value", "temp,rainfall,humidity,apples,oranges\n73,67,,56,70\n", "line 2, column 3 ('humidity')" },
        { "NaN", "temp,rainfall,humidity,apples,oranges\n73,67,43,56,70\n91,88,NaN,81,101\n", "line 3, column 3 ('humidity')" },
        // Within float64 but not float32, the dtype of the model and of training.
        { "beyond float32", "temp,rainfall,humidity,apples,oranges\n73,67,43,56,70\n91,1e39,64,81,101\n", "line 3, column 2 ('rainfall'): '1e39' is outside the range of float32" },
        { "target beyond float32", "temp,rainfall,humidity,apples,oranges\n73,67,43,56,-4e38\n", "line 2, column 5 ('oranges'): '-4e38' is outside the range of float32" },
        // Below float32's limit, but rounded up to it on the way through float64.
        { "a hair below float32's limit", "temp,rainfall,humidity,apples,oranges\n73,67,43,56,70\n91,340282356779733661637539395458142568447,64,81,101\n", "data row 2, column 'rainfall': 3.4028235677973366E+38 rounds to infinity in float32" },
        { "empty", "", "empty" },
        { "header only", "temp,rainfall,humidity,apples,oranges\n", "no data rows" },
        { "unknown target column", "temp,rainfall,humidity,pears,oranges\n73,67,43,56,70\n", "'apples'" },
    };

    private string[] Commands(string data, string model) =>
    [
        $"train|--data|{data}|--target|apples,oranges|--save|{_folder.File("out.safetensors")}|--log|{_folder.File("log.csv")}|--plot|{_folder.File("p.png")}",
        $"solve|--data|{data}|--target|apples,oranges|--save|{_folder.File("out.safetensors")}",
        $"predict|--model|{model}|--data|{data}|--out|{_folder.File("out.csv")}",
        $"evaluate|--model|{model}|--data|{data}",
    ];

    private string GoodModel()
    {
        var path = _folder.File("good.safetensors");
        Assert.Equal(0, CliFolder.Run("solve", "--data", CliFolder.Apples, "--target", "apples,oranges", "--save", path).Code);
        return path;
    }

    [Theory]
    [MemberData(nameof(BrokenCsv))]
    public void BrokenCsvFailsEveryCommandCleanly(string name, string content, string fault)
    {
        var data = _folder.Write("broken.csv", content);
        var model = GoodModel();
        foreach (var command in Commands(data, model))
        {
            if (name is "unknown target column" or "target beyond float32" && command.StartsWith("predict", StringComparison.Ordinal)) continue; // predict needs no targets
            var r = CliFolder.Run(command.Split('|'));
            r.AssertFailure(1, "broken.csv", fault);
            Assert.Empty(_folder.Outputs("broken.csv", "good.safetensors"));
        }
    }

    [Fact]
    public void BinaryGarbageIsNotCsv()
    {
        var bytes = new byte[512];
        new Random(7).NextBytes(bytes);
        var data = _folder.Write("garbage.csv", bytes);
        var model = GoodModel();
        foreach (var command in Commands(data, model))
        {
            CliFolder.Run(command.Split('|')).AssertFailure(1, "garbage.csv");
            Assert.Empty(_folder.Outputs("garbage.csv", "good.safetensors"));
        }
    }

    [Fact]
    public void APandasIndexColumnIsNotLearntFrom()
    {
        // df.to_csv() writes the row index as a nameless first column: training on it is wrong, and the saved model
        // (with a feature named '') could not be loaded back.
        var data = _folder.Write("indexed.csv", ",temp,rainfall,humidity,apples,oranges\n0,73,67,43,56,70\n1,91,88,64,81,101\n2,87,134,58,119,133\n");
        foreach (var command in Commands(data, GoodModel()).Take(2))
        {
            CliFolder.Run(command.Split('|')).AssertFailure(1, "indexed.csv", "column 1 has no name", "to_csv(index=False)");
            Assert.Empty(_folder.Outputs("indexed.csv", "good.safetensors"));
        }
        var model = _folder.File("chosen.safetensors");
        Assert.Equal(0, CliFolder.Run("solve", "--data", data, "--target", "apples", "--features", "temp,rainfall,humidity", "--save", model).Code);
        Assert.Equal(0, CliFolder.Run("predict", "--model", model, "--data", data).Code);
    }

    [Fact]
    public void UnknownFeatureColumnIsNamed()
    {
        var r = CliFolder.Run("train", "--data", CliFolder.Apples, "--target", "apples", "--features", "temp,sunshine", "--save", _folder.File("m.safetensors"));
        r.AssertFailure(1, "apples_oranges.csv", "'sunshine'");
        Assert.Empty(_folder.Outputs());
    }

    [Fact]
    public void PredictNeedsTheModelsFeatureColumns()
    {
        var model = GoodModel();
        var data = _folder.Write("fewer.csv", "temp,humidity\n73,43\n");
        CliFolder.Run("predict", "--model", model, "--data", data, "--out", _folder.File("out.csv")).AssertFailure(1, "fewer.csv", "'rainfall'");
        Assert.Empty(_folder.Outputs("fewer.csv", "good.safetensors"));
    }

    public static TheoryData<string> HostileModels() =>
    [
        "empty", "truncated", "huge header length", "garbage", "header not json", "offsets past end", "no bias",
        "weight is 1-D", "bias length wrong", "int64 weight", "NaN weight", "metadata features not a list", "metadata feature count wrong",
    ];

    private byte[] Hostile(string kind)
    {
        var good = File.ReadAllBytes(GoodModel());
        byte[] Model(Dictionary<string, Tensor> tensors, Dictionary<string, string>? metadata = null) => Safetensors.Serialize(tensors, metadata);
        var w = Tensor.Ones(2, 3);
        var b = Tensor.Zeros(2);
        byte[] WithHeader(string json)
        {
            var header = Encoding.UTF8.GetBytes(json);
            var bytes = new byte[8 + header.Length + 24];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
            header.CopyTo(bytes, 8);
            return bytes;
        }
        switch (kind)
        {
            case "empty": return [];
            case "truncated": return good[..(good.Length - 5)];
            case "huge header length":
                var huge = (byte[])good.Clone();
                BinaryPrimitives.WriteUInt64LittleEndian(huge, ulong.MaxValue - 3);
                return huge;
            case "garbage":
                var g = new byte[200];
                new Random(3).NextBytes(g);
                return g;
            case "header not json": return WithHeader("{\"weight\": [1, 2");
            case "offsets past end": return WithHeader("{\"weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,4000]}}");
            case "no bias": return Model(new() { ["weight"] = w });
            case "weight is 1-D": return Model(new() { ["weight"] = Tensor.Ones(3), ["bias"] = b });
            case "bias length wrong": return Model(new() { ["weight"] = w, ["bias"] = Tensor.Zeros(3) });
            case "int64 weight": return Model(new() { ["weight"] = Tensor.Zeros([2, 3], DType.Int64), ["bias"] = b });
            case "NaN weight": return Model(new() { ["weight"] = Tensor.Full([2, 3], double.NaN), ["bias"] = b });
            case "metadata features not a list": return Model(new() { ["weight"] = w, ["bias"] = b }, new() { ["features"] = "temp,rainfall" });
            case "metadata feature count wrong": return Model(new() { ["weight"] = w, ["bias"] = b }, new() { ["features"] = "[\"temp\"]" });
            default: throw new ArgumentException(kind);
        }
    }

    [Theory]
    [MemberData(nameof(HostileModels))]
    public void TruncatedOrHostileModelFilesFailCleanly(string kind)
    {
        var model = _folder.Write("hostile.safetensors", Hostile(kind));
        string[][] commands =
        [
            ["predict", "--model", model, "--data", CliFolder.Apples, "--out", _folder.File("out.csv")],
            ["evaluate", "--model", model, "--data", CliFolder.Apples],
            ["train", "--data", CliFolder.Apples, "--target", "apples,oranges", "--init", model, "--save", _folder.File("out.safetensors")],
        ];
        foreach (var args in commands)
        {
            CliFolder.Run(args).AssertFailure(1, "hostile.safetensors");
            Assert.Empty(_folder.Outputs("hostile.safetensors", "good.safetensors"));
        }
    }

    [Fact]
    public void MissingModelFileIsNamed()
    {
        CliFolder.Run("evaluate", "--model", _folder.File("nope.safetensors"), "--data", CliFolder.Apples).AssertFailure(1, "nope.safetensors", "--model");
    }

    [Fact]
    public void OutputIntoAMissingFolderFailsBeforeTraining()
    {
        var r = CliFolder.Run("train", "--data", CliFolder.Apples, "--target", "apples,oranges", "--save", Path.Combine(_folder.Root, "no", "m.safetensors"));
        r.AssertFailure(1, "--save");
        Assert.Equal("", r.Out);
    }
}
