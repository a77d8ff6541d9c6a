using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// Blocks formed across transfers of control: a Jcc's taken path is a side exit (or goes round when it
/// targets the block's entry), a forward JMP or CALL continues at its target. Each test runs the
/// interpreter and the translating tier on the same code and state and compares registers, flags, EIP,
/// the instruction count and memory.
/// </summary>
public class SuperblockTests
{
    private const int Trials = 150;
    private const byte Hlt = 0xF4;
    private const byte JmpShort = 0xEB;
    private const int Iterations = 1000;

    [Test]
    public void SideExitsJumpsAndCalls_RandomConditionsAndOperands_MatchInterpreter()
    {
        var random = new Random(1918);
        var pair = new TierPair();
        for (var trial = 0; trial < Trials; trial++)
        {
            var conditions = Enumerable.Range(0, 3).Select(_ => RandomInstructions.Conditions[random.Next(RandomInstructions.Conditions.Length)]).ToArray();
            var operations = new[]
            {
                RandomInstructions.AluRegister(random), RandomInstructions.AluImmediate(random), RandomInstructions.AluMemory(random),
                RandomInstructions.AluRegister(random), RandomInstructions.AluMemory(random), RandomInstructions.Unary(random),
            };
            pair.Load(random, a =>
            {
                var top = a.CreateLabel();
                var forward = a.CreateLabel();
                var over = a.CreateLabel();
                var helper = a.CreateLabel();
                var skip = a.CreateLabel();
                var end = a.CreateLabel();
                a.Label(ref top);
                a.AddInstruction(operations[0]);
                RandomInstructions.Jcc(a, conditions[0], forward);
                a.AddInstruction(operations[1]);
                a.Label(ref forward);
                a.jmp(over);
                a.db(Hlt, Hlt, Hlt);
                a.Label(ref over);
                a.AddInstruction(operations[2]);
                a.call(helper);
                a.AddInstruction(operations[3]);
                a.dec(cx);
                RandomInstructions.Jcc(a, conditions[1], top);
                a.jmp(end);
                a.Label(ref helper);
                a.AddInstruction(operations[4]);
                RandomInstructions.Jcc(a, conditions[2], skip);
                a.AddInstruction(operations[5]);
                a.Label(ref skip);
                a.ret();
                a.Label(ref end);
            });

            var difference = pair.RunAndCompare();

            Assert.That(difference, Is.Null, $"trial {trial}: {string.Join("; ", operations)}; j{string.Join("/j", conditions)}");
        }
    }

    [Test]
    public void LoopWithJumpAndInnerBranchToEntry_MatchesAtEveryBudget()
    {
        var pair = new TierPair();
        var random = new Random(9);
        for (long budget = 1; budget <= 60; budget++)
        {
            pair.Load(random, CountedLoop(iterations: 12));

            var difference = pair.RunAndCompare(budget);

            Assert.That(difference, Is.Null, $"budget {budget}");
        }
    }

    [Test]
    public void LoopWithJumpAndInnerBranchToEntry_GoesRoundInsideOneBlock()
    {
        var pair = new TierPair();
        pair.Load(new Random(10), CountedLoop(Iterations));

        var difference = pair.RunAndCompare();

        Assert.That(difference, Is.Null);

        // Formed across the JMP, with the loop's JNZ in the middle going round: a handful of entries, not two per iteration.
        Assert.That(pair.Candidate.Cpu.BlocksRun, Is.LessThan(10));
        Assert.That(pair.Candidate.Cpu.TranslatedInstructions, Is.GreaterThan(Iterations * 4));
    }

    [Test]
    public void LimitFault_AfterJumpAndCallInsideBlock_LeavesInterpreterState()
    {
        var pair = new TierPair();
        pair.Load(new Random(11), a =>
        {
            var over = a.CreateLabel();
            var helper = a.CreateLabel();
            a.mov(bx, 0xFFFF);
            a.jmp(over);
            a.db(Hlt, Hlt);
            a.Label(ref over);
            a.add(ax, 1);
            a.call(helper);
            a.inc(dx);
            a.Label(ref helper);
            a.inc(cx);
            a.mov(__word_ptr[bx], ax);
            a.inc(si);
        });

        Assert.That(pair.RunAndCompare(), Is.Null);
        Assert.That(pair.Candidate.Registers.CS, Is.EqualTo(TierPair.HandlerSegment), "the #GP handler did not run");
    }

    [Test]
    public void SelfModifyingStore_PastAJumpInsideBlock_RunsTheNewBytes()
    {
        var pair = new TierPair();

        // 2E C6 06 0F 00 05 (six bytes), EB 06 (jump over six HLTs) to B0 01 at 0Eh: its immediate is at 0Fh.
        const ushort PatchedImmediate = 0x0F;
        const byte NewValue = 0x05;
        const byte Skipped = 6;
        pair.Load(new Random(12), a =>
        {
            a.AddInstruction(Instruction.Create(Code.Mov_rm8_imm8, new MemoryOperand(Register.None, Register.None, 1, PatchedImmediate, 2, false, Register.CS), NewValue));
            a.db(JmpShort, Skipped);
            a.db(Enumerable.Repeat(Hlt, Skipped).ToArray());
            a.mov(al, 1);
            a.inc(bx);
        });

        Assert.That(pair.RunAndCompare(), Is.Null);
        Assert.That(pair.Candidate.Registers.AL, Is.EqualTo(NewValue));
    }

    /// <summary>
    /// mov cx, n; top: add/jmp over three HLTs/adc/dec cx/jnz top/mov/test/jz: the JNZ targets the entry of the
    /// block formed at <c>top</c> and is followed by more instructions, so it goes round from the block's middle.
    /// </summary>
    private static Action<Assembler> CountedLoop(int iterations) => a =>
    {
        var top = a.CreateLabel();
        var over = a.CreateLabel();
        var done = a.CreateLabel();
        a.mov(cx, (ushort)iterations);
        a.Label(ref top);
        a.add(ax, cx);
        a.jmp(over);
        a.db(Hlt, Hlt, Hlt);
        a.Label(ref over);
        a.adc(dx, ax);
        a.dec(cx);
        a.jnz(top);
        a.mov(bx, ax);
        a.test(bl, 1);
        a.jz(done);
        a.inc(si);
        a.Label(ref done);
    };
}
