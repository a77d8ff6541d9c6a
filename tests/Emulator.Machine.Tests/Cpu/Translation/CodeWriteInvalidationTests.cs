using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// Fine-grained invalidation (docs/translating-cpu.md, "Invalidation"): a write into a page holding translated
/// code drops the blocks whose bytes it overlaps and nothing else, so data kept between routines (DOS, BIOS
/// variables, the kernel's data in code pages) costs no retranslation, while a write into code is still seen.
/// Each loop runs through both tiers and must leave the same state.
/// </summary>
public class CodeWriteInvalidationTests
{
    private const ushort Iterations = 20;
    private const ushort PatchAt = 10;
    private const uint SubroutineOffset = 0x100;

    /// <summary>Where the counter sits: right after a two-byte short JMP at CS:0.</summary>
    private const uint CounterOffset = 2;

    /// <summary>MOV EAX, imm32 in 16-bit code is 66 B8 id: the immediate's last byte is the instruction's sixth.</summary>
    private const uint ImmediateLastByte = SubroutineOffset + 5;

    private const byte NewHighByte = 0x22;
    private const uint OldImmediate = 0x1111_1111;
    private const uint NewImmediate = 0x2211_1111;

    [Test]
    public void WriteBetweenRoutines_InLoop_DropsNoBlock()
    {
        var pair = new TierPair();
        pair.Load(new Random(11), a =>
        {
            // A counter word between two pieces of code in one page (after a short JMP over it): the loop's
            // store lands between its own blocks.
            var start = a.CreateLabel();
            var top = a.CreateLabel();
            a.jmp(start);
            a.dw(0);
            a.Label(ref start);
            a.mov(cx, Iterations);
            a.Label(ref top);
            a.AddInstruction(Instruction.Create(Code.Inc_rm16, new MemoryOperand(Register.None, Register.None, 1, CounterOffset, 2, false, Register.CS)));
            a.dec(cx);
            a.jnz(top);
        });

        Assert.That(pair.RunAndCompare(), Is.Null);
        Assert.That(pair.Candidate.ReadWord(CpuTestMachine.Physical(CpuTestMachine.CodeSegment, CounterOffset)), Is.EqualTo(Iterations));
        Assert.That(pair.Candidate.Cpu.TranslatedInstructions, Is.GreaterThan(Iterations), "the loop did not run translated");
        Assert.That(pair.Candidate.Cpu.TranslationChurn.Blocks, Is.Zero, "a store beside code dropped a block");
    }

    [Test]
    public void WriteIntoLastByteOfInstruction_InAnotherBlock_DropsOnlyThatBlock()
    {
        var pair = new TierPair();
        pair.Load(new Random(12), a =>
        {
            // Each pass calls 'mov eax, imm32; ret' in the same page and adds EAX to EBX; at pass PatchAt a store
            // rewrites the immediate's last byte, five bytes after the start of the instruction it belongs to.
            var top = a.CreateLabel();
            var skip = a.CreateLabel();
            // An indirect call: superblock formation would follow a direct one into the subroutine, and the loop's
            // block would then hold the patched bytes too.
            a.xor(ebx, ebx);
            a.mov(cx, Iterations);
            a.mov(si, (ushort)SubroutineOffset);
            a.Label(ref top);
            a.call(si);
            a.add(ebx, eax);
            a.cmp(cx, PatchAt);
            a.jne(skip);
            a.AddInstruction(Instruction.Create(Code.Mov_rm8_imm8, new MemoryOperand(Register.None, Register.None, 1, ImmediateLastByte, 2, false, Register.CS), NewHighByte));
            a.Label(ref skip);
            a.dec(cx);
            a.jnz(top);
        });
        foreach (var machine in new[] { pair.Reference, pair.Candidate })
        {
            machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.CodeSegment, SubroutineOffset), CpuTestMachine.Assemble(16, SubroutineOffset, a =>
            {
                a.mov(eax, OldImmediate);
                a.ret();
            }));
        }

        Assert.That(pair.RunAndCompare(), Is.Null);
        const uint Expected = unchecked((uint)(((Iterations - PatchAt + 1) * (long)OldImmediate) + ((PatchAt - 1) * (long)NewImmediate)));
        Assert.That(pair.Candidate.Registers.EBX, Is.EqualTo(Expected), "the old immediate ran after the store");
        Assert.That(pair.Candidate.Cpu.TranslationChurn.Blocks, Is.EqualTo(1), "the store dropped more than the subroutine's block");
    }
}
