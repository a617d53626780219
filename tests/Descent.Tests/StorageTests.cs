using Xunit;

namespace Descent.Tests;

public class StorageTests
{
    [Fact]
    public void LargeTensorsTriggerACollectionOnceTheirGarbageExceedsTheBudget()
    {
        int before = LargeBuffers.Collections;
        for (int i = 0; i < 12; i++) GC.KeepAlive(Tensor.Zeros(4 << 20)); // 12 x 16 MiB of garbage
        Assert.True(LargeBuffers.Collections > before);
    }
}
