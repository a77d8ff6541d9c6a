using static Emulator.Machine.Tests.Cpu.PagedCpuMachine;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>RDMSR/WRMSR with the advertised MSR set, and the privileged cache instructions (Intel SDM vol. 2B, vol. 4).</summary>
public class ModelSpecificRegisterTests
{
    private const uint UserCodeAddress = CodeAddress + 0x800;
    private const uint GeneralProtection = 13;
    private const uint MsrFeatureBit = 1 << 5;
    private const uint TimeStampCounterMsr = 0x10;
    private const uint MicrocodeRevisionMsr = 0x8B;
    private const uint ApicBaseMsr = 0x1B;
    private const uint SysenterCsMsr = 0x174;

    [Test]
    public void Cpuid_Leaf1_AdvertisesMsr()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(eax, 1);
            asm.cpuid();
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EDX & MsrFeatureBit, Is.EqualTo(MsrFeatureBit));
    }

    [Test]
    public void Rdmsr_TimeStampCounter_MatchesRdtsc()
    {
        var machine = new CpuTestMachine();
        machine.Cpu.TimeStampCounter = () => 0x1234_5678_9ABC;
        machine.Load16(asm =>
        {
            asm.mov(ecx, TimeStampCounterMsr);
            asm.rdmsr();
            asm.mov(esi, eax);
            asm.mov(edi, edx);
            asm.rdtsc();
        });

        machine.RunToHalt();

        Assert.That(((ulong)machine.Registers.EDI << 32) | machine.Registers.ESI, Is.EqualTo(0x1234_5678_9ABCUL));
        Assert.That(((ulong)machine.Registers.EDX << 32) | machine.Registers.EAX, Is.EqualTo(0x1234_5678_9ABCUL));
    }

    /// <summary>A P6 writes the low 32 bits of the TSC and clears the high ones; the count then goes on from there (the source advances 50 per read).</summary>
    [Test]
    public void Wrmsr_TimeStampCounter_RdtscContinuesFromWrittenValue()
    {
        var machine = new CpuTestMachine();
        ulong now = 5_000_000_000;
        machine.Cpu.TimeStampCounter = () => now += 50;
        machine.Load16(asm =>
        {
            asm.mov(ecx, TimeStampCounterMsr);
            asm.mov(eax, 1000);
            asm.mov(edx, 7);
            asm.wrmsr();
            asm.rdtsc();
        });

        machine.RunToHalt();

        Assert.That(((ulong)machine.Registers.EDX << 32) | machine.Registers.EAX, Is.EqualTo(1050UL));
    }

    [Test]
    public void Rdmsr_MicrocodeRevision_ReportsRevisionInEdx()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(ecx, MicrocodeRevisionMsr);
            asm.xor(eax, eax);
            asm.xor(edx, edx);
            asm.wrmsr();
            asm.rdmsr();
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EDX, Is.EqualTo(1u));
        Assert.That(machine.Registers.EAX, Is.Zero);
    }

    [TestCase(ApicBaseMsr, false, TestName = "Rdmsr_ApicBase_GeneralProtection")]
    [TestCase(SysenterCsMsr, true, TestName = "Wrmsr_SysenterCs_GeneralProtection")]
    [TestCase(0xC000_0080u, false, TestName = "Rdmsr_Efer_GeneralProtection")]
    public void UnimplementedMsr_RaisesGeneralProtectionZero(uint msr, bool write)
    {
        var machine = new PagedCpuMachine().Load(asm =>
        {
            asm.mov(ecx, msr);
            if (write)
            {
                asm.wrmsr();
            }
            else
            {
                asm.rdmsr();
            }
        });

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(GeneralProtection));
        Assert.That(machine.FaultErrorCode, Is.Zero);
        Assert.That(machine.FaultEip, Is.EqualTo(CodeAddress + 5), "the RDMSR/WRMSR after the 5-byte MOV");
    }

    [TestCase(0, TestName = "Rdmsr_AtRing3_GeneralProtection")]
    [TestCase(1, TestName = "Wbinvd_AtRing3_GeneralProtection")]
    [TestCase(2, TestName = "Invd_AtRing3_GeneralProtection")]
    public void PrivilegedAtRing3_RaisesGeneralProtection(int instruction)
    {
        var machine = new PagedCpuMachine();
        machine.WriteCode(UserCodeAddress, asm =>
        {
            asm.mov(ecx, TimeStampCounterMsr);
            switch (instruction)
            {
                case 0: asm.rdmsr(); break;
                case 1: asm.wbinvd(); break;
                default: asm.invd(); break;
            }
        });
        machine.Load(asm => EnterUser(asm, UserCodeAddress));

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(GeneralProtection));
        Assert.That(machine.FaultEip, Is.EqualTo(UserCodeAddress + 5));
    }

    [Test]
    public void Wbinvd_AtRing0_Runs()
    {
        var machine = new PagedCpuMachine().Load(asm =>
        {
            asm.wbinvd();
            asm.invd();
            asm.mov(eax, 0x600D);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EAX, Is.EqualTo(0x600Du));
        Assert.That(machine.FaultVector, Is.Not.EqualTo(GeneralProtection));
    }
}
