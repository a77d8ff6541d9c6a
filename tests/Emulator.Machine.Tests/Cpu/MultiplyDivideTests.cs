using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

public class MultiplyDivideTests
{
    private const byte DivideErrorVector = 0;
    private const ushort HandlerSegment = 0x5000;

    /// <summary>Offset of the DIV below: MOV AX,imm16 (3 bytes) and XOR BL,BL (2 bytes) precede it.</summary>
    private const int DivOffset = 5;

    [Test]
    public void Mul_Word_ProductInDxAx()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(ax, 0x1234);
            asm.mov(bx, 0x0100);
            asm.mul(bx);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.DX, Is.EqualTo(0x0012));
        Assert.That(machine.Registers.AX, Is.EqualTo(0x3400));
        Assert.That(machine.Registers.CarryFlag, Is.True, "a non-zero high half sets CF and OF");
    }

    [Test]
    public void ImulThreeOperand_FitsInDestination_ClearsCarry()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(cx, unchecked((ushort)-7));
            asm.imul(dx, cx, 9);
        });

        machine.RunToHalt();

        Assert.That((short)machine.Registers.DX, Is.EqualTo(-63));
        Assert.That(machine.Registers.CarryFlag, Is.False);
    }

    [Test]
    public void Idiv_Dword_QuotientAndRemainderTruncateTowardZero()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(eax, unchecked((uint)-100));
            asm.cdq();
            asm.mov(ecx, 7);
            asm.idiv(ecx);
        });

        machine.RunToHalt();

        Assert.That((int)machine.Registers.EAX, Is.EqualTo(-14));
        Assert.That((int)machine.Registers.EDX, Is.EqualTo(-2));
    }

    [Test]
    public void Div_ByZero_RaisesDivideErrorThroughIvtWithFaultingIp()
    {
        var machine = new CpuTestMachine();
        machine.InstallHandler(DivideErrorVector, HandlerSegment, asm =>
        {
            asm.mov(si, 0xDEAD);
            asm.hlt();
        });
        machine.Load16(asm =>
        {
            asm.mov(ax, 10);
            asm.xor(bl, bl);
            asm.div(bl);
        });

        machine.RunToHalt();

        var stack = CpuTestMachine.Physical(CpuTestMachine.StackSegment, machine.Registers.SP);
        Assert.That(machine.Registers.SI, Is.EqualTo(0xDEAD));
        Assert.That(machine.ReadWord(stack), Is.EqualTo(DivOffset), "pushed IP is the DIV itself");
        Assert.That(machine.ReadWord(stack + 2), Is.EqualTo(CpuTestMachine.CodeSegment));
        Assert.That(machine.Registers.AX, Is.EqualTo(10), "AX is untouched by a faulting DIV");
    }

    [Test]
    public void Idiv_QuotientOverflow_RaisesDivideError()
    {
        var machine = new CpuTestMachine();
        machine.InstallHandler(DivideErrorVector, HandlerSegment, asm =>
        {
            asm.mov(si, 0xDEAD);
            asm.hlt();
        });
        machine.Load16(asm =>
        {
            asm.mov(ax, 0x8000);
            asm.mov(dx, 0xFFFF);
            asm.mov(bx, 0xFFFF);
            asm.idiv(bx);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.SI, Is.EqualTo(0xDEAD));
    }

    [Test]
    public void Aam_ZeroBase_RaisesDivideError()
    {
        var machine = new CpuTestMachine();
        machine.InstallHandler(DivideErrorVector, HandlerSegment, asm =>
        {
            asm.mov(si, 0xDEAD);
            asm.hlt();
        });
        machine.Load16(asm => asm.aam(0));

        machine.RunToHalt();

        Assert.That(machine.Registers.SI, Is.EqualTo(0xDEAD));
    }
}
