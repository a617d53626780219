using System.Numerics;
using System.Runtime.Intrinsics.X86;

namespace Descent;

/// <summary>
/// A seedable source of random numbers for tensor creation, shuffling and initialisation (PyTorch's
/// <c>torch.Generator</c>). The sequence is xoshiro256** seeded through SplitMix64; normal samples use the
/// Box-Muller transform. Same seed, same numbers, on every machine. Not thread-safe: give each thread its own.
/// </summary>
public sealed class Generator
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareNormal;

    /// <summary>A generator seeded with <paramref name="seed"/>.</summary>
    public Generator(long seed = 0) => ManualSeed(seed);

    /// <summary>The generator used when none is passed; <see cref="Tensor.ManualSeed"/> reseeds it.</summary>
    public static Generator Default { get; } = new(Environment.TickCount64);

    /// <summary>The seed last set.</summary>
    public long InitialSeed { get; private set; }

    /// <summary>Restarts the sequence from <paramref name="seed"/> (PyTorch's <c>manual_seed</c>). Returns this generator.</summary>
    public Generator ManualSeed(long seed)
    {
        InitialSeed = seed;
        ulong x = (ulong)seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
        _spareNormal = null;
        return this;
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform float in [0, 1).</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>A standard normal sample.</summary>
    public double NextNormal()
    {
        if (_spareNormal is { } spare)
        {
            _spareNormal = null;
            return spare;
        }
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>A uniform integer in [low, high).</summary>
    public long NextInt64(long low, long high)
    {
        if (high <= low) throw new ArgumentOutOfRangeException(nameof(high), $"RandInt: high ({high}) must be greater than low ({low})");
        ulong range = (ulong)(high - low);
        // Rejection keeps every value equally likely: v is drawn again when it falls in the top 2^64 mod range
        // values. That remainder is below range, so it needs computing only for a v within range of the top.
        ulong v = NextUInt64();
        while (v > ulong.MaxValue - range && v >= ulong.MaxValue - ulong.MaxValue % range) v = NextUInt64();
        return low + (long)(v % range);
    }

    /// <summary>A random permutation of 0..n-1 (PyTorch's <c>randperm</c>), by Fisher-Yates.</summary>
    public long[] Permutation(int n)
    {
        var p = new long[n];
        Permute(p);
        return p;
    }

    /// <summary>
    /// Fills <paramref name="p"/> with a random permutation of 0..p.Length-1, as <see cref="Permutation"/> would:
    /// the same draws whatever the element type, so an int array (half the memory to swap in) gets the same order.
    /// </summary>
    internal unsafe void Permute<T>(T[] p) where T : unmanaged, IBinaryInteger<T>
    {
        int n = p.Length;
        for (int i = 0; i < n; i++) p[i] = T.CreateTruncating(i);
        // The swaps land all over a large array, each a wait for memory. The draws do not depend on the array, so
        // they are made a block ahead and the entries they will swap are prefetched: the same permutation, with the
        // waits overlapped.
        const int Block = 64;
        Span<int> js = stackalloc int[Block];
        fixed (T* q = p)
        {
            for (int i = n - 1; i > 0;)
            {
                int m = Math.Min(Block, i);
                for (int k = 0; k < m; k++)
                {
                    js[k] = (int)NextInt64(0, i - k + 1);
                    if (Sse.IsSupported) Sse.Prefetch0(q + js[k]);
                }
                for (int k = 0; k < m; k++)
                {
                    int a = i - k, b = js[k];
                    (q[a], q[b]) = (q[b], q[a]);
                }
                i -= m;
            }
        }
    }
}
