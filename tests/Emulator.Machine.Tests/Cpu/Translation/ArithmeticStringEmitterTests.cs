using Emulator.Machine.Cpu;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// The native emitters for DIV/IDIV, XADD, CMPXCHG, BSF/BSR, BSWAP, SHLD/SHRD, LAHF/SAHF, PUSH of memory and
/// segment registers and the one-element string instructions: random sequences, #DE, limit faults (#GP/#SS) and page faults part-way through an
/// access, each run on both tiers; registers, flags, EIP, counts and memory must match, and none of these
/// instructions may have gone through the interpreter's handler.
/// </summary>
public class ArithmeticStringEmitterTests
{
    private const int Trials = 300;
    private const int SequenceLength = 10;
    private const ushort LastByte = 0xFFFF;
    private const uint MappedEnd = 0x20_0000;
    private const uint SourceBuffer = 0x1000;
    private const int WatchedBytes = 16;

    private static readonly string[] NativeMnemonics = ["div", "idiv", "xadd", "cmpxchg", "bsf", "bsr", "bswap", "shld", "shrd", "lahf", "sahf", "movs", "cmps", "scas", "lods", "stos", "push", "pushsreg"];

    [Test]
    public void DivideExchangeScanShiftString_RandomSequences_MatchInterpreterWithoutInterpreting()
    {
        var random = new Random(1818_3);
        var pair = new TierPair();
        for (var trial = 0; trial < Trials; trial++)
        {
            var sequence = Enumerable.Range(0, SequenceLength).Select(_ => RandomInstructions.NativeArithmetic(random)).ToArray();
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

        Assert.That(pair.Candidate.Cpu.TranslatedInstructions, Is.GreaterThan(Trials * SequenceLength / 4), "the translator did not run these instructions");
        Assert.That(InterpretedInside(pair), Is.Empty, "instructions with a native emitter went through the interpreter's handler");
    }

    public static IEnumerable<TestCaseData> DivideErrors()
    {
        yield return Case("DivideError", "div r8 by zero", a => { a.mov(bl, 0); a.div(bl); });
        yield return Case("DivideError", "div r16 quotient too wide", a => { a.mov(dx, 0xFFFF); a.mov(cx, 2); a.div(cx); });
        yield return Case("DivideError", "div m32 by zero", a => { a.mov(__dword_ptr[bx], 0); a.div(__dword_ptr[bx]); });
        yield return Case("DivideError", "idiv r32 min by minus one", a => { a.mov(edx, uint.MaxValue); a.mov(eax, 0x8000_0000); a.mov(ecx, uint.MaxValue); a.idiv(ecx); });
        yield return Case("DivideError", "idiv r8 quotient 128", a => { a.mov(ax, 0x0100); a.mov(cl, 2); a.idiv(cl); });
        yield return Case("DivideError", "idiv r16 min by minus one", a => { a.mov(dx, 0xFFFF); a.mov(ax, 0x8000); a.mov(cx, 0xFFFF); a.idiv(cx); });
    }

    [TestCaseSource(nameof(DivideErrors))]
    public void Divide_Unrepresentable_RaisesDivideErrorAsInterpreter(Action<Assembler> instruction)
    {
        var pair = Run(instruction, baseValue: 0x100);

        Assert.That(pair.RunAndCompare(), Is.Null);
        Assert.That(pair.Reference.Registers.CS, Is.EqualTo(TierPair.HandlerSegment), "the instruction did not fault");
        AssertNative(pair);
    }

    public static IEnumerable<TestCaseData> LimitFaults()
    {
        yield return Case("LimitFault", "div m16", a => a.div(__word_ptr[bx]));
        yield return Case("LimitFault", "idiv m32", a => a.idiv(__dword_ptr[bx]));
        yield return Case("LimitFault", "xadd m16, r16", a => a.xadd(__word_ptr[bx], cx));
        yield return Case("LimitFault", "cmpxchg m32, r32", a => a.cmpxchg(__dword_ptr[bx], ecx));
        yield return Case("LimitFault", "cmpxchg m16 through SS", a => a.cmpxchg(__word_ptr[bp], cx));
        yield return Case("LimitFault", "bsf r16, m16", a => a.bsf(ax, __word_ptr[bx]));
        yield return Case("LimitFault", "bsr r32, m32", a => a.bsr(eax, __dword_ptr[bx]));
        yield return Case("LimitFault", "shld m16, r16, imm", a => a.shld(__word_ptr[bx], cx, 3));
        yield return Case("LimitFault", "shrd m32, r32, cl", a => a.shrd(__dword_ptr[bx], ecx, cl));
        yield return Case("LimitFault", "push m16", a => a.push(__word_ptr[bx]));
        yield return Case("LimitFault", "push m32 through SS", a => a.push(__dword_ptr[bp]));
        yield return Case("LimitFault", "movsw source", a => { a.mov(si, LastByte); a.movsw(); });
        yield return Case("LimitFault", "movsd destination", a => { a.mov(di, LastByte - 2); a.movsd(); });
        yield return Case("LimitFault", "stosw", a => { a.mov(di, LastByte); a.stosw(); });
        yield return Case("LimitFault", "lodsd through ES", a => { a.mov(si, LastByte); a.AddInstruction(Instruction.CreateLodsd(16, Register.ES)); });
        yield return Case("LimitFault", "scasb 32-bit address", a => { a.mov(edi, 0x1_0000); a.AddInstruction(Instruction.CreateScasb(32)); });
        yield return Case("LimitFault", "cmpsw destination after std", a => { a.std(); a.mov(di, LastByte); a.cmpsw(); });
    }

    [TestCaseSource(nameof(LimitFaults))]
    public void MemoryForm_OperandPastTheLimit_FaultsAsInterpreter(Action<Assembler> instruction)
    {
        var pair = Run(instruction, baseValue: LastByte);

        Assert.That(pair.RunAndCompare(), Is.Null);
        Assert.That(pair.Reference.Registers.CS, Is.EqualTo(TierPair.HandlerSegment), "the instruction did not fault");
        AssertNative(pair);
    }

    public static IEnumerable<TestCaseData> PageCrossings()
    {
        yield return Case("PageFault", "movsd destination", a => a.movsd());
        yield return Case("PageFault", "stosd", a => a.stosd());
        yield return Case("PageFault", "cmpsd destination", a => a.cmpsd());
        yield return Case("PageFault", "cmpxchg m32 equal", a => { a.mov(eax, __dword_ptr[edi]); a.cmpxchg(__dword_ptr[edi], ecx); });
        yield return Case("PageFault", "xadd m32", a => a.xadd(__dword_ptr[edi], ecx));
        yield return Case("PageFault", "shld m32 by cl", a => a.shld(__dword_ptr[edi], ecx, cl));
        yield return Case("PageFault", "div m32", a => a.div(__dword_ptr[edi]));
        yield return Case("PageFault", "bsr m32", a => a.bsr(eax, __dword_ptr[edi]));
    }

    /// <summary>A dword at the last mapped bytes crosses into an unmapped page: #PF part-way, nothing written, state as interpreted.</summary>
    [TestCaseSource(nameof(PageCrossings))]
    public void PagedAccess_CrossingIntoUnmappedPage_FaultsAsInterpreter(Action<Assembler> instruction)
    {
        var reference = Paged(CpuTier.Interpreter, instruction);
        var candidate = Paged(CpuTier.Translator, instruction);

        const uint PageFault = 14;
        Assert.That(reference.FaultVector, Is.EqualTo(PageFault), "the instruction did not page-fault");
        Assert.That(candidate.FaultVector, Is.EqualTo(reference.FaultVector));
        Assert.That(candidate.FaultCr2, Is.EqualTo(reference.FaultCr2));
        Assert.That(candidate.FaultEip, Is.EqualTo(reference.FaultEip));
        Assert.That(candidate.FaultErrorCode, Is.EqualTo(reference.FaultErrorCode));
        Assert.That(candidate.Inner.Cpu.InstructionCount, Is.EqualTo(reference.Inner.Cpu.InstructionCount));
        Assert.That(candidate.Registers.EFLAGS, Is.EqualTo(reference.Registers.EFLAGS));
        Assert.That(new[] { candidate.Registers.EAX, candidate.Registers.ECX, candidate.Registers.EDX, candidate.Registers.EBX, candidate.Registers.ESI, candidate.Registers.EDI },
            Is.EqualTo(new[] { reference.Registers.EAX, reference.Registers.ECX, reference.Registers.EDX, reference.Registers.EBX, reference.Registers.ESI, reference.Registers.EDI }));
        Assert.That(Watched(candidate), Is.EqualTo(Watched(reference)), "bytes before the page boundary");
        Assert.That(candidate.Inner.Cpu.TranslatedInstructions, Is.GreaterThan(0));
        Assert.That(candidate.Inner.Cpu.InterpretedInsideBlocksByMnemonic().Select(e => e.Mnemonic).Where(NativeMnemonics.Contains), Is.Empty);
    }

    [Test]
    public void ByteSwapAndFlagBytes_RoundTrip_MatchInterpreter()
    {
        var pair = Run(a =>
        {
            a.mov(eax, 0x1234_5678);
            a.bswap(eax);
            a.mov(ebx, eax);
            a.stc();
            a.lahf();
            a.xor(ah, 0xFF);
            a.sahf();
            a.setc(cl);
            a.AddInstruction(Instruction.Create(Code.Bswap_r16, Register.DX));
        }, baseValue: 0);

        Assert.That(pair.RunAndCompare(), Is.Null);
        Assert.That(pair.Candidate.Registers.EBX, Is.EqualTo(0x7856_3412u));
        AssertNative(pair);
    }

    private static TierPair Run(Action<Assembler> instruction, ushort baseValue)
    {
        var pair = new TierPair();
        pair.Load(new Random(9), a =>
        {
            // Flags and registers set just before, so a fault that committed anything would show.
            a.mov(bx, baseValue);
            a.mov(bp, LastByte);
            a.mov(ecx, 0x10);
            a.xor(dx, dx);
            a.mov(si, 0x10);
            a.mov(di, 0x20);
            a.inc(ax);
            instruction(a);
            a.inc(di);
        });
        return pair;
    }

    private static PagedCpuMachine Paged(CpuTier tier, Action<Assembler> instruction)
    {
        var machine = PagedCpuMachine.OnTier(tier);
        machine.Load(a =>
        {
            a.mov(esi, SourceBuffer);
            a.mov(edi, MappedEnd - 2);
            a.mov(ecx, 0x1234_5678);
            a.mov(eax, 0x0F0F_0F0F);
            a.inc(edx);
            instruction(a);
            a.inc(ebx);
        });
        machine.Inner.Memory.Write(MappedEnd - WatchedBytes, Enumerable.Range(1, WatchedBytes).Select(i => (byte)i).ToArray());
        machine.Inner.Memory.Write(SourceBuffer, [0xA5, 0x5A, 0xC3, 0x3C]);
        machine.RunToHalt();
        return machine;
    }

    private static byte[] Watched(PagedCpuMachine machine)
    {
        var bytes = new byte[WatchedBytes];
        machine.Inner.Memory.Read(MappedEnd - WatchedBytes, bytes);
        return bytes;
    }

    private static void AssertNative(TierPair pair)
    {
        Assert.That(pair.Candidate.Cpu.TranslatedInstructions, Is.GreaterThan(0));
        Assert.That(InterpretedInside(pair), Is.Empty);
    }

    private static TestCaseData Case(string kind, string name, Action<Assembler> instruction) =>
        new TestCaseData(instruction).SetName($"{kind}_{name.Replace(' ', '_')}_MatchesInterpreter");

    private static List<string> InterpretedInside(TierPair pair) =>
        pair.Candidate.Cpu.InterpretedInsideBlocksByMnemonic().Select(e => e.Mnemonic).Where(NativeMnemonics.Contains).ToList();
}
