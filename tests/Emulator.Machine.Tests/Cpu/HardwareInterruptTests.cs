using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

public class HardwareInterruptTests
{
    private const byte TimerVector = 0x08;
    private const ushort HandlerSegment = 0x5000;

    [Test]
    public void PendingInterrupt_WithIfClear_IsNotAcknowledged()
    {
        var pic = new FakeInterruptController { Vector = TimerVector, InterruptPending = true };
        var machine = new CpuTestMachine(pic);
        machine.InstallHandler(TimerVector, HandlerSegment, asm => asm.iret());
        machine.Load16(asm =>
        {
            asm.cli();
            asm.mov(ax, 1);
        });

        machine.RunToHalt();

        Assert.That(pic.Acknowledged, Is.Zero);
    }

    [Test]
    public void Sti_ShadowsOneInstruction_ThenInterruptIsTaken()
    {
        var pic = new FakeInterruptController { Vector = TimerVector, InterruptPending = true };
        var machine = new CpuTestMachine(pic);
        machine.InstallHandler(TimerVector, HandlerSegment, asm =>
        {
            asm.mov(dx, ax);
            asm.iret();
        });
        machine.Load16(asm =>
        {
            asm.cli();
            asm.xor(ax, ax);
            asm.sti();
            asm.inc(ax);
            asm.inc(ax);
        });

        machine.RunToHalt();

        Assert.That(pic.Acknowledged, Is.EqualTo(1));
        Assert.That(machine.Registers.DX, Is.EqualTo(1), "the instruction after STI ran before the handler");
        Assert.That(machine.Registers.AX, Is.EqualTo(2));
    }

    [Test]
    public void MovSs_InterruptPending_ShadowsNextInstruction()
    {
        var pic = new FakeInterruptController { Vector = TimerVector };
        var machine = new CpuTestMachine(pic);
        machine.InstallHandler(TimerVector, HandlerSegment, asm =>
        {
            asm.mov(dx, sp);
            asm.iret();
        });
        machine.Load16(asm =>
        {
            asm.sti();
            asm.mov(ax, CpuTestMachine.StackSegment);
            asm.mov(ss, ax);
            asm.mov(sp, 0x8000);
            asm.nop();
        });
        machine.Cpu.Run(3);
        pic.InterruptPending = true;

        machine.RunToHalt();

        Assert.That(machine.Registers.DX, Is.EqualTo(0x8000 - 6), "the interrupt came after MOV SP, on the new stack");
    }

    [Test]
    public void Hlt_WithInterruptPending_WakesAndRunsHandler()
    {
        var pic = new FakeInterruptController { Vector = TimerVector };
        var machine = new CpuTestMachine(pic);
        machine.InstallHandler(TimerVector, HandlerSegment, asm =>
        {
            asm.mov(bx, 0x77);
            asm.iret();
        });
        machine.Load16(asm =>
        {
            asm.sti();
            asm.hlt();
            asm.mov(cx, bx);
        });
        machine.RunToHalt();
        var whileHalted = machine.Cpu.Run(100);
        pic.InterruptPending = true;

        machine.RunToHalt();

        Assert.That(whileHalted, Is.Zero, "a halted CPU with nothing pending runs nothing");
        Assert.That(machine.Registers.CX, Is.EqualTo(0x77));
    }

    [Test]
    public void LongRepStosb_InterruptPending_IsTakenMidStringAndCopyCompletes()
    {
        const ushort count = 10_000;
        var pic = new FakeInterruptController { Vector = TimerVector, InterruptPending = true };
        var machine = new CpuTestMachine(pic);
        machine.InstallHandler(TimerVector, HandlerSegment, asm =>
        {
            asm.mov(dx, cx);
            asm.iret();
        });
        machine.Load16(asm =>
        {
            asm.cld();
            asm.xor(di, di);
            asm.mov(cx, count);
            asm.mov(al, 0xAA);
            asm.sti();
            asm.rep.stosb();
        });

        machine.RunToHalt();

        var tail = new byte[1];
        machine.Memory.Read(CpuTestMachine.Physical(CpuTestMachine.ExtraSegment, count - 1), tail);
        Assert.That(machine.Registers.DX, Is.InRange(1, count - 1), "the handler ran with part of the string still to do");
        Assert.That(machine.Registers.CX, Is.Zero);
        Assert.That(tail[0], Is.EqualTo(0xAA));
    }
}
