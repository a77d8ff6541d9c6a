using Iced.Intel;
using static Emulator.Machine.Tests.Cpu.PagedCpuMachine;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>
/// Privilege levels (Intel SDM vol. 3, 5.5–5.8 and 6.12): IRET and RETF to ring 3, INT through a DPL-3
/// trap gate onto the TSS's ring-0 stack and back, the gate DPL check, privileged and IOPL-sensitive
/// instructions, segment-load checks, and LTR/STR.
/// </summary>
public class PrivilegeTests
{
    private const uint UserCodeAddress = CodeAddress + 0x800;
    private const uint SyscallHandler = HandlerAddress + 0x2000;
    private const uint SyscallFrame = 0x3100;
    private const uint UserResult = 0x3200;
    private const byte SyscallVector = 0x80;
    private const byte KernelOnlyVector = 0x81;
    private const int GeneralProtection = 13;
    private const uint IoplThree = 0x3002;

    [Test]
    public void Int80FromRing3_ThroughDpl3TrapGate_RunsOnTssStackAndIretReturns()
    {
        var machine = new PagedCpuMachine();
        machine.SetGate(SyscallVector, SyscallHandler, TrapGate32User);
        machine.WriteCode(SyscallHandler, asm =>
        {
            asm.mov(__dword_ptr[SyscallFrame], esp);
            asm.mov(ecx, __dword_ptr[esp + 4]);
            asm.mov(__dword_ptr[SyscallFrame + 4], ecx);
            asm.mov(ecx, __dword_ptr[esp + 16]);
            asm.mov(__dword_ptr[SyscallFrame + 8], ecx);
            asm.mov(__word_ptr[SyscallFrame + 12], cs);
            asm.inc(eax);
            asm.iretd();
        });
        machine.WriteCode(UserCodeAddress, asm =>
        {
            asm.mov(eax, 41);
            asm.@int(SyscallVector);
            asm.mov(__dword_ptr[UserResult], eax);
            asm.mov(__dword_ptr[UserResult + 4], esp);
            asm.hlt();
        });
        machine.Load(asm => EnterUser(asm, UserCodeAddress));

        machine.RunToHalt();

        Assert.That(machine.Inner.ReadDword(SyscallFrame), Is.EqualTo(KernelStackTop - 20), "SS, ESP, EFLAGS, CS, EIP on the TSS's ring-0 stack");
        Assert.That(machine.Inner.ReadDword(SyscallFrame + 4), Is.EqualTo((uint)UserCode), "pushed CS");
        Assert.That(machine.Inner.ReadDword(SyscallFrame + 8), Is.EqualTo((uint)UserData), "pushed SS");
        Assert.That(machine.Inner.ReadWord(SyscallFrame + 12), Is.EqualTo(KernelCode), "the handler ran at ring 0");
        Assert.That(machine.Inner.ReadDword(UserResult), Is.EqualTo(42u), "IRET came back to ring 3 after the handler");
        Assert.That(machine.Inner.ReadDword(UserResult + 4), Is.EqualTo(UserStackTop), "with the user stack");
        Assert.That(machine.FaultVector, Is.EqualTo(GeneralProtection), "HLT at ring 3");
        Assert.That(machine.FaultErrorCode, Is.Zero);
    }

    [Test]
    public void IntFromRing3_ThroughDpl0Gate_RaisesGeneralProtectionNamingTheGate()
    {
        var machine = new PagedCpuMachine();
        machine.SetGate(KernelOnlyVector, SyscallHandler);
        machine.WriteCode(UserCodeAddress, asm => asm.@int(KernelOnlyVector));
        machine.Load(asm => EnterUser(asm, UserCodeAddress));

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(GeneralProtection));
        Assert.That(machine.FaultErrorCode, Is.EqualTo((KernelOnlyVector * 8u) + 2));
        Assert.That(machine.FaultEip, Is.EqualTo(UserCodeAddress));
    }

    [Test]
    public void RetfToRing3_PopsUserStackAndNullsKernelDataSegments()
    {
        var machine = new PagedCpuMachine();
        machine.WriteCode(UserCodeAddress, asm =>
        {
            asm.mov(__dword_ptr.ss[UserResult], esp);
            asm.mov(__word_ptr.ss[UserResult + 4], ds);
            asm.mov(__word_ptr.ss[UserResult + 6], cs);
            asm.hlt();
        });
        machine.Load(asm =>
        {
            asm.push(UserData);
            asm.push(UserStackTop);
            asm.push(UserCode);
            asm.push(UserCodeAddress);
            asm.retf();
        });

        machine.RunToHalt();

        Assert.That(machine.Inner.ReadDword(UserResult), Is.EqualTo(UserStackTop));
        Assert.That(machine.Inner.ReadWord(UserResult + 4), Is.Zero, "DS held a DPL-0 segment");
        Assert.That(machine.Inner.ReadWord(UserResult + 6), Is.EqualTo(UserCode));
    }

    [Test]
    public void MovDs_KernelDataAtRing3_RaisesGeneralProtectionWithSelector()
    {
        var machine = new PagedCpuMachine();
        machine.WriteCode(UserCodeAddress, asm =>
        {
            asm.mov(ax, KernelData);
            asm.mov(ds, ax);
        });
        machine.Load(asm => EnterUser(asm, UserCodeAddress));

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(GeneralProtection));
        Assert.That(machine.FaultErrorCode, Is.EqualTo((uint)KernelData));
    }

    [TestCase(0x0002u, 0u, TestName = "Cli_AtRing3WithIopl0_FaultsOnCli")]
    [TestCase(IoplThree, 1u, TestName = "Cli_AtRing3WithIopl3_RunsAndFaultsOnHlt")]
    public void Cli_AtRing3_NeedsIopl3(uint userFlags, uint faultOffset)
    {
        var machine = new PagedCpuMachine();
        machine.WriteCode(UserCodeAddress, asm =>
        {
            asm.cli();
            asm.hlt();
        });
        machine.Load(asm => EnterUser(asm, UserCodeAddress, userFlags));

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(GeneralProtection));
        Assert.That(machine.FaultEip, Is.EqualTo(UserCodeAddress + faultOffset));
    }

    [Test]
    public void Popf_AtRing3_CannotRaiseIopl()
    {
        var machine = new PagedCpuMachine();
        machine.WriteCode(UserCodeAddress, asm =>
        {
            asm.push(IoplThree);
            asm.popfd();
            asm.pushfd();
            asm.pop(__dword_ptr[UserResult]);
            asm.hlt();
        });
        machine.Load(asm => EnterUser(asm, UserCodeAddress));

        machine.RunToHalt();

        Assert.That(machine.Inner.ReadDword(UserResult) & 0x3000, Is.Zero);
    }

    [Test]
    public void JmpFar_ToDpl3CodeFromRing0_RaisesGeneralProtection()
    {
        var machine = new PagedCpuMachine().Load(asm => asm.AddInstruction(Instruction.CreateBranch(Code.Jmp_ptr1632, UserCode, UserCodeAddress)));

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(GeneralProtection));
        Assert.That(machine.FaultErrorCode, Is.EqualTo((uint)(UserCode & ~3)));
    }

    [Test]
    public void Ltr_AvailableTss_MarksItBusyAndStrReadsIt()
    {
        const ushort SecondTss = 0x30;
        var machine = new PagedCpuMachine();
        var gdtLimit = (ushort)(SecondTss + 7);
        machine.Registers.GdtrLimit = gdtLimit;
        machine.WriteDwords(GdtAddress + SecondTss, (TssAddress << 16) | 0x67, 0x0000_8900);
        machine.Load(asm =>
        {
            asm.mov(ax, SecondTss);
            asm.ltr(ax);
            asm.str(bx);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.BX, Is.EqualTo(SecondTss));
        Assert.That(machine.Inner.ReadDword(GdtAddress + SecondTss + 4) & 0x0F00, Is.EqualTo(0x0B00u), "type 9 became busy type B");
    }
}
