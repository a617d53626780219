using CsCheck;

namespace Descent.Tests;

/// <summary>
/// Runs CsCheck properties on a fixed list of seeds, so every run checks the same cases (CsCheck seeds only the
/// first sample of a run). A failure names the case and the seed that reproduces it.
/// </summary>
internal static class Property
{
    public static void ForAll<T>(Gen<T> gen, Action<T> assert, int cases = 200, uint stream = 1)
    {
        for (ulong k = 0; k < (ulong)cases; k++)
            gen.Sample(assert, seed: new PCG(stream, k).ToString(), iter: 1, threads: 1);
    }
}
