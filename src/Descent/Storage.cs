namespace Descent;

/// <summary>
/// The flat buffer behind one or more tensors. Views share a storage, and so share its version counter:
/// every in-place write bumps it, which is how autograd notices that a tensor it saved was changed
/// (see docs/notes/autograd-engine.md).
/// </summary>
internal sealed class Storage(Array data, DType dtype)
{
    public readonly Array Data = data;
    public readonly DType DType = dtype;
    public int Version;

    public int Length => Data.Length;

    public static Storage Allocate(DType dtype, int length, bool zeroed = true)
    {
        long bytes = (long)length * dtype.ElementSize();
        if (bytes >= LargeBytes) LargeBuffers.Allocated(bytes);
        return new(dtype.NewArray(length, zeroed), dtype);
    }

    /// <summary>Buffers from this size on (the large object heap's threshold) count towards <see cref="LargeBuffers"/>.</summary>
    public const long LargeBytes = 85_000;
}

/// <summary>
/// Keeps the garbage of large tensors in proportion to the live data (see docs/notes/memory.md): after an eighth of
/// the live heap (at least 64 MiB) of new large buffers, a full blocking collection, so that the next buffers reuse
/// memory the process already holds instead of growing it and faulting in fresh pages.
/// </summary>
internal static class LargeBuffers
{
    private const long MinBudget = 64L << 20;
    private static long _sinceCollect;
    private static int _collections;
    private static long _budget = MinBudget;

    /// <summary>Set the AppContext switch <c>Descent.DisableLargeBufferCollection</c> to leave collections to the GC alone.</summary>
    private static readonly bool Disabled = AppContext.TryGetSwitch("Descent.DisableLargeBufferCollection", out bool off) && off;

    /// <summary>How many collections these buffers have asked for so far.</summary>
    public static int Collections => Volatile.Read(ref _collections);

    public static void Allocated(long bytes)
    {
        if (Disabled || Interlocked.Add(ref _sinceCollect, bytes) < Volatile.Read(ref _budget)) return;
        Interlocked.Exchange(ref _sinceCollect, 0);
        Interlocked.Increment(ref _collections);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
        Volatile.Write(ref _budget, Math.Max(MinBudget, GC.GetTotalMemory(false) / 8));
    }
}
