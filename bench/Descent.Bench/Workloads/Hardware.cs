using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Descent.Bench.Workloads;

/// <summary>
/// The machine's own ceilings, measured in the same run as the workloads: memory read bandwidth (a vectorised sum
/// over 1 GiB, all cores) and peak float32 FMA rate (independent FMA chains in registers, all cores).
/// </summary>
internal static class Hardware
{
    public static Dictionary<string, object> Measure() => new()
    {
        ["workload"] = "hw",
        ["params"] = $"threads={Environment.ProcessorCount}",
        ["seconds"] = 0.0,
        ["read_gbs"] = ReadBandwidth(),
        ["fma_gflops"] = FmaPeak(),
    };

    private static double ReadBandwidth()
    {
        const int n = 1 << 28; // 1 GiB of floats
        var data = GC.AllocateUninitializedArray<float>(n);
        int threads = Environment.ProcessorCount;
        Parallel.For(0, threads, t => data.AsSpan(t * (n / threads), n / threads).Fill(1f));
        var best = double.MaxValue;
        float sink = 0;
        for (int rep = 0; rep < 7; rep++)
        {
            var partial = new float[threads];
            var sw = Stopwatch.StartNew();
            Parallel.For(0, threads, t => partial[t] = Sum(data.AsSpan(t * (n / threads), n / threads)));
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
            sink += partial.Sum();
        }
        GC.KeepAlive(sink);
        return (double)n * sizeof(float) / best / 1e9;
    }

    private static float Sum(ReadOnlySpan<float> x)
    {
        ref float p = ref MemoryMarshal.GetReference(x);
        int w = Vector<float>.Count, i = 0;
        Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (; i + 4 * w <= x.Length; i += 4 * w)
        {
            a0 += Vector.LoadUnsafe(ref p, (nuint)i);
            a1 += Vector.LoadUnsafe(ref p, (nuint)(i + w));
            a2 += Vector.LoadUnsafe(ref p, (nuint)(i + 2 * w));
            a3 += Vector.LoadUnsafe(ref p, (nuint)(i + 3 * w));
        }
        float s = Vector.Sum(a0 + a1 + a2 + a3);
        for (; i < x.Length; i++) s += x[i];
        return s;
    }

    private static double FmaPeak()
    {
        const long iters = 50_000_000;
        int threads = Environment.ProcessorCount;
        double best = double.MaxValue;
        int lanes = Vector512.IsHardwareAccelerated ? 16 : 8;
        for (int rep = 0; rep < 5; rep++)
        {
            var sw = Stopwatch.StartNew();
            Parallel.For(0, threads, _ => GC.KeepAlive(Vector512.IsHardwareAccelerated ? Fma512(iters) : Fma256(iters)));
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return 12.0 * 2 * lanes * iters * threads / best / 1e9;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Fma512(long iters)
    {
        var m = Vector512.Create(0.999999f);
        var a = Vector512.Create(0.1f);
        Vector512<float> c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (long i = 0; i < iters; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a);
            c2 = Vector512.FusedMultiplyAdd(c2, m, a); c3 = Vector512.FusedMultiplyAdd(c3, m, a);
            c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
            c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a);
            c8 = Vector512.FusedMultiplyAdd(c8, m, a); c9 = Vector512.FusedMultiplyAdd(c9, m, a);
            c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Fma256(long iters)
    {
        var m = Vector256.Create(0.999999f);
        var a = Vector256.Create(0.1f);
        Vector256<float> c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (long i = 0; i < iters; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, m, a); c1 = Vector256.FusedMultiplyAdd(c1, m, a);
            c2 = Vector256.FusedMultiplyAdd(c2, m, a); c3 = Vector256.FusedMultiplyAdd(c3, m, a);
            c4 = Vector256.FusedMultiplyAdd(c4, m, a); c5 = Vector256.FusedMultiplyAdd(c5, m, a);
            c6 = Vector256.FusedMultiplyAdd(c6, m, a); c7 = Vector256.FusedMultiplyAdd(c7, m, a);
            c8 = Vector256.FusedMultiplyAdd(c8, m, a); c9 = Vector256.FusedMultiplyAdd(c9, m, a);
            c10 = Vector256.FusedMultiplyAdd(c10, m, a); c11 = Vector256.FusedMultiplyAdd(c11, m, a);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}
