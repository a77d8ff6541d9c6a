using Emulator.Machine.Memory;
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

    [Test]
    public void MmioMappedOverCachedCode_AndRemovedAgain_EachMappingRunsItsOwnBytes()
    {
        var machine = new CpuTestMachine().Load16(asm => asm.mov(ax, 0x1111));
        machine.RunToHalt();
        var device = new CodeRom(CpuTestMachine.Assemble(16, 0, asm =>
        {
            asm.mov(ax, 0x2222);
            asm.hlt();
        }));
        var page = CpuTestMachine.Physical(CpuTestMachine.CodeSegment, 0);

        var mapped = machine.Memory.TryRegisterMmio(page, GuestMemory.PageSize, device);
        RunAgain(machine);
        var fromDevice = machine.Registers.AX;
        var unmapped = machine.Memory.UnregisterMmio(page, GuestMemory.PageSize, device);
        RunAgain(machine);

        Assert.That(mapped && unmapped, Is.True);
        Assert.That(fromDevice, Is.EqualTo(0x2222), "code decoded from RAM was dropped when MMIO covered the page");
        Assert.That(machine.Registers.AX, Is.EqualTo(0x1111), "code decoded from the device was dropped when RAM came back");
    }

    private static void RunAgain(CpuTestMachine machine)
    {
        machine.Registers.EIP = 0;
        machine.Cpu.Halted = false;
        machine.RunToHalt();
    }

    /// <summary>A device that answers reads with fixed bytes from the start of its range.</summary>
    private sealed class CodeRom(byte[] bytes) : IMmioDevice
    {
        public uint Read(uint address, AccessWidth width)
        {
            uint value = 0;
            var offset = (int)(address & GuestMemory.PageSize - 1);
            for (var i = 0; i < (int)width; i++)
            {
                var at = offset + i;
                value |= (uint)(at < bytes.Length ? bytes[at] : 0) << (8 * i);
            }

            return value;
        }

        public void Write(uint address, AccessWidth width, uint value)
        {
        }
    }
}
