using Emulator.Machine.Memory;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>How CPU accesses reach GuestMemory: the A20 gate on FFFF:xxxx and MMIO ranges.</summary>
public class AddressingTests
{
    private const ushort TopSegment = 0xFFFF;
    private const uint VgaText = 0xB_8000;

    private sealed class TextBuffer : IMmioDevice
    {
        public uint LastAddress { get; private set; }

        public uint LastValue { get; private set; }

        public uint Read(uint address, AccessWidth width) => 0x0720;

        public void Write(uint address, AccessWidth width, uint value)
        {
            LastAddress = address;
            LastValue = value;
        }
    }

    [TestCase(false, (ushort)0x1111)]
    [TestCase(true, (ushort)0x2222)]
    public void ReadAtFfff0010_A20Setting_WrapsOnlyWhenDisabled(bool a20, ushort expected)
    {
        var machine = new CpuTestMachine();
        machine.WriteWord(0x0000, 0x1111);
        machine.WriteWord(0x10_0000, 0x2222);
        machine.Memory.A20Enabled = a20;
        machine.Load16(asm =>
        {
            asm.mov(ax, TopSegment);
            asm.mov(ds, ax);
            asm.mov(bx, __word_ptr[0x10]);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.BX, Is.EqualTo(expected));
    }

    [Test]
    public void StoreAndLoad_InMmioRange_ReachDevice()
    {
        var device = new TextBuffer();
        var machine = new CpuTestMachine();
        machine.Memory.RegisterMmio(VgaText, 0x8000, device);
        machine.Load16(asm =>
        {
            asm.mov(ax, (ushort)(VgaText >> 4));
            asm.mov(es, ax);
            asm.mov(__word_ptr.es[0x0A], 0x1F41);
            asm.mov(cx, __word_ptr.es[0]);
        });

        machine.RunToHalt();

        Assert.That(device.LastAddress, Is.EqualTo(VgaText + 0x0A));
        Assert.That(device.LastValue, Is.EqualTo(0x1F41));
        Assert.That(machine.Registers.CX, Is.EqualTo(0x0720));
    }
}
