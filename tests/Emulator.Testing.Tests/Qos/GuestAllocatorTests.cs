using Emulator.Testing.Qos;

namespace Emulator.Testing.Tests.Qos;

public class GuestAllocatorTests
{
    [Test]
    public void Allocate_TwoBlocks_PageAlignedFromOneMiBWithoutOverlap()
    {
        var allocator = GuestAllocator.ForPc(128 << 20);

        var first = allocator.Allocate(100);
        var second = allocator.Allocate(5000);

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(GuestAllocator.PcStart));
            Assert.That(second, Is.EqualTo(GuestAllocator.PcStart + GuestAllocator.PageSize));
            Assert.That(allocator.FreeBytes, Is.EqualTo((128UL << 20) - GuestAllocator.PcStart - (3 * GuestAllocator.PageSize)));
        });
    }

    [Test]
    public void Free_AllBlocks_MergedBackIntoOneRange()
    {
        var allocator = new GuestAllocator(0x10_0000, 0x20_0000);
        var a = allocator.Allocate(4096);
        var b = allocator.Allocate(4096);
        var c = allocator.Allocate(4096);

        allocator.Free(b);
        allocator.Free(a);
        allocator.Free(c);

        Assert.Multiple(() =>
        {
            Assert.That(allocator.FreeBytes, Is.EqualTo(0x10_0000UL));
            Assert.That(allocator.Allocate(0x10_0000), Is.EqualTo(0x10_0000UL), "one range again");
        });
    }

    [Test]
    public void Allocate_Exhausted_Throws()
    {
        var allocator = new GuestAllocator(0x10_0000, 0x10_2000);
        allocator.Allocate(0x2000);

        Assert.That(() => allocator.Allocate(1), Throws.InvalidOperationException);
    }

    [Test]
    public void Free_UnknownAddress_Throws()
    {
        var allocator = new GuestAllocator(0x10_0000, 0x20_0000);

        Assert.That(() => allocator.Free(0x10_0000), Throws.ArgumentException);
    }
}
