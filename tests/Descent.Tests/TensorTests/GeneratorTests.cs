using Xunit;

namespace Descent.Tests.TensorTests;

/// <summary>Seeded generators give the same numbers for the same seed, and are independent of each other.</summary>
[Collection(DefaultGeneratorCollection.Name)]
public class GeneratorTests
{
    [Fact]
    public void SameSeedSameNumbers()
    {
        var a = Tensor.RandN([50], generator: new Generator(42)).ToArray<float>();
        var b = Tensor.RandN([50], generator: new Generator(42)).ToArray<float>();
        var c = Tensor.RandN([50], generator: new Generator(43)).ToArray<float>();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(Tensor.Rand([7], generator: new Generator(-5)).ToArray<float>(), Tensor.Rand([7], generator: new Generator(-5)).ToArray<float>());
        Assert.Equal(Tensor.RandInt(0, 100, [9], new Generator(1)).ToArray<long>(), Tensor.RandInt(0, 100, [9], new Generator(1)).ToArray<long>());
        Assert.Equal(Tensor.RandPerm(9, new Generator(1)).ToArray<long>(), Tensor.RandPerm(9, new Generator(1)).ToArray<long>());
    }

    [Fact]
    public void ManualSeedRestartsTheSequence()
    {
        var g = new Generator(9);
        var first = Tensor.RandN([5], generator: g).ToArray<float>();
        Assert.NotEqual(first, Tensor.RandN([5], generator: g).ToArray<float>());
        Assert.Same(g, g.ManualSeed(9));
        Assert.Equal(9, g.InitialSeed);
        Assert.Equal(first, Tensor.RandN([5], generator: g).ToArray<float>());
        // An odd count leaves a spare normal sample behind; reseeding drops it.
        g.ManualSeed(9);
        Tensor.RandN([3], generator: g);
        g.ManualSeed(9);
        Assert.Equal(first, Tensor.RandN([5], generator: g).ToArray<float>());
    }

    [Fact]
    public void TheSequenceIsFixedAcrossMachinesAndVersions()
    {
        // xoshiro256** seeded by SplitMix64: these numbers must never change, or saved experiments stop reproducing.
        var g = new Generator(0);
        Assert.Equal(0x99EC5F36CB75F2B4UL, g.NextUInt64());
        Assert.Equal(0xBF6E1F784956452AUL, g.NextUInt64());
    }

    [Fact]
    public void NextInt64IsUniformByRejectionAsTheTextbookLoop()
    {
        // The reference: reject the top 2^64 mod range values, then take the remainder.
        static long Reference(Generator g, long low, long high)
        {
            ulong range = (ulong)(high - low);
            ulong limit = ulong.MaxValue - ulong.MaxValue % range;
            ulong v;
            do v = g.NextUInt64(); while (v >= limit);
            return low + (long)(v % range);
        }
        var ranges = new (long Low, long High)[]
        {
            (0, 1), (0, 2), (0, 3), (-5, 5), (0, 1_000_003), (0, 1L << 32), (7, (1L << 62) + 3),
            (-(1L << 62) - 1, 1L << 62), (long.MinValue / 2 - 3, long.MaxValue / 2 + 9), (-long.MaxValue, long.MaxValue),
        };
        foreach (var (low, high) in ranges)
        {
            var g = new Generator(low ^ high);
            var twin = new Generator(low ^ high);
            for (int i = 0; i < 20_000; i++) Assert.Equal(Reference(twin, low, high), g.NextInt64(low, high));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(130)]
    [InlineData(100_003)]
    public void PermutationIsFisherYatesOverTheGeneratorsDraws(int n)
    {
        // The reference: one draw per swap, from the last entry down, each swap done before the next draw.
        var twin = new Generator(n + 7);
        var expected = new long[n];
        for (int i = 0; i < n; i++) expected[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)twin.NextInt64(0, i + 1);
            (expected[i], expected[j]) = (expected[j], expected[i]);
        }
        ulong next = twin.NextUInt64();
        var g = new Generator(n + 7);
        Assert.Equal(expected, g.Permutation(n));
        Assert.Equal(next, g.NextUInt64()); // and the same number of draws
        // An int array (the DataLoader's epoch order) gets the same permutation from the same draws.
        var ints = new int[n];
        var h = new Generator(n + 7);
        h.Permute(ints);
        Assert.Equal(expected, Array.ConvertAll(ints, i => (long)i));
        Assert.Equal(next, h.NextUInt64());
    }

    [Fact]
    public void GeneratorsAreIndependentOfEachOtherAndOfTheDefault()
    {
        Tensor.ManualSeed(1234);
        var expected = Tensor.Rand([4]).ToArray<float>();

        Tensor.ManualSeed(1234);
        var g = new Generator(1234);
        var own = Tensor.Rand([4], generator: g).ToArray<float>();  // does not move the default
        Assert.Equal(expected, Tensor.Rand([4]).ToArray<float>());
        Assert.Equal(expected, own); // same seed as the default, same numbers

        // Interleaving two generators does not change either sequence.
        var a = new Generator(1);
        var b = new Generator(2);
        var a1 = Tensor.RandN([3], generator: a).ToArray<float>();
        Tensor.RandN([5], generator: b);
        var a2 = Tensor.RandN([3], generator: a).ToArray<float>();
        var solo = new Generator(1);
        Assert.Equal(a1, Tensor.RandN([3], generator: solo).ToArray<float>());
        Assert.Equal(a2, Tensor.RandN([3], generator: solo).ToArray<float>());
        Assert.Equal(1234, Generator.Default.InitialSeed);
    }
}

/// <summary>Tests that reseed <see cref="Generator.Default"/> run alone, so no other test draws from it meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DefaultGeneratorCollection
{
    public const string Name = "Default generator";
}
