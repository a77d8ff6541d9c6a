using Emulator.Machine.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// Where the interpreter asks the translating tier for a block (docs/translating-cpu.md): after the tier
/// answers "not run" it interprets on to the next place a block can start — after a transfer of control or
/// an instruction no block contains natively — instead of looking up every instruction of a straight run,
/// whose middle addresses would otherwise warm up and be compiled as blocks of their own.
/// </summary>
public class InterpretedRunTests
{
    private const ushort Iterations = 200;
    private const int StraightRun = 8;

    [Test]
    public void StraightRun_NeverCompiled_IsLookedUpOncePerPass()
    {
        var machine = NewMachine();
        machine.Cpu.TranslationThreshold = int.MaxValue;
        machine.Load16(Loop);
        machine.Cpu.Run(CpuTestMachine.StepLimit);

        Assert.That(machine.Cpu.Halted, Is.True);
        Assert.That(machine.Registers.AX, Is.EqualTo((ushort)(Iterations * StraightRun)));

        // At MOV CX (the first pass runs on from it), at the loop's top after each taken JNZ, at the HLT after the last.
        Assert.That(machine.Cpu.TierLookups, Is.EqualTo(1 + (Iterations - 1) + 1));
        Assert.That(machine.Cpu.BlocksTranslated, Is.Zero);
    }

    [Test]
    public void UntranslatableInstruction_EndsTheRun_TheNextInstructionIsLookedUp()
    {
        var machine = NewMachine();
        machine.Cpu.TranslationThreshold = 2;
        machine.Load16(a =>
        {
            var top = a.CreateLabel();
            a.mov(cx, Iterations);
            a.Label(ref top);
            a.cli();
            a.sti();
            for (var i = 0; i < StraightRun; i++)
            {
                a.inc(ax);
            }

            a.dec(cx);
            a.jnz(top);
        });
        machine.Cpu.Run(CpuTestMachine.StepLimit);

        Assert.That(machine.Registers.AX, Is.EqualTo((ushort)(Iterations * StraightRun)));

        // The instruction after STI runs alone (its interrupt shadow); the run after it warms up and runs translated.
        Assert.That(machine.Cpu.TranslatedInstructions, Is.GreaterThan((Iterations - 4) * (StraightRun + 1)));
    }

    private static CpuTestMachine NewMachine()
    {
        var machine = new CpuTestMachine();
        machine.Cpu.Tier = CpuTier.Translator;
        return machine;
    }

    private static void Loop(Iced.Intel.Assembler a)
    {
        var top = a.CreateLabel();
        a.mov(cx, Iterations);
        a.Label(ref top);
        for (var i = 0; i < StraightRun; i++)
        {
            a.inc(ax);
        }

        a.dec(cx);
        a.jnz(top);
    }
}
