using Descent.Kernels;
using Xunit;

namespace Descent.Tests.Kernels;

/// <summary>
/// <see cref="WorkerPool.For"/>: every chunk once, from any thread, nested, with failures, and with the workers really
/// taking part. Alone in its collection, so that no other test's kernel holds the workers and sends these calls to the
/// thread pool instead.
/// </summary>
[Collection(nameof(WorkerPoolTests))]
public class WorkerPoolTests
{
    private static void RunAndCount(int count, int work)
    {
        var hits = new int[count];
        WorkerPool.For(count, i =>
        {
            double x = i;
            for (int r = 0; r < work; r++) x = Math.Sqrt(x + r);
            if (x < 0) throw new InvalidOperationException();
            Interlocked.Increment(ref hits[i]);
        });
        for (int i = 0; i < count; i++) Assert.True(hits[i] == 1, $"chunk {i} of {count} ran {hits[i]} times");
    }

    [Fact]
    public void EveryChunkRunsExactlyOnce()
    {
        foreach (int count in new[] { 0, 1, 2, 3, 7, 8, 64, 1000 })
            for (int round = 0; round < 50; round++) RunAndCount(count, round % 5 * 200);
    }

    [Fact]
    public void CallersOnSeveralThreadsEachRunTheirOwnChunks()
    {
        var callers = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (int round = 0; round < 100; round++) RunAndCount(3 + (t + round) % 13, 300);
        })).ToArray();
        foreach (var c in callers) c.Start();
        foreach (var c in callers) Assert.True(c.Join(TimeSpan.FromSeconds(60)), "a caller did not finish");
    }

    [Fact]
    public void AKernelInsideAChunkRuns()
    {
        var hits = new int[8 * 8];
        WorkerPool.For(8, i => WorkerPool.For(8, j => Interlocked.Increment(ref hits[i * 8 + j])));
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void AFailingChunkThrowsItsOwnExceptionAfterTheOthersRan()
    {
        var hits = new int[16];
        var e = Assert.Throws<InvalidOperationException>(() => WorkerPool.For(16, i =>
        {
            Interlocked.Increment(ref hits[i]);
            if (i == 5) throw new InvalidOperationException("chunk 5");
        }));
        Assert.Equal("chunk 5", e.Message);
        Assert.All(hits, h => Assert.Equal(1, h));
        RunAndCount(16, 10);   // the workers are free again
    }

    /// <summary>
    /// Two chunks that each wait for the other to start: they finish only if another thread runs one of them while
    /// the caller runs the other, and that thread must be one of the pool's workers, not the thread pool's. Between
    /// rounds the caller sometimes pauses long enough for the worker to go to sleep, so waking it is tested as well
    /// as finding it spinning.
    /// </summary>
    [Fact]
    public void WorkersTakeChunksWhileTheCallerRunsOthers()
    {
        if (Environment.ProcessorCount == 1) return;   // no workers: chunks run one after another on the caller
        for (int round = 0; round < 100; round++)
        {
            if (round % 3 == 0) Thread.Sleep(2);
            using var started = new CountdownEvent(2);
            bool together = true;
            var caller = Environment.CurrentManagedThreadId;
            string? other = null;
            WorkerPool.For(2, _ =>
            {
                if (Environment.CurrentManagedThreadId != caller) other = Thread.CurrentThread.Name;
                started.Signal();
                if (!started.Wait(TimeSpan.FromSeconds(10))) together = false;
            });
            Assert.True(together, $"round {round}: the two chunks did not run at the same time");
            Assert.True(other?.StartsWith("Descent worker", StringComparison.Ordinal) == true,
                $"round {round}: the second chunk ran on '{other}', not on a worker of the pool");
        }
    }
}

[CollectionDefinition(nameof(WorkerPoolTests), DisableParallelization = true)]
public sealed class WorkerPoolCollection;
