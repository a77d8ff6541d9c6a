using Emulator.Machine.Acpi;
using Emulator.Machine.Bus;
using Emulator.Machine.Tests.Support;

namespace Emulator.Machine.Tests.Acpi;

/// <summary>QEMU's ACPI PCI hotplug registers and GPE0, driven through the port bus as a guest's AML would.</summary>
public class AcpiPciHotplugTests
{
    /// <summary>docs/specs/acpi_pci_hotplug.rst: PCIU, PCID, B0EJ, PCIRMV, SEL.</summary>
    private const ushort Up = 0xAE00;
    private const ushort Down = 0xAE04;
    private const ushort Eject = 0xAE08;
    private const ushort Removable = 0xAE0C;
    private const ushort Select = 0xAE10;

    /// <summary>GPE0 status bytes then enable bytes; bit 1 = PCI hotplug.</summary>
    private const ushort GpeStatus = 0xAFE0;
    private const ushort GpeEnable = 0xAFE2;
    private const byte PciHotplugBit = 1 << 1;

    private const int Slot = 6;
    private const uint SlotBit = 1u << Slot;

    private IoPortBus _bus = null!;
    private RecordingIrqLine _sci = null!;
    private AcpiPciHotplug _hotplug = null!;
    private List<int> _ejected = null!;

    [SetUp]
    public void SetUp()
    {
        _bus = new IoPortBus();
        _sci = new RecordingIrqLine();
        var gpe = new AcpiGpeBlock(_sci);
        _hotplug = new AcpiPciHotplug(gpe);
        _ejected = [];
        _hotplug.EjectRequested += _ejected.Add;
        gpe.RegisterPorts(_bus);
        _hotplug.RegisterPorts(_bus);
        _bus.Freeze();
    }

    [Test]
    public void Plugged_UpBitReadOnceThenClear()
    {
        _hotplug.NotifyPlugged(Slot);

        var first = _bus.Read(Up, PortWidth.Dword);
        var second = _bus.Read(Up, PortWidth.Dword);

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(SlotBit));
            Assert.That(second, Is.Zero);
        });
    }

    [Test]
    public void Plugged_GpeDisabled_StatusSetSciLow()
    {
        _hotplug.NotifyPlugged(Slot);

        Assert.Multiple(() =>
        {
            Assert.That(_bus.ReadByte(GpeStatus), Is.EqualTo(PciHotplugBit));
            Assert.That(_sci.Level, Is.False);
        });
    }

    [Test]
    public void Plugged_GpeEnabled_SciRaisedUntilStatusWrittenBack()
    {
        _bus.WriteByte(GpeEnable, PciHotplugBit);
        _hotplug.NotifyPlugged(Slot);
        var raised = _sci.Level;

        _bus.WriteByte(GpeStatus, PciHotplugBit);

        Assert.Multiple(() =>
        {
            Assert.That(raised, Is.True);
            Assert.That(_sci.Level, Is.False);
            Assert.That(_bus.ReadByte(GpeStatus), Is.Zero);
        });
    }

    [Test]
    public void UnplugRequest_DownBitStaysUntilEject()
    {
        _hotplug.NotifyUnplugRequest(Slot);
        var before = _bus.Read(Down, PortWidth.Dword);
        var again = _bus.Read(Down, PortWidth.Dword);

        _bus.Write(Eject, PortWidth.Dword, SlotBit);

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.EqualTo(SlotBit));
            Assert.That(again, Is.EqualTo(SlotBit));
            Assert.That(_bus.Read(Down, PortWidth.Dword), Is.Zero);
            Assert.That(_ejected, Is.EqualTo(new[] { Slot }));
        });
    }

    [Test]
    public void Eject_ByteWrite_EjectsThatSlot()
    {
        _bus.WriteByte(Eject, (byte)SlotBit);

        Assert.That(_ejected, Is.EqualTo(new[] { Slot }));
    }

    [Test]
    public void Eject_TwoSlots_OnlyLowestEjected()
    {
        _bus.Write(Eject, PortWidth.Dword, (1u << 9) | (1u << 5));

        Assert.That(_ejected, Is.EqualTo(new[] { 5 }));
    }

    [Test]
    public void Eject_ChipsetSlot_Ignored()
    {
        _bus.Write(Eject, PortWidth.Dword, 1u << 1);

        Assert.That(_ejected, Is.Empty);
    }

    [Test]
    public void Removable_ChipsetSlotsClearOthersSet()
    {
        Assert.That(_bus.Read(Removable, PortWidth.Dword), Is.EqualTo(0xFFFF_FFFCu));
    }

    [Test]
    public void Select_OtherBus_RegistersReadZeroAndEjectIgnored()
    {
        _hotplug.NotifyUnplugRequest(Slot);
        _bus.Write(Select, PortWidth.Dword, 1);

        var down = _bus.Read(Down, PortWidth.Dword);
        _bus.Write(Eject, PortWidth.Dword, SlotBit);

        Assert.Multiple(() =>
        {
            Assert.That(_bus.Read(Select, PortWidth.Dword), Is.EqualTo(1u));
            Assert.That(down, Is.Zero);
            Assert.That(_ejected, Is.Empty);
        });
    }

    [Test]
    public void Reset_PendingUnplug_Ejected()
    {
        _hotplug.NotifyUnplugRequest(Slot);

        _hotplug.Reset();

        Assert.That(_ejected, Is.EqualTo(new[] { Slot }));
    }
}
