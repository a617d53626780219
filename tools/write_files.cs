#:project ../src/Descent/Descent.csproj
// Writes safetensors, .npy and .npz files with Descent for tools/check_files.py to read with numpy and PyTorch.
// Usage: dotnet run tools/write_files.cs -- OUTPUT_FOLDER
// The values here and in check_files.py must stay the same.
using Descent;
using Descent.IO;

var dir = args.Length > 0 ? args[0] : "descent-files";
Directory.CreateDirectory(dir);

var weight = Tensor.From(new float[,] { { 0.5f, -1.25f, 2f }, { 0.125f, 3.5f, -0.75f } });
var bias = Tensor.From(new float[] { 0.25f, -0.5f });
var arrays = new Dictionary<string, Tensor>
{
    ["f32"] = Tensor.From(new float[,] { { 1.5f, -2f, 0.1f }, { float.MaxValue, float.Epsilon, -0f } }),
    ["f64"] = Tensor.From(new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, 1e-300, Math.PI }),
    ["i64"] = Tensor.From(new long[] { long.MinValue, long.MaxValue, 0, -1, 42 }),
    ["mask"] = Tensor.From(new[,] { { true, false }, { false, true } }),
    ["scalar"] = Tensor.Scalar(2.5),
    ["empty"] = Tensor.Zeros([0, 3]),
    ["cube"] = Tensor.Arange(0, 24, 1, DType.Float32).Reshape(2, 3, 4),
    // A transposed view: written in C order of the transposed shape.
    ["transposed"] = Tensor.Arange(0, 6, 1, DType.Float64).Reshape(2, 3).T,
};

Safetensors.Save(Path.Combine(dir, "linear.safetensors"), new Dictionary<string, Tensor> { ["weight"] = weight, ["bias"] = bias },
    new Dictionary<string, string> { ["format"] = "pt" });
Safetensors.Save(Path.Combine(dir, "arrays.safetensors"), arrays);
foreach (var (name, t) in arrays) Npy.Save(Path.Combine(dir, name + ".npy"), t);
Npz.Save(Path.Combine(dir, "arrays.npz"), arrays);
Npz.Save(Path.Combine(dir, "arrays_compressed.npz"), arrays, compress: true);
Console.WriteLine($"wrote {Directory.GetFiles(dir).Length} files to {dir}");
