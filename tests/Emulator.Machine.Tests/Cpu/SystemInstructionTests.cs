using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

public class SystemInstructionTests
{
    private const byte DeviceNotAvailableVector = 7;
    private const ushort HandlerSegment = 0x5000;
    private const uint EmulationBit = 1 << 2;

    [Test]
    public void FpuEscape_WithCr0EmSet_RaisesDeviceNotAvailable()
    {
        var machine = new CpuTestMachine();
        machine.InstallHandler(DeviceNotAvailableVector, HandlerSegment, asm =>
        {
            asm.mov(si, 0x0707);
            asm.hlt();
        });
        machine.Load16(asm =>
        {
            asm.mov(eax, cr0);
            asm.or(eax, EmulationBit);
            asm.mov(cr0, eax);
            asm.fninit();
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.SI, Is.EqualTo(0x0707));
    }

    [Test]
    public void Lmsw_ZeroAfterProtectionEnabled_CannotClearPe()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.smsw(ax);
            asm.or(ax, 1);
            asm.lmsw(ax);
            asm.xor(bx, bx);
            asm.lmsw(bx);
            asm.smsw(cx);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.CX & 1, Is.EqualTo(1));
        Assert.That(machine.Registers.ProtectedMode, Is.True);
    }

    [Test]
    public void Sidt_AfterReset_ReportsRealModeVectorTable()
    {
        var machine = new CpuTestMachine().Load16(asm => asm.sidt(__fword_ptr[0x20]));

        machine.RunToHalt();

        var data = CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0x20);
        Assert.That(machine.ReadWord(data), Is.EqualTo(0x3FF));
        Assert.That(machine.ReadDword(data + 2), Is.Zero);
    }

    [Test]
    public void PopfPushf_Eflags32_TogglesIdBitForCpuidDetection()
    {
        const uint idBit = 1 << 21;
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.pushfd();
            asm.pop(eax);
            asm.mov(ebx, eax);
            asm.xor(eax, idBit);
            asm.push(eax);
            asm.popfd();
            asm.pushfd();
            asm.pop(eax);
            asm.xor(eax, ebx);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EAX, Is.EqualTo(idBit));
    }
}
