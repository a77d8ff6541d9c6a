using Emulator.Machine.Cpu;
using Iced.Intel;
using static Emulator.Machine.Tests.Cpu.PagedCpuMachine;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// Block chaining in the translating tier (docs/translating-cpu.md): a block that ran is remembered as
/// its predecessor's successor and later entered without the full lookup, but never once the successor
/// was dropped (a code write) or its page now translates elsewhere (a CR3 switch). Each guest loop
/// runs a block A whose jump leads to a block B in another page; B changes under A's link mid-loop,
/// and a stale B would leave a different sum.
/// </summary>
public class BlockChainingTests
{
    private const uint SuccessorOffset = 0x1000;
    private const uint ReturnOffset = 0x2000;
    private const uint PatchedImmediate = SuccessorOffset + 1;
    private const byte NewImmediate = 5;
    private const ushort Iterations = 20;
    private const ushort SwitchAt = 10;

    private const uint SuccessorLinear = 0x0030_0000;
    private const uint SuccessorPage = SuccessorLinear / PageSize;
    private const uint ReturnAddress = CodeAddress + PageSize;
    private const uint SecondDirectory = 0x1_3000;
    private const uint FirstFrame = 0x5_0000;
    private const uint SecondFrame = 0x6_0000;
    private const int FirstAddend = 1;
    private const int SecondAddend = 100;

    [Test]
    public void ChainedSuccessor_RewrittenBySelfModifyingStore_RunsTheNewBytes()
    {
        var pair = new TierPair();
        pair.Load(new Random(7), a =>
        {
            // A, at CS:0: its jump leads to B in the next page.
            a.inc(dx);
            a.jmp((ulong)SuccessorOffset);
        });
        foreach (var machine in new[] { pair.Reference, pair.Candidate })
        {
            // B: 'mov al, imm8' (immediate at B+1), add it to BL, go on in a third page.
            machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.CodeSegment, SuccessorOffset), CpuTestMachine.Assemble(16, SuccessorOffset, a =>
            {
                a.mov(al, 1);
                a.add(bl, al);
                a.jmp((ulong)ReturnOffset);
            }));

            // At the switch count, a store through CS rewrites B's immediate; then loop back to A.
            machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.CodeSegment, ReturnOffset), CpuTestMachine.Assemble(16, ReturnOffset, a =>
            {
                var skip = a.CreateLabel();
                a.cmp(cx, SwitchAt);
                a.jne(skip);
                a.AddInstruction(Instruction.Create(Code.Mov_rm8_imm8, new MemoryOperand(Register.None, Register.None, 1, PatchedImmediate, 2, false, Register.CS), NewImmediate));
                a.Label(ref skip);
                a.dec(cx);
                a.jnz(0ul);
                a.hlt();
            }));
            machine.Registers.ECX = Iterations;
            machine.Registers.EBX = 0;
        }

        Assert.That(pair.RunAndCompare(), Is.Null);
        Assert.That(pair.Candidate.Cpu.Halted, Is.True);
        const int Expected = ((Iterations - SwitchAt + 1) * 1) + ((SwitchAt - 1) * NewImmediate);
        Assert.That(pair.Candidate.Registers.BL, Is.EqualTo(Expected), "B's old translation ran after the store");
        Assert.That(pair.Candidate.Cpu.ChainedBlocks, Is.GreaterThan(0), "no block was entered through a chain link");
    }

    /// <summary>
    /// One subroutine block returns to four call sites in turn. With links for only the last two targets every
    /// return missed its link (the target it went to was always the least recent) and took the full lookup;
    /// the block keeps its last four, so after the first round every return is entered through a link.
    /// </summary>
    [Test]
    public void SubroutineReturningToFourCallSites_EveryReturnFollowsALink()
    {
        const ushort Rounds = 200;

        // The loop's blocks each miss once per target while their links are made; with two links the returns alone missed four times a round.
        const int FirstRoundMisses = 16;
        var pair = new TierPair();
        pair.Load(new Random(11), a =>
        {
            var start = a.CreateLabel();
            var subroutine = a.CreateLabel();
            a.jmp(start);

            // Placed before its callers, so no caller's block continues into it: all four share its RET.
            a.Label(ref subroutine);
            a.inc(bx);
            a.ret();

            a.Label(ref start);
            a.call(subroutine);
            a.call(subroutine);
            a.call(subroutine);
            a.call(subroutine);
            a.dec(cx);
            a.jnz(start);
            a.hlt();
        });
        foreach (var machine in pair.Machines)
        {
            machine.Registers.ECX = Rounds;
            machine.Registers.EBX = 0;
        }

        Assert.That(pair.RunAndCompare(), Is.Null);
        Assert.That(pair.Candidate.Cpu.Halted, Is.True);
        Assert.That(pair.Candidate.Registers.BX, Is.EqualTo(4 * Rounds));
        var noLink = pair.Candidate.Cpu.ChainMisses().Single(m => m.Reason == "NoLink").Count;
        Assert.That(noLink, Is.LessThanOrEqualTo(FirstRoundMisses), "returns took the full lookup after their targets were linked");
    }

    [Test]
    public void ChainedSuccessor_PageRemappedByCr3Switch_RunsTheNewMapping()
    {
        var reference = RemappingLoop(CpuTier.Interpreter);
        var candidate = RemappingLoop(CpuTier.Translator);

        const uint Expected = (SwitchAt * FirstAddend) + ((Iterations - SwitchAt) * SecondAddend);
        Assert.That(reference.Registers.EBX, Is.EqualTo(Expected), "the interpreter's sum");
        Assert.That(candidate.Registers.EBX, Is.EqualTo(Expected), "a stale chained successor ran after MOV CR3");
        Assert.That(candidate.Registers.EDX, Is.EqualTo(reference.Registers.EDX));
        Assert.That(candidate.Registers.EIP, Is.EqualTo(reference.Registers.EIP));
        Assert.That(candidate.Inner.Cpu.InstructionCount, Is.EqualTo(reference.Inner.Cpu.InstructionCount));
        Assert.That(candidate.Inner.Cpu.ChainedBlocks, Is.GreaterThan(0), "no block was entered through a chain link");
    }

    [Test]
    public void SamePageSuccessor_PageRemappedAndTlbEntryEvictedInsideChain_RunsTheNewMapping()
    {
        var reference = SamePageRemappingLoop(CpuTier.Interpreter);
        var candidate = SamePageRemappingLoop(CpuTier.Translator);

        const uint Expected = ((SwitchAt - 1) * FirstAddend) + ((Iterations - SwitchAt + 1) * SecondAddend);
        Assert.That(reference.Registers.EBX, Is.EqualTo(Expected), "the interpreter's sum");
        Assert.That(candidate.Registers.EBX, Is.EqualTo(Expected), "a same-page successor ran through a mapping the TLB no longer held");
        Assert.That(candidate.Registers.EIP, Is.EqualTo(reference.Registers.EIP));
        Assert.That(candidate.Inner.Cpu.InstructionCount, Is.EqualTo(reference.Inner.Cpu.InstructionCount));
        Assert.That(candidate.Inner.Cpu.ChainedBlocks, Is.GreaterThan(0), "no block was entered through a chain link");
    }

    /// <summary>
    /// One code page at linear 3 MiB, mapped to one of two frames that differ only in B's addend. Each pass:
    /// A (inc EDX; at the switch count load ESI with the second frame's entry) → C (store ESI into the page's
    /// table entry, then load from linear 1 MiB, whose walk refills the TLB set holding the code page) →
    /// B (add EBX) → A. C and B share the page, so C's jump to B is a same-page successor; after the switch
    /// the TLB no longer holds the old mapping and the fetch walks to the new frame.
    /// </summary>
    private static PagedCpuMachine SamePageRemappingLoop(CpuTier tier)
    {
        // B sits below C, so C's jump to B is backward: block formation follows only forward jumps
        // (superblocks), so B stays a block of its own, entered through C's chain link.
        const uint StoreOffset = 0x100;
        const uint AddOffset = 0x40;
        const uint ConflictingLinear = 0x0010_0000;
        const uint EntryAddress = TableAddress + (SuccessorPage * 4);
        const uint FirstEntry = FirstFrame | Present | Writable;
        const uint SecondEntry = SecondFrame | Present | Writable;
        var machine = OnTier(tier);
        machine.SetTableEntry(TableAddress, SuccessorPage, FirstEntry);
        foreach (var (frame, addend) in new[] { (FirstFrame, FirstAddend), (SecondFrame, SecondAddend) })
        {
            machine.Inner.Memory.Write(frame, CpuTestMachine.Assemble(32, SuccessorLinear, a =>
            {
                var keep = a.CreateLabel();
                a.inc(edx);
                a.cmp(edx, SwitchAt);
                a.jne(keep);
                a.mov(esi, SecondEntry);
                a.Label(ref keep);
                a.jmp((ulong)(SuccessorLinear + StoreOffset));
            }));
            machine.Inner.Memory.Write(frame + StoreOffset, CpuTestMachine.Assemble(32, SuccessorLinear + StoreOffset, a =>
            {
                a.mov(__dword_ptr[EntryAddress], esi);
                a.mov(eax, __dword_ptr[ConflictingLinear]);
                a.jmp((ulong)(SuccessorLinear + AddOffset));
            }));
            machine.Inner.Memory.Write(frame + AddOffset, CpuTestMachine.Assemble(32, SuccessorLinear + AddOffset, a =>
            {
                a.add(ebx, addend);
                a.cmp(edx, Iterations);
                a.jne((ulong)SuccessorLinear);
                a.hlt();
            }));
        }

        machine.WriteCode(CodeAddress, a => a.jmp((ulong)SuccessorLinear));
        var r = machine.Registers;
        (r.EBX, r.EDX, r.ESI) = (0, 0, FirstEntry);
        machine.RunToHalt();
        return machine;
    }

    /// <summary>
    /// Paged flat code: A (inc EDX; jmp to linear 3 MiB) → B (add EBX; jmp back) → the return page, which
    /// loads CR3 with a second directory once EDX reaches the switch count. The two directories map
    /// linear 3 MiB to different frames holding different B's; everything else is the identity map.
    /// </summary>
    private static PagedCpuMachine RemappingLoop(CpuTier tier)
    {
        var machine = OnTier(tier);
        machine.SetTableEntry(TableAddress, SuccessorPage, FirstFrame | Present | Writable);
        machine.WriteDwords(SecondDirectory, SpareTableAddress | Present | Writable | User);
        for (var page = 0u; page < MappedPages; page++)
        {
            machine.SetTableEntry(SpareTableAddress, page, (page * PageSize) | Present | Writable | User);
        }

        machine.SetTableEntry(SpareTableAddress, SuccessorPage, SecondFrame | Present | Writable);
        machine.Inner.Memory.Write(FirstFrame, CpuTestMachine.Assemble(32, SuccessorLinear, a => Successor(a, FirstAddend)));
        machine.Inner.Memory.Write(SecondFrame, CpuTestMachine.Assemble(32, SuccessorLinear, a => Successor(a, SecondAddend)));
        machine.WriteCode(CodeAddress, a =>
        {
            a.inc(edx);
            a.jmp((ulong)SuccessorLinear);
        });
        machine.WriteCode(ReturnAddress, a =>
        {
            var skip = a.CreateLabel();
            a.cmp(edx, SwitchAt);
            a.jne(skip);
            a.mov(cr3, esi);
            a.Label(ref skip);
            a.cmp(edx, Iterations);
            a.jne((ulong)CodeAddress);
            a.hlt();
        });
        var r = machine.Registers;
        (r.EBX, r.EDX, r.ESI) = (0, 0, SecondDirectory);
        machine.RunToHalt();
        return machine;
    }

    private static void Successor(Assembler a, int addend)
    {
        a.add(ebx, addend);
        a.jmp((ulong)ReturnAddress);
    }
}
