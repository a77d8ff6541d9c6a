using Emulator.Machine.Memory;

namespace Emulator.Machine.Tests.Pci;

/// <summary>RAM lent to a bus master whose transfer completes on another thread (GuestMemory.TryGetRam).</summary>
public class DmaWindowTests
{
    private const int RamSize = 2 << 20;

    [Test]
    public void Window_OverRam_WritesAreGuestVisible()
    {
        var memory = new GuestMemory(RamSize);

        var ok = memory.TryGetRam(0x1000, 16, out var window);
        window.Span[3] = 0x5A;
        memory.NotifyDirectWrite(0x1000, 16);

        Assert.Multiple(() =>
        {
            Assert.That(ok, Is.True);
            Assert.That(memory.ReadByte(0x1003), Is.EqualTo(0x5A));
        });
    }

    [TestCase(RamSize - 8UL, 16)]
    [TestCase(0xFFFF_FFFF_FFFF_FFF0UL, 32)]
    [TestCase(0x1000UL, 0)]
    public void Window_NotWhollyRam_Refused(ulong address, int length)
    {
        var memory = new GuestMemory(RamSize);

        Assert.That(memory.TryGetRam(address, length, out _), Is.False);
    }

    [Test]
    public void Window_OverShadowedRom_Refused()
    {
        var memory = new GuestMemory(RamSize);
        memory.LoadBios(new byte[0x10000]);

        Assert.That(memory.TryGetRam(0xF8000, 16, out _), Is.False);
    }
}
