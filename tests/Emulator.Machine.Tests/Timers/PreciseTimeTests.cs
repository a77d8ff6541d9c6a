using Emulator.Machine.Loop;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Timers;

/// <summary>
/// Guest-visible time is exact to the instruction inside a CPU slice: the PIT's counter and the TSC
/// move together, which is what Linux's TSC calibration against PIT channel 2 measures.
/// </summary>
public class PreciseTimeTests
{
    private const int Nops = 5000;
    private const byte PitCommand = 0x43;
    private const byte PitChannel2 = 0x42;
    private const byte SystemControlB = 0x61;
    private const byte Channel2LoHiMode0 = 0xB0;
    private const byte Channel2Latch = 0x80;
    private const double PitHz = 1_193_182;

    [Test]
    public void PitChannel2_ReadTwiceInOneSlice_AdvancedByTheInstructionsBetween()
    {
        var machine = new PcMachine(new PcMachineOptions { Idle = IdleMode.Skip, RtcStartTime = new DateTime(2026, 1, 1) });
        var a = new Assembler(16);
        a.mov(al, 1);
        a.@out(SystemControlB, al);
        a.mov(al, Channel2LoHiMode0);
        a.@out(PitCommand, al);
        a.mov(al, 0xFF);
        a.@out(PitChannel2, al);
        a.@out(PitChannel2, al);
        Latch(a, bx);
        for (var i = 0; i < Nops; i++)
        {
            a.nop();
        }

        Latch(a, cx);
        a.hlt();
        using var code = new MemoryStream();
        a.Assemble(new StreamCodeWriter(code), 0);
        machine.Memory.Write(0x10000, code.ToArray());
        machine.Start();
        machine.Cpu.Registers.CS = 0x1000;
        machine.Cpu.Registers.EIP = 0;

        machine.Run(RunLimits.Instructions(Nops + 40));

        // From one latch command to the next: IN, MOV, IN, MOV, the NOPs, MOV AL and the second OUT.
        var nanoseconds = (Nops + 6) * 10.0;
        var expected = nanoseconds * PitHz / 1e9;
        var counted = machine.Cpu.Registers.BX - machine.Cpu.Registers.CX;
        Assert.That(counted, Is.InRange(Math.Floor(expected) - 1, Math.Ceiling(expected) + 1), $"{expected:F2} PIT ticks in {nanoseconds} ns");
    }

    private static void Latch(Assembler a, AssemblerRegister16 into)
    {
        a.mov(al, Channel2Latch);
        a.@out(PitCommand, al);
        a.@in(al, PitChannel2);
        a.mov(into == bx ? bl : cl, al);
        a.@in(al, PitChannel2);
        a.mov(into == bx ? bh : ch, al);
    }
}
