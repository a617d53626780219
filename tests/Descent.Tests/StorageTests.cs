using System.Runtime.CompilerServices;
using Xunit;

namespace Descent.Tests;

// Alone: another test's forced collection between a buffer's death and its reuse lets the pool drop it.
[Collection(nameof(StorageTests))]
public class StorageTests
{
    [Fact]
    public void LargeTensorsTriggerACollectionOnceTheirGarbageExceedsTheBudget()
    {
        int before = LargeBuffers.Collections;
        for (int i = 0; i < 12; i++) GC.KeepAlive(Tensor.Zeros(4 << 20)); // 12 x 16 MiB of garbage
        Assert.True(LargeBuffers.Collections > before);
    }

    // Lengths no other test uses, so that tests running at the same time cannot take these buffers.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference<float[]> DeadBuffer(int n)
    {
        var t = Tensor.Full([n], 7.0);
        return new WeakReference<float[]>(t.Data<float>(), trackResurrection: true);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float[] ArrayOfADeadTensor(int n) => Tensor.Full([n], 3.0).Data<float>();

    [Fact]
    public void ALargeBufferNothingRefersToIsHandedOutAgainZeroed()
    {
        const int n = 123_457;
        var first = DeadBuffer(n);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var t = Tensor.Zeros(n);
        Assert.True(first.TryGetTarget(out var a) && ReferenceEquals(a, t.Data<float>()), "the dead buffer was not reused");
        Assert.All(t.ToArray<float>(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void ABufferCodeStillHoldsIsNotHandedOutEvenIfItsTensorIsGone()
    {
        const int n = 123_461;
        var held = ArrayOfADeadTensor(n);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var t = Tensor.Ones(n);
        Assert.False(ReferenceEquals(held, t.Data<float>()));
        Assert.All(held, v => Assert.Equal(3f, v));
        GC.KeepAlive(held);
    }

    [Fact]
    public void ResultsStayRightWhileBuffersCycleThroughThePool()
    {
        for (int i = 0; i < 40; i++)
        {
            var x = Tensor.Full([150_001], i);
            var y = x * 2.0 + 1.0;
            var z = (y - x).Sum();
            if (i % 5 == 0)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            Assert.All(y.ToArray<float>(), v => Assert.Equal(2f * i + 1, v));
            Assert.Equal(150_001.0 * (i + 1), z.Item(), 1e-3 * 150_001 * (i + 1));
        }
    }
}

[CollectionDefinition(nameof(StorageTests), DisableParallelization = true)]
public sealed class StorageCollection;
