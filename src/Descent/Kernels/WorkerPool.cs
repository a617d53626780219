using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Descent.Kernels;

/// <summary>
/// Runs the chunks of one kernel on the calling thread and on dedicated worker threads, one per other core: the
/// kernels' stand-in for <c>Parallel.For(0, count, body)</c>. A worker that has just finished spins a little
/// before it sleeps, so the next kernel of a training step finds it awake; the thread pool's workers took 60 µs
/// to several hundred to join a kernel (see docs/notes/threads.md).
/// </summary>
internal static class WorkerPool
{
    /// <summary>How long a worker looks for the next kernel before it sleeps.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 10_000;   // 100 µs

    [ThreadStatic]
    private static bool onWorker;

    /// <summary>1 while a kernel holds the workers; a second caller meanwhile uses the thread pool.</summary>
    private static int busy;

    private static Job? current;
    private static long generation;
    private static ManualResetEventSlim[]? wakeUps;

    /// <summary>Runs <c>body(0)</c> .. <c>body(count - 1)</c>, each once, on up to all cores; returns when all have run.</summary>
    public static void For(int count, Action<int> body)
    {
        if (count <= 1 || Environment.ProcessorCount == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        // On a worker (a kernel inside a kernel), or while another thread's kernel holds the workers.
        if (onWorker || Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            Parallel.For(0, count, body);
            return;
        }
        var job = new Job(body, count);
        try
        {
            var wake = wakeUps ??= StartWorkers();
            Volatile.Write(ref current, job);
            Interlocked.Increment(ref generation);
            foreach (var w in wake) w.Set();
            job.Run();
            job.Wait();
        }
        finally
        {
            Volatile.Write(ref busy, 0);
        }
        job.ThrowIfFailed();
    }

    private static ManualResetEventSlim[] StartWorkers()
    {
        var wake = new ManualResetEventSlim[Environment.ProcessorCount - 1];
        for (int i = 0; i < wake.Length; i++)
        {
            wake[i] = new ManualResetEventSlim(false, spinCount: 1);
            new Thread(Loop, maxStackSize: 1 << 20) { IsBackground = true, Name = $"Descent worker {i + 1}" }.Start(wake[i]);
        }
        return wake;
    }

    private static void Loop(object? state)
    {
        var wake = (ManualResetEventSlim)state!;
        onWorker = true;
        long seen = 0;
        while (true)
        {
            long idleSince = Stopwatch.GetTimestamp();
            long g;
            while ((g = Volatile.Read(ref generation)) == seen)
            {
                if (Stopwatch.GetTimestamp() - idleSince < SpinTicks) Thread.SpinWait(8);
                else
                {
                    // The caller bumps the generation before it sets the event, so a kernel posted between the
                    // check above and this wait still wakes it, and one posted after the reset is seen on the next check.
                    wake.Wait();
                    wake.Reset();
                }
            }
            seen = g;
            // A worker that comes late finds every chunk taken and returns at once.
            Volatile.Read(ref current)!.Run();
        }
    }

    /// <summary>One call of <see cref="For"/>: chunks are claimed from a counter by whichever thread comes first.</summary>
    private sealed class Job(Action<int> body, int count)
    {
        private readonly int count = count;
        private int next = -1;
        private int pending = count;
        private Exception? failure;

        public void Run()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                try
                {
                    body(i);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                }
                Interlocked.Decrement(ref pending);
            }
        }

        public void Wait()
        {
            var spin = new SpinWait();
            while (Volatile.Read(ref pending) > 0) spin.SpinOnce(sleep1Threshold: -1);
        }

        public void ThrowIfFailed()
        {
            if (failure is not null) ExceptionDispatchInfo.Throw(failure);
        }
    }
}
