using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// The native emitters for instructions that used to run through the interpreter's handler inside a block
/// (MUL/IMUL, XCHG, CMOVcc, CBW/CWD, BT/BTS/BTR/BTC, LEAVE, PUSHF): random sequences mixed with flag producers and
/// consumers, and each memory form at an offset that faults, run on both tiers; all state must match and
/// the block must not have handed any of them to the interpreter.
/// </summary>
public class NativeEmitterTests
{
    private const int Trials = 200;
    private const int SequenceLength = 10;
    private const ushort LastByte = 0xFFFF;
    private const byte StackFault = 12;
    private const byte GeneralProtection = 13;

    private static readonly string[] NativeMnemonics = ["mul", "imul1", "imul", "xchg", "cmovcc", "cbw", "cwd", "bt", "bts", "btr", "btc", "leave", "pushf"];

    [Test]
    public void MultiplyExchangeCmovBitTest_RandomSequences_MatchInterpreterWithoutInterpreting()
    {
        var random = new Random(1818_2);
        var pair = new TierPair();
        for (var trial = 0; trial < Trials; trial++)
        {
            var sequence = Enumerable.Range(0, SequenceLength).Select(_ => RandomInstructions.NativeData(random)).ToArray();
            pair.Load(random, a =>
            {
                a.nop();
                foreach (var instruction in sequence)
                {
                    a.AddInstruction(instruction);
                }
            });

            Assert.That(pair.RunAndCompare(), Is.Null, $"trial {trial}: {string.Join("; ", sequence)}");
        }

        Assert.That(pair.Candidate.Cpu.TranslatedInstructions, Is.GreaterThan(Trials * SequenceLength / 2), "the translator did not run these instructions");
        Assert.That(InterpretedInside(pair), Is.Empty, "instructions with a native emitter went through the interpreter's handler");
    }

    public static IEnumerable<TestCaseData> FaultingForms()
    {
        yield return Case("imul r16, m16", a => a.imul(ax, __word_ptr[bx]));
        yield return Case("imul r32, m32, imm", a => a.imul(eax, __dword_ptr[bx], 1000));
        yield return Case("mul m16", a => a.mul(__word_ptr[bx]));
        yield return Case("imul m32", a => a.imul(__dword_ptr[bx]));
        yield return Case("xchg m16, r16", a => a.xchg(__word_ptr[bx], cx));
        yield return Case("cmovz r16, m16 (condition false)", a => a.cmovz(cx, __word_ptr[bx]));
        yield return Case("cmovnz r32, m32 (condition true)", a => a.cmovnz(ecx, __dword_ptr[bx]));
        yield return Case("bt m16, imm", a => a.bt(__word_ptr[bx], 3));
        yield return Case("bts m32, r32", a => a.bts(__dword_ptr[bx], ecx));
        yield return Case("btr m16, r16", a => a.btr(__word_ptr[bx], dx));
        yield return Case("leave (word)", a => a.leave());
        yield return Case("leave (dword)", a => a.AddInstruction(Instruction.Create(Code.Leaved)));

    }

    [TestCaseSource(nameof(FaultingForms))]
    public void MemoryForm_OperandPastTheLimit_FaultsAsInterpreter(Action<Assembler> instruction)
    {
        var pair = new TierPair();
        pair.Load(new Random(5), a =>
        {
            // Flags and registers set just before, so a fault that committed anything would show.
            a.mov(bx, LastByte);
            a.mov(bp, LastByte);
            a.mov(ecx, 0x10);
            a.xor(dx, dx);
            a.inc(si);
            instruction(a);
            a.inc(di);
        });

        Assert.That(pair.RunAndCompare(), Is.Null);
        Assert.That(pair.Reference.Registers.CS, Is.EqualTo(TierPair.HandlerSegment), "the instruction did not fault");
        Assert.That(pair.Candidate.Cpu.TranslatedInstructions, Is.GreaterThan(0));
        Assert.That(InterpretedInside(pair), Is.Empty);
    }

    [Test]
    public void BitTest_NegativeRegisterOffset_AddressesBelowTheOperand()
    {
        var pair = new TierPair();
        pair.Load(new Random(6), a =>
        {
            a.mov(bx, 0x100);
            a.mov(ecx, unchecked((uint)-70));
            a.bts(__dword_ptr[bx], ecx);
            a.btr(__word_ptr[bx + 8], cx);
            a.setc(al);
            a.mov(cx, 0x7FF0);
            a.btc(__word_ptr[bx], cx);
        });

        Assert.That(pair.RunAndCompare(), Is.Null);
        Assert.That(InterpretedInside(pair), Is.Empty);
    }

    [Test]
    public void PushFlags_WordPastTheStackLimit_MatchesInterpreter()
    {
        // SP 1: the word goes to SS:FFFF and faults; delivering that fault pushes past the limit again (shutdown), in both tiers alike.
        var pair = new TierPair();
        pair.Load(new Random(7), a =>
        {
            a.stc();
            a.pushf();
            a.mov(sp, 1);
            a.inc(ax);
            a.pushf();
            a.inc(bx);
        });

        Assert.That(pair.RunAndCompare(), Is.Null);
        Assert.That(pair.Candidate.Cpu.TranslatedInstructions, Is.GreaterThan(0));
        Assert.That(InterpretedInside(pair), Is.Empty);
    }

    private static TestCaseData Case(string name, Action<Assembler> instruction) =>
        new TestCaseData(instruction).SetName($"MemoryForm_{name.Replace(' ', '_')}_FaultsAsInterpreter");

    private static List<string> InterpretedInside(TierPair pair) =>
        pair.Candidate.Cpu.InterpretedInsideBlocksByMnemonic().Select(e => e.Mnemonic).Where(NativeMnemonics.Contains).ToList();
}
