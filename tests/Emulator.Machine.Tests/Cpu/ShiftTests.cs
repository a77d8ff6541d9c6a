using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

public class ShiftTests
{
    private const uint CF = 1 << 0;
    private const uint OF = 1 << 11;

    [Test]
    public void ShlByOne_MsbChanges_SetsCarryAndOverflow()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(al, 0xC0);
            asm.shl(al, 1);
            asm.mov(bl, 0x40);
            asm.shl(bl, 1);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.AL, Is.EqualTo(0x80));
        Assert.That(machine.Registers.BL, Is.EqualTo(0x80));
        Assert.That(machine.Registers.EFLAGS & (CF | OF), Is.EqualTo(OF), "flags come from the last shift: 40h << 1 overflows, no carry");
    }

    [Test]
    public void Sar_NegativeWord_KeepsSign()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(ax, 0x8001);
            asm.mov(cl, 4);
            asm.sar(ax, cl);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.AX, Is.EqualTo(0xF800));
        Assert.That(machine.Registers.CarryFlag, Is.False);
    }

    [Test]
    public void ShiftCount_Above31_IsMaskedToFiveBits()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(dx, 0x0001);
            asm.mov(cl, 33);
            asm.shl(dx, cl);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.DX, Is.EqualTo(0x0002));
    }

    [Test]
    public void RclThroughCarry_NineBitRotate_UsesCarryAsNinthBit()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.stc();
            asm.mov(al, 0x80);
            asm.rcl(al, 1);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.AL, Is.EqualTo(0x01));
        Assert.That(machine.Registers.CarryFlag, Is.True);
    }

    [Test]
    public void Ror_Dword_RotatesLowBitToTop()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(eax, 0x0000_0003);
            asm.ror(eax, 1);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EAX, Is.EqualTo(0x8000_0001));
        Assert.That(machine.Registers.CarryFlag, Is.True);
    }

    [Test]
    public void Shld_Dword_ShiftsInFromSource()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(eax, 0x1234_5678);
            asm.mov(ebx, 0x9ABC_DEF0);
            asm.shld(eax, ebx, 8);
            asm.mov(edx, 0x1234_5678);
            asm.mov(cl, 8);
            asm.shrd(edx, ebx, cl);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EAX, Is.EqualTo(0x3456_789A));
        Assert.That(machine.Registers.EDX, Is.EqualTo(0xF012_3456));
    }
}
