using System.Globalization;
using System.Runtime.Intrinsics;
using System.Text.Json;

namespace Descent.Bench.Workloads;

/// <summary>
/// Whole workloads of issue 5, one per process so that peak memory is the workload's own. Each prints one JSON line
/// with the same keys as bench/peers/workloads.py: <c>{"workload", "params", "seconds", "peak_rss", ...}</c>.
/// </summary>
internal static class Runner
{
    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: workloads W1 | W2 | W3 N D K [fused] | W4 N D batch | W5 N batch | W6 n | W8 N D | hw   (profiling: W1alloc | W3steps N D K | W5steps batch | W6raw n threads | W8steps N D)");
            return 2;
        }
        var result = args[0].ToUpperInvariant() switch
        {
            "W1" => Lesson.ManualEpoch(),
            "W3" => LinearRegression.FullBatch(Int(args[1]), Int(args[2]), Int(args[3]), args.Length > 4 && args[4] == "fused"),
            "W6" => Sgemm.Run(Int(args[1])),
            "W2" => Training.LessonNN(),
            "W4" => Training.MiniBatch(Int(args[1]), Int(args[2]), Int(args[3])),
            "W5" => Training.Mlp(Int(args[1]), Int(args[2])),
            "W8" => LeastSquaresFit.Run(Int(args[1]), Int(args[2])),
            "HW" => Hardware.Measure(),
            "W6RAW" => SgemmRaw.Run(Int(args[1]), Int(args[2])),
            "W1ALLOC" => LessonProfile.Run(),
            "W3STEPS" => Steps.Run(Int(args[1]), Int(args[2]), Int(args[3])),
            "W8STEPS" => LeastSquaresFit.Steps(Int(args[1]), Int(args[2])),
            "W5STEPS" => MlpProfile.Run(Int(args[1])),
            _ => throw new ArgumentException($"unknown workload {args[0]}"),
        };
        result["impl"] = result.Remove("variant", out var v) && (string)v == "fused" ? "descent-fused" : "descent";
        result["peak_rss"] = Timing.PeakRss();
        result["simd"] = Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : "Vector128";
        result["runtime"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;
        Console.WriteLine(JsonSerializer.Serialize(result, Json));
        return 0;
    }

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private static int Int(string s) => (int)double.Parse(s, CultureInfo.InvariantCulture);
}
