using Emulator.Machine.Bus;
using Emulator.Machine.Loop;

namespace Emulator.Machine.Tests.Acpi;

/// <summary>
/// PIIX4 power management at 00:01.3, through PCI configuration and the PM block's ports; expected
/// values read from QEMU 7.2's pc machine with the same accesses.
/// </summary>
public class Piix4PowerManagementTests
{
    private const ushort ConfigAddress = 0xCF8;
    private const ushort ConfigData = 0xCFC;
    private const uint Function013 = 0x8000_0B00;
    private const ushort Pm1Status = 0x600;
    private const ushort Pm1Control = 0x604;
    private const ushort PmTimer = 0x608;

    private PcMachine _machine = null!;

    [SetUp]
    public void SetUp()
    {
        _machine = new PcMachine(new PcMachineOptions { RunCpu = false, RtcStartTime = new DateTime(2026, 1, 1) });
        _machine.Start();
    }

    [TestCase(0x00, 0x7113_8086u, TestName = "Config_Identity_Piix4Pm")]
    [TestCase(0x04, 0x0280_0000u, TestName = "Config_CommandStatus_DevselMediumFastBackToBack")]
    [TestCase(0x08, 0x0680_0003u, TestName = "Config_ClassRevision_BridgeOtherRev3")]
    [TestCase(0x3C, 0x0000_0100u, TestName = "Config_InterruptPin_IntA")]
    [TestCase(0x40, 0x0000_0001u, TestName = "Config_Pmba_ResetValueIoBit")]
    [TestCase(0x80, 0x0000_0000u, TestName = "Config_PmRegMisc_Disabled")]
    public void Config_PowerOnValue_AsQemu(int offset, uint expected) =>
        Assert.That(ReadConfig(offset), Is.EqualTo(expected));

    [Test]
    public void PmBlock_BeforeFirmwareEnablesIt_FloatsHigh() =>
        Assert.That(_machine.Ports.Read(Pm1Control, PortWidth.Word), Is.EqualTo(0xFFFFu));

    [Test]
    public void PmTimer_OneMillisecond_Counts3579Ticks()
    {
        Enable();
        var before = _machine.Ports.Read(PmTimer, PortWidth.Dword);

        _machine.Clock.Advance(1_000_000);

        Assert.That((before, _machine.Ports.Read(PmTimer, PortWidth.Dword)), Is.EqualTo((0u, 0xDFBu)));
    }

    [Test]
    public void Pm1Status_TimerStatusCleared_StaysClearUntilBit23Toggles()
    {
        Enable();
        var first = _machine.Ports.Read(Pm1Status, PortWidth.Word);
        _machine.Ports.Write(Pm1Status, PortWidth.Word, 1);
        var cleared = _machine.Ports.Read(Pm1Status, PortWidth.Word);

        _machine.Clock.Advance(2_400_000_000);

        Assert.That((first, cleared, _machine.Ports.Read(Pm1Status, PortWidth.Word)), Is.EqualTo((1u, 0u, 1u)));
    }

    [Test]
    public void Pm1Control_SleepEnableSoftOff_PowersTheMachineOff()
    {
        Enable();

        _machine.Ports.Write(Pm1Control, PortWidth.Word, 0x2000);
        _machine.Run(RunLimits.UntilIdle);

        Assert.That((_machine.State, _machine.ExitStatus), Is.EqualTo((MachineRunState.Shutdown, (int?)0)));
    }

    [Test]
    public void Pm1Control_SciEnableAndSleepTypeWithoutEnable_StoredAndMachineRuns()
    {
        Enable();

        _machine.Ports.Write(Pm1Control, PortWidth.Word, 0x1401);
        _machine.Run(RunLimits.UntilIdle);

        Assert.That((_machine.Ports.Read(Pm1Control, PortWidth.Word), _machine.State), Is.EqualTo((0x1401u, MachineRunState.Running)));
    }

    /// <summary>What SeaBIOS's piix4_pm_setup does: PMBA = 600h | 1, then PMREGMISC bit 0.</summary>
    private void Enable()
    {
        WriteConfig(0x40, 0x601);
        WriteConfig(0x80, 1);
    }

    private uint ReadConfig(int offset)
    {
        _machine.Ports.Write(ConfigAddress, PortWidth.Dword, Function013 | (uint)offset);
        return _machine.Ports.Read(ConfigData, PortWidth.Dword);
    }

    private void WriteConfig(int offset, uint value)
    {
        _machine.Ports.Write(ConfigAddress, PortWidth.Dword, Function013 | (uint)offset);
        _machine.Ports.Write(ConfigData, PortWidth.Dword, value);
    }
}
