using Emulator.Machine.Cpu;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

public class ResetTests
{
    private const int BiosSize = 64 * 1024;
    private const ushort BiosSegment = 0xF000;
    private const ushort BiosEntry = 0xE05B;
    private const ushort ResetVectorOffset = 0xFFF0;

    [Test]
    public void Reset_FirstFetchFromRomAliasAtTopOf4GiB_JumpsIntoBiosBelowOneMegabyte()
    {
        var bios = new byte[BiosSize];
        CpuTestMachine.Assemble(16, ResetVectorOffset, asm => asm.AddInstruction(Instruction.CreateBranch(Code.Jmp_ptr1616, BiosSegment, BiosEntry)))
            .CopyTo(bios, ResetVectorOffset);
        CpuTestMachine.Assemble(16, BiosEntry, asm =>
        {
            asm.mov(ax, cs);
            asm.hlt();
        }).CopyTo(bios, BiosEntry);
        var machine = new CpuTestMachine();
        machine.Memory.LoadBios(bios);

        machine.Cpu.Reset();
        var resetBase = machine.Registers.GetSegment(SegmentRegister.CS).Base;
        machine.RunToHalt();

        Assert.That(resetBase, Is.EqualTo(X86Cpu.ResetBase));
        Assert.That(machine.Registers.AX, Is.EqualTo(BiosSegment));
        Assert.That(machine.Registers.GetSegment(SegmentRegister.CS).Base, Is.EqualTo((uint)BiosSegment << 4));
    }
}
