using static Emulator.Machine.Tests.Cpu.PagedCpuMachine;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>
/// Which exception raised while delivering another becomes a double fault (Intel SDM vol. 3, table 6-5):
/// contributory after contributory does; after a benign exception the second is delivered serially.
/// </summary>
public class DoubleFaultTests
{
    private const uint DoubleFault = 8;
    private const uint GeneralProtection = 13;
    private const byte InvalidOpcodeVector = 6;
    private const byte GeneralProtectionVector = 13;
    private const uint IdtErrorBit = 2;
    private const uint GatePresent = 1 << 15;

    [Test]
    public void InvalidOpcode_GateMissing_GeneralProtectionDeliveredNotDoubleFault()
    {
        var machine = new PagedCpuMachine();
        machine.WriteDwords(IdtAddress + (InvalidOpcodeVector * 8u), 0, 0);
        machine.Load(asm => asm.ud2());

        machine.RunToHalt();

        Assert.That((machine.FaultVector, machine.FaultErrorCode), Is.EqualTo((GeneralProtection, (InvalidOpcodeVector * 8u) + IdtErrorBit)),
            "#UD is benign: the #GP its empty gate raised is delivered as such");
    }

    [Test]
    public void GeneralProtection_GateNotPresent_DoubleFault()
    {
        var machine = new PagedCpuMachine();
        var gateHigh = machine.Inner.ReadDword(IdtAddress + (GeneralProtectionVector * 8u) + 4);
        machine.WriteDwords(IdtAddress + (GeneralProtectionVector * 8u) + 4, gateHigh & ~GatePresent);
        machine.Load(asm =>
        {
            asm.mov(ax, 0x1234);
            asm.mov(ds, ax);
        });

        machine.RunToHalt();

        Assert.That((machine.FaultVector, machine.FaultErrorCode), Is.EqualTo((DoubleFault, 0u)),
            "#NP while delivering #GP: two contributory exceptions");
    }
}
