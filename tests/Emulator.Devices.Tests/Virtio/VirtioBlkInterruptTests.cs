using Emulator.Devices.Virtio;
using Emulator.Machine.Bus;

namespace Emulator.Devices.Tests.Virtio;

/// <summary>INTx through the PIIX3 PIRQ routing when MSI-X is off; MSI-X messages as memory writes when it is on.</summary>
public class VirtioBlkInterruptTests
{
    private const ulong Version1 = 1UL << VirtioSpec.FeatureVersion1;
    private const byte PirqRouteD = 0x63;
    private const int RoutedIrq = 11;

    private VirtioRig _rig = null!;
    private VirtioBlkGuest _guest = null!;

    [SetUp]
    public void SetUp()
    {
        _rig = new VirtioRig();
        _rig.AddDevice(_rig.Open(_rig.CreateImage(1 << 20)));
        _rig.Machine.Start();
        _guest = new VirtioBlkGuest(_rig.Machine);

        // Slot 4, INTA#: PIRQD# on the i440FX swizzle; route it to IRQ 11 in the PIIX3 (00:01.0).
        _rig.Machine.Ports.Write(0xCF8, PortWidth.Dword, 0x8000_0000u | (1u << 11) | (PirqRouteD & 0xFCu));
        _rig.Machine.Ports.Write((ushort)(0xCFC + (PirqRouteD & 3)), PortWidth.Byte, RoutedIrq);
    }

    [TearDown]
    public void TearDown() => _rig.Dispose();

    private bool Irq11 => _rig.Machine.Chipset.IrqLines[RoutedIrq].Level;

    private void ReadOneSector()
    {
        _guest.Read(0, 512);
        _guest.Notify(0);
        _rig.RunUntil(() => _guest.Queues[0].UsedIndex == 1);
    }

    [Test]
    public void Intx_Completion_RaisesRoutedIrqUntilIsrRead()
    {
        _guest.InitLegacy(0);
        var before = Irq11;
        ReadOneSector();
        var during = Irq11;

        _guest.LegacyRead(VirtioSpec.LegacyIsr, PortWidth.Byte);

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.False);
            Assert.That(during, Is.True);
            Assert.That(Irq11, Is.False);
        });
    }

    [Test]
    public void Intx_InterruptDisableInCommand_LineStaysLow()
    {
        _guest.InitLegacy(0);
        _guest.PciWrite(VirtioSpec.PciCommand, PortWidth.Word, VirtioSpec.CommandIo | VirtioSpec.CommandMemory | VirtioSpec.CommandBusMaster | 0x400u);

        ReadOneSector();

        Assert.That(Irq11, Is.False);
    }

    [Test]
    public void Msix_QueueVector_WritesMessageDataToAddress()
    {
        _guest.InitModern(Version1, msix: true);

        ReadOneSector();

        Assert.Multiple(() =>
        {
            Assert.That(_guest.MsiWord(1), Is.EqualTo(0x41u), "queue 0 uses vector 1");
            Assert.That(_guest.MsiWord(0), Is.Zero, "the config vector did not fire");
            Assert.That(Irq11, Is.False, "no INTx while MSI-X is on");
        });
    }

    [Test]
    public void Msix_MessageToApicWindow_HandedToTheInterruptSide()
    {
        _guest.InitModern(Version1, msix: true);
        var entry1 = _guest.BarAddress(1) + VirtioSpec.MsixEntrySize;
        _rig.Machine.Memory.WriteDword(entry1, 0xFEE0_0000);
        _rig.Machine.Memory.WriteDword(entry1 + 8, 0x31);

        ReadOneSector();

        var msi = _rig.Machine.Chipset.PciBus.Msi!;
        Assert.Multiple(() =>
        {
            Assert.That(msi.InterruptCount, Is.EqualTo(1));
            Assert.That(msi.LastInterrupt?.Vector, Is.EqualTo(0x31));
        });
    }

    [Test]
    public void Msix_MaskedVector_PendingThenDeliveredOnUnmask()
    {
        _guest.InitModern(Version1, msix: true);
        var entry1Control = _guest.BarAddress(1) + VirtioSpec.MsixEntrySize + 12u;
        _rig.Machine.Memory.WriteDword(entry1Control, 1);
        ReadOneSector();
        var pba = _rig.Machine.Memory.ReadDword(_guest.BarAddress(1) + 0x800u);
        var beforeUnmask = _guest.MsiWord(1);

        _rig.Machine.Memory.WriteDword(entry1Control, 0);

        Assert.Multiple(() =>
        {
            Assert.That(pba, Is.EqualTo(0b10u));
            Assert.That(beforeUnmask, Is.Zero);
            Assert.That(_guest.MsiWord(1), Is.EqualTo(0x41u));
            Assert.That(_rig.Machine.Memory.ReadDword(_guest.BarAddress(1) + 0x800u), Is.Zero);
        });
    }

    [Test]
    public void Msix_FunctionMask_HoldsMessages()
    {
        _guest.InitModern(Version1, msix: true);
        var cap = _guest.FindCapability(VirtioSpec.CapMsix);
        _guest.PciWrite(cap + 2, PortWidth.Word, VirtioSpec.MsixEnable | VirtioSpec.MsixFunctionMask);

        ReadOneSector();

        Assert.That(_guest.MsiWord(1), Is.Zero);
    }

    [Test]
    public void Msix_ConfigChange_UsesConfigVector()
    {
        _guest.InitModern(Version1, msix: true);

        _rig.Layer.Backends[0].Truncate(2 << 20);

        Assert.That(_guest.MsiWord(0), Is.EqualTo(0x40u));
    }

    [Test]
    public void Msix_VectorBeyondTable_ReadsNoVector()
    {
        _guest.InitModern(Version1, msix: true);
        _guest.CommonWrite(VirtioSpec.QueueSelect, 2, 0);

        _guest.CommonWrite(VirtioSpec.QueueMsixVector, 2, 200);

        Assert.That(_guest.CommonRead(VirtioSpec.QueueMsixVector, 2), Is.EqualTo(VirtioSpec.NoVector));
    }

    [Test]
    public void Legacy_WithMsix_ConfigMovesTo0x18()
    {
        _guest.PlaceBars();
        _guest.EnableMsix();

        var capacity = _guest.LegacyRead(VirtioSpec.LegacyConfigMsix, PortWidth.Dword);

        Assert.That(capacity, Is.EqualTo((1 << 20) / VirtioSpec.Sector));
    }

    [Test]
    public void Msix_Disabled_NoMsixBarOrCapability()
    {
        using var rig = new VirtioRig();
        rig.AddDevice(rig.Open(rig.CreateImage(1 << 20)), new VirtioBlkOptions { MsixVectors = 0 });
        var guest = new VirtioBlkGuest(rig.Machine);

        Assert.That(guest.FindCapability(VirtioSpec.CapMsix), Is.Zero);
    }
}
