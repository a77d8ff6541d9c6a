using Emulator.Machine.Platform;
using Emulator.Machine.Tests.Cpu;
using Emulator.Machine.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Platform;

/// <summary>FERR# → IRQ 13 and port F0h → IGNNE#, the x87 error path with CR0.NE clear (PC/AT; QEMU hw/i386/pc.c).</summary>
public class CoprocessorErrorPortTests
{
    private const ushort UnmaskZeroDivide = 0x037B;

    [Test]
    public void UnmaskedError_WithoutNe_RaisesIrq13UntilPortF0()
    {
        var (machine, line) = Build();
        machine.Load16(asm =>
        {
            DivideByZero(asm);
            asm.wait();
        });

        machine.RunToHalt();

        Assert.That(line.Level, Is.True);
        Assert.That(line.RisingEdges, Is.EqualTo(1));
    }

    [Test]
    public void PortF0_LowersIrq13AndIgnoresTheErrorUntilFnclex()
    {
        var (machine, line) = Build();
        machine.Load16(asm =>
        {
            DivideByZero(asm);
            asm.wait();
            asm.@out(0xF0, al);
            asm.wait();
        });

        machine.RunToHalt();

        Assert.That(line.Level, Is.False, "port F0h lowered IRQ 13 and IGNNE# keeps the next WAIT quiet");
        Assert.That(line.RisingEdges, Is.EqualTo(1));
    }

    [Test]
    public void Fnclex_EndsIgnne_NextErrorRaisesAgain()
    {
        var (machine, line) = Build();
        machine.Load16(asm =>
        {
            DivideByZero(asm);
            asm.wait();
            asm.@out(0xF0, al);
            asm.fnclex();
            DivideByZero(asm);
            asm.wait();
        });

        machine.RunToHalt();

        Assert.That(line.RisingEdges, Is.EqualTo(2));
    }

    private static (CpuTestMachine Machine, RecordingIrqLine Line) Build()
    {
        var machine = new CpuTestMachine();
        var line = new RecordingIrqLine();
        var port = new CoprocessorErrorPort(line, machine.Cpu.IgnoreNumericError);
        port.RegisterPorts(machine.Ports);
        machine.Cpu.FloatingPointError = port.SetError;
        machine.WriteWord(CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0x40), UnmaskZeroDivide);
        return (machine, line);
    }

    private static void DivideByZero(Iced.Intel.Assembler asm)
    {
        asm.fninit();
        asm.fldcw(__word_ptr[0x40]);
        asm.fld1();
        asm.fldz();
        asm.fdivp(st1, st0);
    }
}
