using static Emulator.Machine.Tests.Cpu.PagedCpuMachine;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>MOV to and from the debug registers (Intel SDM vol. 3, 18.2): fixed bits, DR4/DR5 aliases, privilege.</summary>
public class DebugRegisterTests
{
    private const uint UserCodeAddress = CodeAddress + 0x800;
    private const int GeneralProtection = 13;

    [Test]
    public void MovDr6Dr7_WriteZero_ReadsBackFixedBits()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.xor(eax, eax);
            asm.mov(dr6, eax);
            asm.mov(dr7, eax);
            asm.mov(ebx, dr6);
            asm.mov(ecx, dr7);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EBX, Is.EqualTo(0xFFFF_0FF0u));
        Assert.That(machine.Registers.ECX, Is.EqualTo(0x0000_0400u));
    }

    [Test]
    public void MovDr0_Address_ReadsBackWhole()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(eax, 0xC123_4567);
            asm.mov(dr0, eax);
            asm.mov(edx, dr0);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EDX, Is.EqualTo(0xC123_4567u));
    }

    [Test]
    public void MovDr7_EnableBits_KeepsWritableBitsOnly()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(eax, 0xFFFF_FFFF);
            asm.mov(dr7, eax);
            asm.mov(ebx, dr7);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EBX, Is.EqualTo(0xFFFF_27FFu), "bits 11, 12, 14 and 15 read as zero, bit 10 as one");
    }

    [Test]
    public void MovFromDr6_AfterReset_ReadsPowerOnValue()
    {
        var machine = new CpuTestMachine().Load16(asm => asm.mov(esi, dr6));

        machine.RunToHalt();

        Assert.That(machine.Registers.ESI, Is.EqualTo(0xFFFF_0FF0u));
    }

    [Test]
    public void MovDr4_WithoutCr4De_AliasesDr6()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(eax, 0x0000_0001);
            asm.mov(dr6, eax);
            asm.mov(ebx, dr4);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EBX, Is.EqualTo(0xFFFF_0FF1u));
    }

    [Test]
    public void MovFromDr7_AtRing3_RaisesGeneralProtection()
    {
        var machine = new PagedCpuMachine();
        machine.WriteCode(UserCodeAddress, asm => asm.mov(eax, dr7));
        machine.Load(asm => EnterUser(asm, UserCodeAddress));

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(GeneralProtection));
        Assert.That(machine.FaultErrorCode, Is.Zero);
        Assert.That(machine.FaultEip, Is.EqualTo(UserCodeAddress));
    }
}
