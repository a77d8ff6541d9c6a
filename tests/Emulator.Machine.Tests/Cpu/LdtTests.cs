using Emulator.Machine.Cpu;
using static Emulator.Machine.Tests.Cpu.PagedCpuMachine;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>The local descriptor table (Intel SDM vol. 3, 3.5.1): LLDT/SLDT and selectors with TI set, and #SS for SS limit faults.</summary>
public class LdtTests
{
    private const ushort LdtSelector = 0x30;
    private const uint LdtAddress = 0x5000;
    private const ushort LocalData = 0x04;
    private const uint LocalDataBase = 0x5_0000;
    private const uint Marker = 0xC0DE_1234;
    private const uint LdtLimit = 0x0F;
    private const uint LdtDescriptorHigh = 0x0000_8200;
    private const uint DataBase50000Low = 0x0000_FFFF;
    private const uint DataBase50000High = 0x00CF_9205;
    private const int GeneralProtection = 13;
    private const int StackFault = 12;

    [Test]
    public void MovDs_LdtSelectorAfterLldt_UsesTheLocalDescriptor()
    {
        var machine = WithLdt();
        machine.WriteDwords(LocalDataBase + 0x10, Marker);
        machine.Load(asm =>
        {
            asm.mov(ax, LdtSelector);
            asm.lldt(ax);
            asm.mov(ax, LocalData);
            asm.mov(ds, ax);
            asm.mov(ebx, __dword_ptr[0x10]);
            asm.sldt(cx);
        });

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(NoVector));
        Assert.That(machine.Registers.EBX, Is.EqualTo(Marker));
        Assert.That(machine.Registers.CX, Is.EqualTo(LdtSelector));
    }

    [Test]
    public void MovDs_LdtSelectorWithoutLdt_RaisesGeneralProtectionWithSelector()
    {
        var machine = WithLdt().Load(asm =>
        {
            asm.mov(ax, LocalData);
            asm.mov(ds, ax);
        });

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(GeneralProtection));
        Assert.That(machine.FaultErrorCode, Is.EqualTo((uint)LocalData));
    }

    [Test]
    public void Lldt_DataSegmentSelector_RaisesGeneralProtection()
    {
        var machine = WithLdt().Load(asm =>
        {
            asm.mov(ax, KernelData);
            asm.lldt(ax);
        });

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(GeneralProtection));
        Assert.That(machine.FaultErrorCode, Is.EqualTo((uint)KernelData));
    }

    [Test]
    public void Read_PastSsLimitInProtectedMode_RaisesStackFault()
    {
        const uint SmallLimit = 0xFFFF;
        var machine = WithLdt();
        var stack = machine.Registers.GetSegment(SegmentRegister.SS);
        machine.Registers.SetSegment(SegmentRegister.SS, stack with { Limit = SmallLimit });
        machine.Registers.ESP = SmallLimit - 0xF;
        machine.Load(asm => asm.mov(eax, __dword_ptr.ss[0x1_0000]));

        machine.RunToHalt();

        Assert.That(machine.FaultVector, Is.EqualTo(StackFault));
        Assert.That(machine.FaultErrorCode, Is.Zero);
    }

    private static PagedCpuMachine WithLdt()
    {
        var machine = new PagedCpuMachine();
        machine.Registers.GdtrLimit = LdtSelector + 7;
        machine.WriteDwords(GdtAddress + LdtSelector, (LdtAddress << 16) | LdtLimit, LdtDescriptorHigh);
        machine.WriteDwords(LdtAddress, DataBase50000Low, DataBase50000High);
        return machine;
    }
}
