using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

public class StringTests
{
    [Test]
    public void RepMovsb_FiveBytes_CopiesAndAdvancesIndexes()
    {
        var machine = new CpuTestMachine();
        var source = CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0x100);
        machine.Memory.Write(source, "HELLO"u8);
        machine.Load16(asm =>
        {
            asm.cld();
            asm.mov(si, 0x100);
            asm.mov(di, 0x200);
            asm.mov(cx, 5);
            asm.rep.movsb();
        });

        machine.RunToHalt();

        var copy = new byte[5];
        machine.Memory.Read(CpuTestMachine.Physical(CpuTestMachine.ExtraSegment, 0x200), copy);
        Assert.That(copy, Is.EqualTo("HELLO"u8.ToArray()));
        Assert.That(machine.Registers.CX, Is.Zero);
        Assert.That(machine.Registers.SI, Is.EqualTo(0x105));
        Assert.That(machine.Registers.DI, Is.EqualTo(0x205));
    }

    [Test]
    public void Movsw_WithCsOverride_ReadsSourceFromCodeSegment()
    {
        var machine = new CpuTestMachine();
        machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.CodeSegment, 0x800), [0x34, 0x12]);
        machine.Load16(asm =>
        {
            asm.mov(si, 0x800);
            asm.xor(di, di);
            asm.AddInstruction(Instruction.CreateMovsw(16, Register.CS, RepPrefixKind.None));
        });

        machine.RunToHalt();

        Assert.That(machine.ReadWord(CpuTestMachine.Physical(CpuTestMachine.ExtraSegment, 0)), Is.EqualTo(0x1234));
    }

    [Test]
    public void RepeCmpsb_StringsDifferAtFourthByte_StopsThere()
    {
        var machine = new CpuTestMachine();
        machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0), "ABCDEF"u8);
        machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.ExtraSegment, 0), "ABCxEF"u8);
        machine.Load16(asm =>
        {
            asm.xor(si, si);
            asm.xor(di, di);
            asm.mov(cx, 6);
            asm.repe.cmpsb();
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.CX, Is.EqualTo(2), "stopped after the fourth byte");
        Assert.That(machine.Registers.SI, Is.EqualTo(4));
        Assert.That(machine.Registers.ZeroFlag, Is.False);
    }

    [Test]
    public void RepneScasb_NulTerminatedString_StopsAfterTerminator()
    {
        var machine = new CpuTestMachine();
        machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.ExtraSegment, 0), "abc\0"u8);
        machine.Load16(asm =>
        {
            asm.xor(di, di);
            asm.xor(al, al);
            asm.mov(cx, 0xFFFF);
            asm.repne.scasb();
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.DI, Is.EqualTo(4));
        Assert.That(machine.Registers.ZeroFlag, Is.True);
    }

    [Test]
    public void RepStosd_DirectionFlagSet_FillsDownward()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.std();
            asm.mov(eax, 0xCAFE_F00D);
            asm.mov(di, 0x10C);
            asm.mov(cx, 4);
            asm.rep.stosd();
            asm.cld();
        });

        machine.RunToHalt();

        var es = CpuTestMachine.Physical(CpuTestMachine.ExtraSegment, 0);
        Assert.That(machine.ReadDword(es + 0x100), Is.EqualTo(0xCAFE_F00D));
        Assert.That(machine.ReadDword(es + 0x10C), Is.EqualTo(0xCAFE_F00D));
        Assert.That(machine.Registers.DI, Is.EqualTo(0xFC));
    }

    [Test]
    public void Lodsb_WithAddressSizePrefix_UsesEsi()
    {
        var machine = new CpuTestMachine();
        machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0x10), [0x5A]);
        machine.Load16(asm =>
        {
            asm.mov(esi, 0x10);
            asm.AddInstruction(Instruction.CreateLodsb(32, Register.None, RepPrefixKind.None));
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.AL, Is.EqualTo(0x5A));
        Assert.That(machine.Registers.ESI, Is.EqualTo(0x11));
    }
}
