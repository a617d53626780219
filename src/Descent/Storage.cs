using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

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
        return new(bytes >= LargeBytes ? LargeArrayPool.Rent(dtype, length, bytes, zeroed) : dtype.NewArray(length, zeroed), dtype);
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
        LargeArrayPool.Clear();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
        // The buffers found dead go back to LargeArrayPool from their finalizers: let them, before the next one.
        GC.WaitForPendingFinalizers();
        Volatile.Write(ref _budget, Math.Max(MinBudget, GC.GetTotalMemory(false) / 8));
    }
}

/// <summary>
/// Large buffers taken back for reuse once nothing at all refers to them, so that a new large tensor gets memory the
/// process already holds instead of fresh pages the OS must fault in one by one (see docs/notes/memory.md).
/// Each rented array is the key of a <see cref="ConditionalWeakTable{TKey, TValue}"/> entry whose value, a
/// finalizable <see cref="Returner"/>, holds the array. The table keeps the returner alive exactly as long as
/// something else (a tensor, a kernel's local) refers to the array; only after a collection has found the array
/// unreachable from everywhere does the returner's finalizer put it in the pool. So no array can be handed out again
/// while any code still holds it. The pool keeps at most <see cref="MaxPooledBytes"/>; beyond that buffers go back to
/// the GC as before, and each forced collection first empties the pool of what no one took since the last.
/// </summary>
internal static class LargeArrayPool
{
    private const long MaxPooledBytes = 256L << 20;
    private static readonly ConditionalWeakTable<Array, Returner> Owners = new();
    private static readonly ConcurrentDictionary<(DType, int), ConcurrentBag<Array>> Free = new();
    private static long _pooledBytes;

    public static Array Rent(DType dtype, int length, long bytes, bool zeroed)
    {
        // Reused or not, the buffer counts towards the next collection, which is what finds buffers to reuse.
        LargeBuffers.Allocated(bytes);
        Array array;
        if (Free.TryGetValue((dtype, length), out var bag) && bag.TryTake(out var pooled))
        {
            Interlocked.Add(ref _pooledBytes, -bytes);
            if (zeroed) Array.Clear(pooled);
            array = pooled;
        }
        else array = dtype.NewArray(length, zeroed);
        Owners.AddOrUpdate(array, new Returner(array, dtype, bytes));
        return array;
    }

    /// <summary>
    /// Lets go of what the last collection returned and nothing has taken since: the pool then holds only what the
    /// coming collection finds dead, the buffers the next stretch of work is likely to ask for again.
    /// </summary>
    public static void Clear()
    {
        foreach (var bag in Free.Values)
            while (bag.TryTake(out var array)) Interlocked.Add(ref _pooledBytes, -Buffer.ByteLength(array));
    }

    private sealed class Returner(Array array, DType dtype, long bytes)
    {
        ~Returner()
        {
            if (Interlocked.Add(ref _pooledBytes, bytes) > MaxPooledBytes)
            {
                Interlocked.Add(ref _pooledBytes, -bytes);
                return;
            }
            Free.GetOrAdd((dtype, array.Length), _ => new ConcurrentBag<Array>()).Add(array);
        }
    }
}
