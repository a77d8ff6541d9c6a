using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

public class DecodeCacheTests
{
    /// <summary>MOV AX, imm16 is B8 iw: the immediate starts one byte into the instruction.</summary>
    private const int MovImmediateOffset = 1;

    /// <summary>Where the patched subroutine lives in the code segment (same 4 KiB page as the caller).</summary>
    private const int SubroutineOffset = 0x100;

    [Test]
    public void SelfModifyingCode_PatchedImmediate_IsSeenOnNextExecution()
    {
        var machine = new CpuTestMachine();
        machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.CodeSegment, SubroutineOffset), CpuTestMachine.Assemble(16, SubroutineOffset, asm =>
        {
            asm.mov(ax, 0x1111);
            asm.ret();
        }));
        machine.Load16(asm =>
        {
            asm.xor(bx, bx);
            asm.call(SubroutineOffset);
            asm.add(bx, ax);
            asm.mov(__word_ptr.cs[SubroutineOffset + MovImmediateOffset], 0x2222);
            asm.call(SubroutineOffset);
            asm.add(bx, ax);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.BX, Is.EqualTo(0x1111 + 0x2222));
    }

    [Test]
    public void DmaWrite_OverCachedCode_IsSeenOnNextExecution()
    {
        var machine = new CpuTestMachine().Load16(asm => asm.mov(ax, 0x1111));
        machine.RunToHalt();
        var patch = CpuTestMachine.Assemble(16, 0, asm =>
        {
            asm.mov(ax, 0x2222);
            asm.hlt();
        });

        var accepted = machine.Memory.TryWrite(CpuTestMachine.Physical(CpuTestMachine.CodeSegment, 0), patch);
        machine.Registers.EIP = 0;
        machine.Cpu.Halted = false;
        machine.RunToHalt();

        Assert.That(accepted, Is.True);
        Assert.That(machine.Registers.AX, Is.EqualTo(0x2222));
    }
}
