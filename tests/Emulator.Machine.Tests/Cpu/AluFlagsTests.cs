using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

public class AluFlagsTests
{
    private const uint CF = 1 << 0;
    private const uint PF = 1 << 2;
    private const uint AF = 1 << 4;
    private const uint ZF = 1 << 6;
    private const uint SF = 1 << 7;
    private const uint OF = 1 << 11;
    private const uint StatusFlags = CF | PF | AF | ZF | SF | OF;

    [TestCase((ushort)0x7FFF, (ushort)0x0001, (ushort)0x8000, SF | AF | OF | PF)]
    [TestCase((ushort)0xFFFF, (ushort)0x0001, (ushort)0x0000, CF | ZF | AF | PF)]
    [TestCase((ushort)0x1234, (ushort)0x1111, (ushort)0x2345, 0u)]
    public void Add_Word_SetsResultAndFlags(ushort a, ushort b, ushort sum, uint flags)
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(ax, a);
            asm.mov(bx, b);
            asm.add(ax, bx);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.AX, Is.EqualTo(sum));
        Assert.That(machine.Registers.EFLAGS & StatusFlags, Is.EqualTo(flags));
    }

    [TestCase((byte)0x00, (byte)0x01, (byte)0xFF, CF | SF | AF | PF)]
    [TestCase((byte)0x80, (byte)0x01, (byte)0x7F, OF | AF)]
    [TestCase((byte)0x05, (byte)0x05, (byte)0x00, ZF | PF)]
    public void Sub_Byte_SetsBorrowAndOverflow(byte a, byte b, byte difference, uint flags)
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(al, a);
            asm.sub(al, b);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.AL, Is.EqualTo(difference));
        Assert.That(machine.Registers.EFLAGS & StatusFlags, Is.EqualTo(flags));
    }

    [Test]
    public void AdcChain_32BitAdditionIn16BitHalves_PropagatesCarry()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(ax, 0xFFFF);
            asm.mov(dx, 0x0001);
            asm.add(ax, 0x0001);
            asm.adc(dx, 0);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.AX, Is.Zero);
        Assert.That(machine.Registers.DX, Is.EqualTo(2));
    }

    [Test]
    public void Inc_WithCarrySet_KeepsCarry()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.stc();
            asm.mov(cx, 0xFFFF);
            asm.inc(cx);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.CX, Is.Zero);
        Assert.That(machine.Registers.EFLAGS & (CF | ZF), Is.EqualTo(CF | ZF));
    }

    [Test]
    public void Xor_AfterCarryAndOverflow_ClearsCarryAndOverflow()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(al, 0x7F);
            asm.add(al, 0xFF);
            asm.mov(eax, 0x8000_0001);
            asm.xor(eax, 0x0000_0001);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EAX, Is.EqualTo(0x8000_0000));
        Assert.That(machine.Registers.EFLAGS & (CF | OF | SF | ZF | PF), Is.EqualTo(SF | PF));
    }

    [Test]
    public void Neg_Zero_ClearsCarry()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.stc();
            asm.xor(bx, bx);
            asm.neg(bx);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EFLAGS & (CF | ZF), Is.EqualTo(ZF));
    }

    [Test]
    public void CmpMemory_WithSegmentOverride_ComparesWithoutWriting()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(__word_ptr.es[0x10], 0x1234);
            asm.mov(ax, 0x1234);
            asm.cmp(__word_ptr.es[0x10], ax);
        });

        machine.RunToHalt();

        Assert.That(machine.ReadWord(CpuTestMachine.Physical(CpuTestMachine.ExtraSegment, 0x10)), Is.EqualTo(0x1234));
        Assert.That(machine.Registers.ZeroFlag, Is.True);
    }

    [Test]
    public void Daa_AfterPackedBcdAdd_GivesDecimalSum()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(al, 0x38);
            asm.add(al, 0x45);
            asm.daa();
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.AL, Is.EqualTo(0x83));
        Assert.That(machine.Registers.CarryFlag, Is.False);
    }

    [Test]
    public void Aaa_AfterUnpackedOverflow_CarriesIntoAh()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(ax, 0x0009);
            asm.add(al, 0x08);
            asm.aaa();
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.AX, Is.EqualTo(0x0107));
        Assert.That(machine.Registers.CarryFlag, Is.True);
    }
}
