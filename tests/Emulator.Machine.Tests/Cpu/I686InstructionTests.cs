using Emulator.Machine.Loop;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>The i686 additions a Pentium II-class kernel relies on: CMOVcc and RDTSC (Intel SDM vol. 2A/2B).</summary>
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
