using static Emulator.Machine.Tests.Cpu.PagedCpuMachine;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>
/// LAR, LSL, VERR, VERW and ARPL (Intel SDM vol. 2) against the test machine's GDT: flat ring-0 code
/// and data, flat ring-3 code and data, and a 32-bit TSS at selector 28h with limit 67h.
/// </summary>
public class SelectorCheckTests
{
    private const uint UserCodeAddress = CodeAddress + 0x800;
    private const uint Result = 0x3400;
    private const uint ZeroFlag = 1 << 6;
    private const ushort PastGdt = 0x30;
    private const uint Untouched = 0x1234_5678;

    [Test]
    public void Lar_KernelCode_LoadsMaskedAccessRightsAndSetsZf()
    {
        var (value, zf) = Ring0(asm => asm.lar(eax, ecx), KernelCode);

        Assert.That(zf, Is.True);
        Assert.That(value, Is.EqualTo(0x00C0_9A00u), "type, DPL, P, AVL/D/G of the second doubleword, limit bits masked");
    }

    [Test]
    public void Lsl_Tss_LoadsByteLimit()
    {
        var (value, zf) = Ring0(asm => asm.lsl(eax, ecx), TssSelector);

        Assert.That(zf, Is.True);
        Assert.That(value, Is.EqualTo(0x67u));
    }

    [Test]
    public void Lsl_PageGranularData_LoadsExpandedLimit()
    {
        var (value, zf) = Ring0(asm => asm.lsl(eax, ecx), KernelData);

        Assert.That(zf, Is.True);
        Assert.That(value, Is.EqualTo(0xFFFF_FFFFu));
    }

    [TestCase(PastGdt)]
    [TestCase((ushort)0)]
    public void Lar_SelectorPastGdtOrNull_ClearsZfAndLeavesDestination(ushort selector)
    {
        var (value, zf) = Ring0(asm => asm.lar(eax, ecx), selector);

        Assert.That(zf, Is.False);
        Assert.That(value, Is.EqualTo(Untouched));
    }

    [TestCase(KernelData, true)]
    [TestCase(KernelCode, false)]
    [TestCase(UserData, true)]
    public void Verw_AtRing0_OnlyWritableData(ushort selector, bool writable)
    {
        var (_, zf) = Ring0(asm => asm.verw(cx), selector);

        Assert.That(zf, Is.EqualTo(writable));
    }

    [Test]
    public void Verr_ReadableCode_SetsZf()
    {
        var (_, zf) = Ring0(asm => asm.verr(cx), KernelCode);

        Assert.That(zf, Is.True);
    }

    [TestCase(KernelData, false)]
    [TestCase(UserData, true)]
    public void Verw_AtRing3_NeedsDplThree(ushort selector, bool writable)
    {
        var machine = new PagedCpuMachine();
        machine.WriteCode(UserCodeAddress, asm =>
        {
            asm.mov(ecx, selector);
            asm.verw(cx);
            asm.pushfd();
            asm.pop(__dword_ptr.ss[Result]);
            asm.hlt();
        });
        machine.Load(asm => EnterUser(asm, UserCodeAddress));

        machine.RunToHalt();

        Assert.That((machine.Inner.ReadDword(Result) & ZeroFlag) != 0, Is.EqualTo(writable));
    }

    [Test]
    public void Arpl_LowerDestinationRpl_RaisesItAndSetsZf()
    {
        var machine = new PagedCpuMachine().Load(asm =>
        {
            asm.mov(eax, 0x0010);
            asm.mov(ebx, 0x0003);
            asm.arpl(ax, bx);
            asm.pushfd();
            asm.pop(__dword_ptr[Result]);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EAX, Is.EqualTo(0x13u));
        Assert.That(machine.Inner.ReadDword(Result) & ZeroFlag, Is.EqualTo(ZeroFlag));
    }

    [Test]
    public void Lar_RealMode_RaisesInvalidOpcode()
    {
        var machine = new CpuTestMachine();
        machine.InstallHandler(6, 0x5000, asm =>
        {
            asm.mov(si, 0x0606);
            asm.hlt();
        });
        machine.Load16(asm => asm.lar(ax, cx));

        machine.RunToHalt();

        Assert.That(machine.Registers.SI, Is.EqualTo(0x0606));
    }

    private static (uint Value, bool Zf) Ring0(Action<Iced.Intel.Assembler> check, ushort selector)
    {
        var machine = new PagedCpuMachine().Load(asm =>
        {
            asm.mov(eax, Untouched);
            asm.mov(ecx, selector);
            check(asm);
            asm.pushfd();
            asm.pop(__dword_ptr[Result]);
        });

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(NoVector), "no fault");
        return (machine.Registers.EAX, (machine.Inner.ReadDword(Result) & ZeroFlag) != 0);
    }
}
