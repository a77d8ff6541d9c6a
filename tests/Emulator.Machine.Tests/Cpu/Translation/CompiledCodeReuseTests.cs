using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// The translating tier keeps compiled code by the guest bytes and CS/SS sizes of a block
/// (docs/translating-cpu.md, "Compiled code by content"): a block dropped by a write into its page and
/// found again with the same bytes reuses its compiled code; with other bytes it is compiled afresh.
/// Each loop runs a block B whose immediate a store rewrites mid-loop (to the same value or another),
/// dropping B's page; a stale B would leave a different sum, a missing reuse a zero reuse count.
/// </summary>
public class CompiledCodeReuseTests
{
    private const uint SuccessorOffset = 0x1000;
    private const uint ReturnOffset = 0x2000;
    private const uint PatchedImmediate = SuccessorOffset + 1;
    private const byte OriginalImmediate = 1;
    private const byte NewImmediate = 5;
    private const ushort Iterations = 20;
    private const ushort SwitchAt = 10;

    [Test]
    public void DroppedBlock_SameBytesWrittenBack_ReusesItsCompiledCode()
    {
        var pair = RewritingLoop(OriginalImmediate);

        Assert.That(pair.RunAndCompare(), Is.Null);
        Assert.That(pair.Candidate.Cpu.Halted, Is.True);
        Assert.That(pair.Candidate.Registers.BL, Is.EqualTo(Iterations * OriginalImmediate));
        var cpu = pair.Candidate.Cpu;
        Assert.That(cpu.BlocksTranslated - cpu.TranslationCost.Blocks, Is.GreaterThan(0), "no block reused the code compiled for its bytes");
    }

    [Test]
    public void DroppedBlock_OtherBytesWritten_RunsTheNewBytes()
    {
        var pair = RewritingLoop(NewImmediate);

        Assert.That(pair.RunAndCompare(), Is.Null);
        const int Expected = ((Iterations - SwitchAt + 1) * OriginalImmediate) + ((SwitchAt - 1) * NewImmediate);
        Assert.That(pair.Candidate.Registers.BL, Is.EqualTo(Expected), "B's old code ran after the store");
    }

    /// <summary>A jumps to B (add an immediate to BL) in the next page; at <see cref="SwitchAt"/> a store through CS writes <paramref name="patch"/> over B's immediate.</summary>
    private static TierPair RewritingLoop(byte patch)
    {
        var pair = new TierPair();
        pair.Load(new Random(11), a =>
        {
            a.inc(dx);
            a.jmp((ulong)SuccessorOffset);
        });
        foreach (var machine in new[] { pair.Reference, pair.Candidate })
        {
            machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.CodeSegment, SuccessorOffset), CpuTestMachine.Assemble(16, SuccessorOffset, a =>
            {
                a.mov(al, OriginalImmediate);
                a.add(bl, al);
                a.jmp((ulong)ReturnOffset);
            }));
            machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.CodeSegment, ReturnOffset), CpuTestMachine.Assemble(16, ReturnOffset, a =>
            {
                var skip = a.CreateLabel();
                a.cmp(cx, SwitchAt);
                a.jne(skip);
                a.AddInstruction(Instruction.Create(Code.Mov_rm8_imm8, new MemoryOperand(Register.None, Register.None, 1, PatchedImmediate, 2, false, Register.CS), patch));
                a.Label(ref skip);
                a.dec(cx);
                a.jnz(0ul);
                a.hlt();
            }));
            machine.Registers.ECX = Iterations;
            machine.Registers.EBX = 0;
        }

        return pair;
    }
}
