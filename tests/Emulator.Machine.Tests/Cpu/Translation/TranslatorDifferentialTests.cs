using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// The translating tier against the interpreter: random instruction sequences of each translated family
/// from random registers, flags and memory, run on both tiers; registers, flags, EIP, the instruction
/// count and the data and stack segments must match. Each trial rewrites the code in place, so every
/// trial also checks that rewritten code drops its translation.
/// </summary>
public class TranslatorDifferentialTests
{
    private const int Trials = 150;
    private const int SequenceLength = 10;

    public static IEnumerable<TestCaseData> Families()
    {
        yield return new TestCaseData((Func<Random, Instruction>)RandomInstructions.AluRegister).SetName("AluRegister_RandomSequences_MatchInterpreter");
        yield return new TestCaseData((Func<Random, Instruction>)RandomInstructions.AluImmediate).SetName("AluImmediate_RandomSequences_MatchInterpreter");
        yield return new TestCaseData((Func<Random, Instruction>)RandomInstructions.AluMemory).SetName("AluMemory_RandomSequences_MatchInterpreter");
        yield return new TestCaseData((Func<Random, Instruction>)RandomInstructions.Unary).SetName("IncDecNotNeg_RandomSequences_MatchInterpreter");
        yield return new TestCaseData((Func<Random, Instruction>)RandomInstructions.Shift).SetName("Shifts_RandomSequences_MatchInterpreter");
        yield return new TestCaseData((Func<Random, Instruction>)RandomInstructions.Move).SetName("MovMovzxMovsxLea_RandomSequences_MatchInterpreter");
        yield return new TestCaseData((Func<Random, Instruction>)RandomInstructions.SetCondition).SetName("Setcc_RandomSequences_MatchInterpreter");
        yield return new TestCaseData((Func<Random, Instruction>)RandomInstructions.Stack).SetName("PushPop_RandomSequences_MatchInterpreter");
        yield return new TestCaseData((Func<Random, Instruction>)RandomInstructions.FlagsAndTimeStamp).SetName("RdtscFlagOps_RandomSequences_MatchInterpreter");
        yield return new TestCaseData((Func<Random, Instruction>)RandomInstructions.Interpreted).SetName("InterpretedInsideBlock_RandomSequences_MatchInterpreter");
        yield return new TestCaseData((Func<Random, Instruction>)RandomInstructions.StringOp).SetName("StringsAndRep_RandomSequences_MatchInterpreter");
    }

    [TestCaseSource(nameof(Families))]
    public void Family(Func<Random, Instruction> next)
    {
        var random = new Random(18);
        var pair = new TierPair();
        for (var trial = 0; trial < Trials; trial++)
        {
            var sequence = Enumerable.Range(0, SequenceLength).Select(_ => next(random)).ToArray();
            pair.Load(random, a =>
            {
                // A block starts with a translated instruction (one it would only interpret inside stays the interpreter's).
                a.nop();
                foreach (var instruction in sequence)
                {
                    a.AddInstruction(instruction);
                }
            });

            var difference = pair.RunAndCompare();

            Assert.That(difference, Is.Null, $"trial {trial}: {string.Join("; ", sequence)}");
        }

        Assert.That(pair.Candidate.Cpu.BlocksTranslated, Is.GreaterThan(Trials / 2), "the translator did not translate these instructions");
    }

    [Test]
    public void Jcc_AfterRandomCompare_TakesTheSameBranches()
    {
        var random = new Random(1818);
        var pair = new TierPair();
        for (var trial = 0; trial < Trials; trial++)
        {
            var condition = RandomInstructions.Conditions[random.Next(RandomInstructions.Conditions.Length)];
            var compare = RandomInstructions.AluRegister(random);
            pair.Load(random, a =>
            {
                var skip = a.CreateLabel();
                a.AddInstruction(compare);
                a.AddInstruction(Instruction.CreateBranch(RandomInstructions.Code($"J{condition}_rel8_16"), 0));
                a.inc(ax);
                a.Label(ref skip);
                a.dec(bx);
            });

            Assert.That(pair.RunAndCompare(), Is.Null, $"trial {trial}: {compare}; j{condition}");
        }
    }

    [Test]
    public void CountedLoop_WithMemoryAndCalls_MatchesAtEveryBudget()
    {
        var pair = new TierPair();
        var random = new Random(7);
        foreach (var budget in new long[] { 1, 2, 3, 5, 8, 13, 100, 777, 5000 })
        {
            pair.Load(random, a =>
            {
                var loop = a.CreateLabel();
                var helper = a.CreateLabel();
                var done = a.CreateLabel();
                a.mov(cx, 300);
                a.Label(ref loop);
                a.add(ax, __word_ptr[bx + si]);
                a.xor(__byte_ptr[di + 3], al);
                a.call(helper);
                a.inc(si);
                a.dec(cx);
                a.jnz(loop);
                a.jmp(done);
                a.Label(ref helper);
                a.shl(dx, 3);
                a.adc(dx, bx);
                a.ret();
                a.Label(ref done);
            });

            var ranReference = pair.Reference.Cpu.Run(budget);
            var ranCandidate = pair.Candidate.Cpu.Run(budget);

            Assert.That((ranCandidate, pair.Candidate.Registers.EIP, pair.Candidate.Registers.EAX, pair.Candidate.Registers.EFLAGS),
                Is.EqualTo((ranReference, pair.Reference.Registers.EIP, pair.Reference.Registers.EAX, pair.Reference.Registers.EFLAGS)), $"budget {budget}");
        }
    }

    [Test]
    public void LimitFault_MidBlock_LeavesInterpreterState()
    {
        var pair = new TierPair();
        pair.Load(new Random(3), a =>
        {
            a.mov(bx, 0xFFFF);
            a.add(ax, 1);
            a.mov(__word_ptr[bx], ax);
            a.inc(cx);
        });

        Assert.That(pair.RunAndCompare(), Is.Null);
        Assert.That(pair.Candidate.Registers.CS, Is.EqualTo(TierPair.HandlerSegment), "the #GP handler did not run");
    }

    [Test]
    public void SelfModifyingStore_InsideBlock_RunsTheNewBytes()
    {
        var pair = new TierPair();
        const ushort PatchedImmediate = 0x10;
        const byte NewValue = 0x05;
        pair.Load(new Random(4), a =>
        {
            // 2E C6 06 10 00 05: six bytes, nine NOPs, then B0 01 with its immediate at offset 10h.
            a.AddInstruction(Instruction.Create(Code.Mov_rm8_imm8, new MemoryOperand(Register.None, Register.None, 1, PatchedImmediate, 2, false, Register.CS), NewValue));
            for (var i = 0; i < 9; i++)
            {
                a.nop();
            }

            a.mov(al, 1);
        });

        Assert.That(pair.RunAndCompare(), Is.Null);
        Assert.That(pair.Candidate.Registers.AL, Is.EqualTo(NewValue));
    }
}
