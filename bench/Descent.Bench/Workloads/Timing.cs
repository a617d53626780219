using System.Diagnostics;

namespace Descent.Bench.Workloads;

/// <summary>Wall-clock timing helpers shared by the workloads: the same scheme as the PyTorch peer script.</summary>
internal static class Timing
{
    /// <summary>Warm-up before any timing: long enough for the JIT's tiers to settle on a busy machine.</summary>
    public const double WarmupSeconds = 3.0;

    /// <summary>
    /// Runs <paramref name="body"/> in blocks of calls sized to about <paramref name="blockSeconds"/>, and returns the
    /// median seconds per call over <paramref name="blocks"/> blocks, after <see cref="WarmupSeconds"/> of warm-up.
    /// </summary>
    public static double PerCall(Action body, double blockSeconds = 0.2, int blocks = 7)
    {
        var warm = Stopwatch.StartNew();
        var sw = Stopwatch.StartNew();
        int calls = 1;
        double last;
        while (true)
        {
            sw.Restart();
            for (int i = 0; i < calls; i++) body();
            last = sw.Elapsed.TotalSeconds;
            if (warm.Elapsed.TotalSeconds >= WarmupSeconds && last >= blockSeconds / 4) break;
            if (last < blockSeconds / 4) calls *= 2;
        }
        calls = Math.Max(1, (int)(calls * blockSeconds / Math.Max(last, 1e-9)));
        var times = new double[blocks];
        for (int b = 0; b < blocks; b++)
        {
            sw.Restart();
            for (int i = 0; i < calls; i++) body();
            times[b] = sw.Elapsed.TotalSeconds / calls;
        }
        return Median(times);
    }

    /// <summary>
    /// Times single calls: warm-up calls for <paramref name="warmupSeconds"/> and at least <paramref name="warmupCalls"/>
    /// calls (at least one), then at least <paramref name="minReps"/> and about <paramref name="minSeconds"/> in all; the median.
    /// </summary>
    public static double Each(Action body, int minReps = 3, double minSeconds = 1.0, double warmupSeconds = WarmupSeconds, int warmupCalls = 1)
    {
        var warm = Stopwatch.StartNew();
        int calls = 0;
        do { body(); calls++; }
        while (warm.Elapsed.TotalSeconds < warmupSeconds || calls < warmupCalls);
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        var sw = new Stopwatch();
        while (times.Count < minReps || (total.Elapsed.TotalSeconds < minSeconds && times.Count < 50))
        {
            sw.Restart();
            body();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        return Median([.. times]);
    }

    public static double Median(double[] xs)
    {
        var s = (double[])xs.Clone();
        Array.Sort(s);
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>The process's peak resident set (VmHWM) in bytes, as the peer reads ru_maxrss.</summary>
    public static long PeakRss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return -1;
    }
}
