using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// Exit-only flags (docs/translating-cpu.md): an ALU instruction whose flags the next flag writer overwrites,
/// and that only a fault or device stop in between could observe, leaves them to be recomputed from its
/// operands at that stop. Each sequence puts such a writer before a #GP from a word access at DS:FFFF (the
/// pair's handler halts, with the flags pushed) followed by an overwriting SUB, or puts a writer before a side
/// exit, the block's end, a reader or a partial writer (where it must not defer), and the translated run must
/// leave the interpreter's registers, flags, stack and data, for many random states.
/// </summary>
public class DeferredFlagsTests
{
    private const int Trials = 60;
    private const ushort LimitOffset = 0xFFFF;

    public static IEnumerable<TestCaseData> Sequences()
    {
        yield return Case("AddThenFault", a => { a.add(ax, bx); a.mov(cx, __word_ptr[LimitOffset]); a.sub(bp, si); });
        yield return Case("SameRegisterSubThenFault", a => { a.sub(edi, edi); a.mov(__word_ptr[LimitOffset], cx); a.sub(bp, si); });
        yield return Case("SameRegisterAddThenFault", a => { a.add(ecx, ecx); a.mov(dx, __word_ptr[LimitOffset]); a.sub(bp, si); });
        yield return Case("CompareThenFaultingWriter", a => { a.cmp(eax, ebx); a.add(dx, __word_ptr[LimitOffset]); a.sub(bp, si); });
        yield return Case("LogicThenMoveThenFault", a => { a.xor(al, bl); a.mov(si, 1); a.lea(di, __[bx + si]); a.mov(cx, __word_ptr[LimitOffset]); a.sub(bp, si); });
        yield return Case("TestThenFault", a => { a.test(ax, bx); a.mov(cx, __word_ptr[LimitOffset]); a.sub(bp, si); });
        yield return Case("AddThenShiftThenFault", a => { a.add(ax, bx); a.shl(dx, 1); a.mov(cx, __word_ptr[LimitOffset]); a.sub(bp, si); });
        yield return Case("AddThenIncThenFault", a => { a.add(ax, bx); a.inc(dx); a.mov(cx, __word_ptr[LimitOffset]); a.sub(bp, si); });
        yield return Case("AddThenAdc", a => { a.add(ax, bx); a.adc(dx, cx); });
        yield return Case("SubThenLahf", a => { a.sub(eax, ebx); a.lahf(); });
        yield return Case("AndThenPushf", a => { a.and(cx, dx); a.pushf(); });
        yield return Case("OrThenRcl", a => { a.or(bl, cl); a.rcl(dx, 1); });
        yield return Case("AddAtBlockEnd", a => a.add(esi, edi));
        yield return Case("SubThenSideExit", a =>
        {
            var skip = a.CreateLabel();
            a.sub(ax, bx);
            a.mov(cx, dx);
            a.jz(skip);
            a.add(si, di);
            a.Label(ref skip);
            a.nop();
        });
        yield return Case("TwoWritersThenFault", a => { a.add(ax, bx); a.mov(cx, si); a.xor(dx, di); a.mov(bp, __word_ptr[LimitOffset]); });
        yield return Case("AddThenMemoryOperandWriterThenFault", a => { a.add(ax, bx); a.sub(__word_ptr[0x10], cx); a.mov(bp, __word_ptr[LimitOffset]); });
    }

    [TestCaseSource(nameof(Sequences))]
    public void Sequence_MatchesInterpreter(Action<Assembler> build)
    {
        var random = new Random(11);
        for (var trial = 0; trial < Trials; trial++)
        {
            var pair = new TierPair();
            pair.Load(random, build);
            Assert.That(pair.RunAndCompare(), Is.Null, $"trial {trial}");
        }
    }

    private static TestCaseData Case(string name, Action<Assembler> build) =>
        new TestCaseData(build).SetName($"{name}_MatchesInterpreter");
}
