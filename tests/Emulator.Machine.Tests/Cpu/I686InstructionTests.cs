using Emulator.Machine.Loop;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>The additions a Pentium II-class kernel relies on: CMOVcc, CMPXCHG8B and RDTSC (Intel SDM vol. 2A/2B).</summary>
public class I686InstructionTests
{
    private const ushort FarSegment = 0x5000;
    private const byte GeneralProtectionVector = 13;

    [TestCase(true, 0x1111u)]
    [TestCase(false, 0x2222u)]
    public void Cmovz_RegisterSource_MovesOnlyWhenZeroIsSet(bool equal, uint expected)
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(eax, 0x2222);
            asm.mov(ebx, 0x1111);
            asm.mov(ecx, equal ? 5 : 6);
            asm.cmp(ecx, 5);
            asm.cmovz(eax, ebx);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EAX, Is.EqualTo(expected));
    }

    [Test]
    public void Cmovnz_MemorySource_ReadsTheDword()
    {
        var machine = new CpuTestMachine();
        machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0x80), [0x78, 0x56, 0x34, 0x12]);
        machine.Load16(asm =>
        {
            asm.xor(eax, eax);
            asm.cmp(eax, 1);
            asm.cmovne(eax, __dword_ptr[0x80]);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EAX, Is.EqualTo(0x1234_5678u));
    }

    [Test]
    public void Cmov_ConditionFalse_SourceStillChecked()
    {
        var machine = new CpuTestMachine();
        machine.InstallHandler(GeneralProtectionVector, FarSegment, asm => asm.hlt());
        machine.Load16(asm =>
        {
            asm.mov(bx, 0xFFFF);
            asm.xor(eax, eax);
            asm.cmovnz(eax, __dword_ptr[bx]);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.CS, Is.EqualTo(FarSegment), "the operand past the segment limit faults although no move happens");
    }

    [TestCase(0x1111_2222u, 0x3333_4444u, true, TestName = "Cmpxchg8b_EdxEaxMatches_StoresEcxEbxAndSetsZero")]
    [TestCase(0x1111_2222u, 0x3333_0000u, false, TestName = "Cmpxchg8b_EdxEaxDiffers_LoadsTheQuadwordAndClearsZero")]
    public void Cmpxchg8b_AgainstMemoryQuadword(uint eaxValue, uint edxValue, bool equal)
    {
        var machine = new CpuTestMachine();
        var address = CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0x40);
        machine.Memory.Write(address, [0x22, 0x22, 0x11, 0x11, 0x44, 0x44, 0x33, 0x33]);
        machine.Load16(asm =>
        {
            asm.mov(eax, eaxValue);
            asm.mov(edx, edxValue);
            asm.mov(ebx, 0xAAAA_BBBB);
            asm.mov(ecx, 0xCCCC_DDDD);
            asm.cmpxchg8b(__qword_ptr[0x40]);
        });

        machine.RunToHalt();

        var memory = ((ulong)machine.ReadDword(address + 4) << 32) | machine.ReadDword(address);
        Assert.That(
            (memory, machine.Registers.EDX, machine.Registers.EAX, machine.Registers.ZeroFlag),
            Is.EqualTo(equal
                ? (0xCCCC_DDDD_AAAA_BBBBUL, edxValue, eaxValue, true)
                : (0x3333_4444_1111_2222UL, 0x3333_4444u, 0x1111_2222u, false)));
    }

    [Test]
    public void Rdtsc_OnTheMachine_CountsVirtualNanosecondsToTheInstruction()
    {
        var machine = new PcMachine(new PcMachineOptions { Idle = IdleMode.Skip, RtcStartTime = new DateTime(2026, 1, 1) });
        var a = new Assembler(16);
        a.rdtsc();
        a.mov(esi, eax);
        a.mov(edi, edx);
        for (var i = 0; i < 98; i++)
        {
            a.nop();
        }

        a.rdtsc();
        a.hlt();
        using var code = new MemoryStream();
        a.Assemble(new StreamCodeWriter(code), 0);
        machine.Memory.Write(0x10000, code.ToArray());
        machine.Start();
        machine.Cpu.Registers.CS = 0x1000;
        machine.Cpu.Registers.EIP = 0;

        machine.Run(RunLimits.Instructions(103));

        // 101 instructions (MOV, MOV, 98 NOPs, the first RDTSC) at 10 ns each separate the two reads.
        var first = ((ulong)machine.Cpu.Registers.EDX << 32) | machine.Cpu.Registers.ESI;
        var second = ((ulong)machine.Cpu.Registers.EDX << 32) | machine.Cpu.Registers.EAX;
        Assert.That((machine.Cpu.Registers.EDI, second - first), Is.EqualTo((0u, 1010UL)));
    }
}
