using Emulator.Block.Memory;

namespace Emulator.Block.Tests.Memory;

public class AlignedBufferPoolTests
{
    [TestCase(1)]
    [TestCase(4096)]
    [TestCase(65537)]
    public void Rent_AnySize_PageAlignedAndLargeEnough(int size)
    {
        using var pool = new AlignedBufferPool();

        var buffer = pool.Rent(size);

        Assert.Multiple(() =>
        {
            Assert.That(buffer.Length, Is.GreaterThanOrEqualTo(size));
            Assert.That(AlignedBuffer.IsAligned(buffer.Memory, 4096), Is.True);
        });
    }

    [Test]
    public void Rent_AfterReturn_ReusesBuffer()
    {
        using var pool = new AlignedBufferPool();
        var first = pool.Rent(8192);
        pool.Return(first);

        Assert.That(pool.Rent(5000), Is.SameAs(first));
    }

    [Test]
    public void Return_ForeignBuffer_Refused()
    {
        using var pool = new AlignedBufferPool();
        using var odd = new AlignedBuffer(1000);

        Assert.That(() => pool.Return(odd), Throws.ArgumentException);
    }
}
