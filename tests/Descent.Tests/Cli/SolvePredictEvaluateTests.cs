using System.Globalization;
using System.Text.Json;
using Descent.IO;
using Xunit;

namespace Descent.Tests.Cli;

public sealed class SolvePredictEvaluateTests : IDisposable
{
    private readonly CliFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void SolveMatchesNumPyOnTheLessonData()
    {
        // The lstsq fixture's first case is the lesson's data with a column of ones: [w_temp, w_rain, w_hum, b] per target.
        var fixture = JsonDocument.Parse(File.ReadAllText(CliFolder.Fixture("lstsq.json"))).RootElement.GetProperty("cases")[0];
        Assert.Equal("apples_oranges_with_bias", fixture.GetProperty("name").GetString());
        var solution = fixture.GetProperty("solution");

        var save = _folder.File("solved.safetensors");
        var r = CliFolder.Run("solve", "--data", CliFolder.Apples, "--target", "apples,oranges", "--save", save, "--json");
        Assert.True(r.Code == 0, r.Err);
        var json = r.Json;
        for (int j = 0; j < 2; j++)
        {
            for (int k = 0; k < 3; k++)
                Assert.Equal(solution[k][j].GetDouble(), json.GetProperty("weight")[j][k].GetDouble(), 1e-5);
            Assert.Equal(solution[3][j].GetDouble(), json.GetProperty("bias")[j].GetDouble(), 1e-4);
        }
        var residuals = fixture.GetProperty("residuals").EnumerateArray().Sum(v => v.GetDouble());
        Assert.Equal(residuals / 30, json.GetProperty("mse").GetDouble(), 1e-9);
        Assert.Equal(3, json.GetProperty("rank").GetInt32());
        Assert.InRange(json.GetProperty("metrics").GetProperty("apples").GetProperty("r2").GetDouble(), 0.99, 1);

        var model = Safetensors.Load(save);
        Assert.Equal([2, 3], model["weight"].Shape.ToArray());
        Assert.Equal(DType.Float32, model["weight"].DType);
        Assert.Equal("descent solve", model.Metadata["trained_by"]);
        Assert.Equal("pt", model.Metadata["format"]);
    }

    [Fact]
    public void SolveTextOutputShowsEquationsAndTheFloor()
    {
        var r = CliFolder.Run("solve", "--data", CliFolder.Linnerud, "--target", "weight,waist,pulse");
        Assert.Equal(0, r.Code);
        Assert.Contains("weight = ", r.Out);
        Assert.Contains("*chins", r.Out);
        Assert.Contains("MSE 158.024", r.Out);
        Assert.Contains("no gradient-descent run", r.Out);
    }

    [Fact]
    public void SolveExactFitAndDependentFeatures()
    {
        // y = 2a - b + 3 exactly; c repeats a, so the features are linearly dependent.
        var data = _folder.Write("exact.csv", "a,b,c,y\n1,0,1,5\n2,1,2,6\n3,5,3,4\n4,2,4,9\n5,7,5,6\n");
        var r = CliFolder.Run("solve", "--data", data, "--target", "y", "--json");
        Assert.Equal(0, r.Code);
        Assert.Contains("linearly dependent (rank 2 of 3)", r.Err);
        // Too few rows is said as such, not as dependent columns.
        var two = CliFolder.Run("solve", "--data", _folder.Write("two.csv", "a,b,y\n1,5,2\n2,3,7\n"), "--target", "y");
        Assert.Equal(0, two.Code);
        Assert.Contains("note: 2 rows cannot determine 2 weights and a bias (rank 1 of 2)", two.Err);
        var json = r.Json;
        Assert.True(json.GetProperty("mse").GetDouble() < 1e-20);
        // Minimum norm splits a's weight of 2 evenly between a and its copy c.
        Assert.Equal(1.0, json.GetProperty("weight")[0][0].GetDouble(), 1e-6);
        Assert.Equal(-1.0, json.GetProperty("weight")[0][1].GetDouble(), 1e-6);
        Assert.Equal(1.0, json.GetProperty("weight")[0][2].GetDouble(), 1e-6);
        Assert.Equal(3.0, json.GetProperty("bias")[0].GetDouble(), 1e-5);
    }

    [Fact]
    public void SolveSaysWhenTheFloat32ModelLosesTheFit()
    {
        // y = 1000 (x - 10000) + noise: the fit's bias is about -1e7, which float32 keeps only to the nearest unit.
        var csv = new System.Text.StringBuilder("x,y\n");
        for (int i = 0; i < 20; i++)
            csv.Append(CultureInfo.InvariantCulture, $"{10000 + i * 0.01},{10 * i + (i % 3 - 1) * 0.05}\n");
        var data = _folder.Write("offset.csv", csv.ToString());
        var r = CliFolder.Run("solve", "--data", data, "--target", "y", "--json");
        Assert.Equal(0, r.Code);
        double mse = r.Json.GetProperty("mse").GetDouble();
        double saved = r.Json.GetProperty("metrics").GetProperty("y").GetProperty("mse").GetDouble();
        Assert.True(saved > 10 * mse, $"the float32 model's MSE {saved} against the fit's {mse}");
        Assert.Contains("note: the model holds float32 weights", r.Err);
        Assert.Contains("subtracting each column's mean", r.Err);

        // A fit float32 holds well has no such note.
        var plain = CliFolder.Run("solve", "--data", CliFolder.Apples, "--target", "apples,oranges");
        Assert.Equal(0, plain.Code);
        Assert.DoesNotContain("float32 weights", plain.Err);
    }

    [Fact]
    public void AnExactlyFitTargetDoesNotHideAPoorFitOfAnother()
    {
        // big = 1e7 x is fit exactly, small is noise the features cannot explain (R² near 0); the MSE over both
        // (about half small's variance) was negligible against their mean variance, and was reported as an exact fit.
        var rows = Enumerable.Range(0, 50).Select(i =>
        {
            double x = Math.Sin(i * 1.7) * 2, noise = Math.Cos(i * i * 0.37);
            return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{x},{1e7 * x},{noise}");
        });
        var data = _folder.Write("mixed.csv", "x,big,small\n" + string.Join("\n", rows) + "\n");
        var r = CliFolder.Run("solve", "--data", data, "--target", "big,small");
        Assert.Equal(0, r.Code);
        Assert.DoesNotContain("exactly", r.Out);
        Assert.Contains("no gradient-descent run", r.Out);
    }

    [Fact]
    public void PredictWritesOneColumnPerTargetAndMatchesTheModel()
    {
        var save = _folder.File("solved.safetensors");
        Assert.Equal(0, CliFolder.Run("solve", "--data", CliFolder.Apples, "--target", "apples,oranges", "--save", save).Code);
        // Columns in another order, plus one the model does not use: features are picked by name.
        var data = _folder.Write("new.csv", "humidity,region,temp,rainfall\n44,1,75,63\n43,2,73,67\n");

        var r = CliFolder.Run("predict", "--model", save, "--data", data);
        Assert.True(r.Code == 0, r.Err);
        var lines = r.Out.TrimEnd('\n').Split('\n');
        Assert.Equal("apples,oranges", lines[0]);
        Assert.Equal(3, lines.Length);

        // The saved float32 weights applied to float32 inputs, summed exactly and rounded once.
        var model = Safetensors.Load(save);
        var x = Tensor.From(new double[,] { { 75, 63, 44 }, { 73, 67, 43 } });
        var expected = (x.MatMul(model["weight"].To(DType.Float64).T) + model["bias"].To(DType.Float64)).To(DType.Float32).ToArray<float>();
        var got = lines.Skip(1).SelectMany(l => l.Split(',')).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(expected, got);
        var float32 = (x.To(DType.Float32).MatMul(model["weight"].T) + model["bias"]).ToArray<float>();
        for (int i = 0; i < got.Length; i++) Assert.True(MathF.Abs(got[i] - float32[i]) <= 2 * MathF.BitIncrement(MathF.Abs(got[i])) - 2 * MathF.Abs(got[i]), $"{got[i]} vs float32 {float32[i]}");
        Assert.InRange(got[0], 53, 55); // the lesson's unseen region: about 53.8 tons of apples

        var output = _folder.File("predictions.csv");
        Assert.Equal(0, CliFolder.Run("predict", "--model", save, "--data", data, "--out", output).Code);
        Assert.Equal(r.Out, File.ReadAllText(output));
    }

    [Fact]
    public void EvaluateReportsMetricsPerTarget()
    {
        var save = _folder.File("solved.safetensors");
        var solve = CliFolder.Run("solve", "--data", CliFolder.Linnerud, "--target", "weight,waist,pulse", "--save", save, "--json");
        var r = CliFolder.Run("evaluate", "--model", save, "--data", CliFolder.Linnerud, "--json");
        Assert.True(r.Code == 0, r.Err);
        var m = r.Json.GetProperty("metrics");
        Assert.Equal(20, r.Json.GetProperty("rows").GetInt32());
        foreach (var target in new[] { "weight", "waist", "pulse" })
        {
            var t = m.GetProperty(target);
            double mse = t.GetProperty("mse").GetDouble();
            Assert.Equal(Math.Sqrt(mse), t.GetProperty("rmse").GetDouble(), 1e-12);
            Assert.True(t.GetProperty("mae").GetDouble() <= t.GetProperty("rmse").GetDouble());
            // The saved float32 model is within rounding of the float64 fit that solve measured.
            Assert.Equal(solve.Json.GetProperty("metrics").GetProperty(target).GetProperty("r2").GetDouble(), t.GetProperty("r2").GetDouble(), 1e-5);
        }
        Assert.Equal(0.2679, m.GetProperty("weight").GetProperty("r2").GetDouble(), 1e-4);
        Assert.Equal(solve.Json.GetProperty("mse").GetDouble(), r.Json.GetProperty("mse").GetDouble(), 1e-3);

        var text = CliFolder.Run("evaluate", "--model", save, "--data", CliFolder.Linnerud);
        Assert.Equal(0, text.Code);
        foreach (var header in new[] { "MSE", "RMSE", "MAE", "R²", "weight", "waist", "pulse" }) Assert.Contains(header, text.Out);
    }

    [Fact]
    public void ModelsFromElsewhereWithoutMetadataUseTheFirstColumns()
    {
        var model = _folder.File("plain.safetensors");
        Safetensors.Save(model, new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.From(new float[,] { { 1, 0, 0 } }),
            ["bias"] = Tensor.From(new float[] { 0.5f }),
        });
        var r = CliFolder.Run("predict", "--model", model, "--data", CliFolder.Apples);
        Assert.Equal(0, r.Code);
        Assert.StartsWith("prediction\n73.5\n91.5\n", r.Out);

        // Only the first three columns are read: a text column further right is no obstacle.
        var labelled = _folder.Write("labelled.csv", "temp,rainfall,humidity,region\n73,67,43,north\n91,88,64,south\n");
        r = CliFolder.Run("predict", "--model", model, "--data", labelled);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal("prediction\n73.5\n91.5\n", r.Out);
        // A nameless first column, pandas' row index, is not taken as the first feature.
        var indexed = _folder.Write("indexed.csv", ",temp,rainfall,humidity\n0,73,67,43\n");
        CliFolder.Run("predict", "--model", model, "--data", indexed).AssertFailure(1, "indexed.csv", "column 1 has no name", "to_csv(index=False)");

        // evaluate needs to know the target column: a file saved by PyTorch does not say, so --target does.
        CliFolder.Run("evaluate", "--model", model, "--data", CliFolder.Apples).AssertFailure(1, "plain.safetensors", "give them with --target");
        var e = CliFolder.Run("evaluate", "--model", model, "--data", CliFolder.Apples, "--target", "apples", "--json");
        Assert.True(e.Code == 0, e.Err);
        Assert.Equal(15, e.Json.GetProperty("rows").GetInt32());
        Assert.True(e.Json.GetProperty("metrics").TryGetProperty("apples", out _));
        CliFolder.Run("evaluate", "--model", model, "--data", CliFolder.Apples, "--target", "apples,oranges").AssertFailure(2, "--target names 2 column(s)");
    }

    [Fact]
    public void NumbersBeyondFloat32AreNeverInfinityAndJsonNeverFails()
    {
        // The targets fit in float32 but the squared errors do not: the MSE is about 1e60.
        var data = _folder.Write("large.csv", "x,y\n0,1e30\n1,-1e30\n0,-1e30\n1,1e30\n");
        var text = CliFolder.Run("solve", "--data", data, "--target", "y");
        Assert.True(text.Code == 0, text.Err);
        Assert.DoesNotContain("Infinity", text.Out);
        Assert.Contains("MSE 1E+60", text.Out);

        // A weight near float32's limit times an input of 10 overflows float32: the metrics are infinite, and JSON
        // has no infinity, so they are null.
        var model = _folder.File("huge.safetensors");
        Safetensors.Save(model, new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.From(new float[,] { { 3e38f } }),
            ["bias"] = Tensor.From(new float[] { 0 }),
        });
        var overflow = _folder.Write("ten.csv", "x,prediction\n10,1\n");
        var r = CliFolder.Run("evaluate", "--model", model, "--data", overflow, "--target", "prediction", "--json");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(JsonValueKind.Null, r.Json.GetProperty("mse").ValueKind);
        Assert.Equal(JsonValueKind.Null, r.Json.GetProperty("metrics").GetProperty("prediction").GetProperty("rmse").ValueKind);
    }

    [Fact]
    public void AModelBeyondFloat32IsRefusedNotRunToInfinity()
    {
        // A float64 weight of 1e39 is finite, but the model runs in float32: predict printed Infinity for every row.
        var model = _folder.File("wide.safetensors");
        Safetensors.Save(model, new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.From(new double[,] { { 1e39, 1, 0 } }),
            ["bias"] = Tensor.From(new float[] { 0 }),
        });
        CliFolder.Run("predict", "--model", model, "--data", CliFolder.Apples).AssertFailure(1, "wide.safetensors", "beyond the range of float32");
    }
}
