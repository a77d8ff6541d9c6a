using Emulator.Machine.Bus;

namespace Emulator.Devices.Tests.Virtio;

/// <summary>Hot unplug of virtio-blk-pci (after the guest's ACPI eject): drain, leave the bus, free the backend.</summary>
public class VirtioBlkUnplugTests
{
    private const long DiskBytes = 1 << 20;

    private VirtioRig _rig = null!;
    private VirtioBlkGuest _guest = null!;

    [SetUp]
    public void SetUp()
    {
        _rig = new VirtioRig();
        _rig.Machine.Start();
        _guest = new VirtioBlkGuest(_rig.Machine);
    }

    [TearDown]
    public void TearDown() => _rig.Dispose();

    [Test]
    public void Unplug_RequestInFlight_CompletedBeforeDeviceLeaves()
    {
        var backend = _rig.Open(_rig.CreateImage(DiskBytes));
        var device = _rig.AddDevice(backend);
        _guest.InitLegacy(0);
        var request = _guest.Read(sector: 1, bytes: 512);
        _guest.Notify(0);
        var inFlight = backend.InFlight;

        _rig.Machine.Remove(device);

        Assert.Multiple(() =>
        {
            Assert.That(inFlight, Is.EqualTo(1), "the read is still in flight when the eject comes");
            Assert.That(backend.InFlight, Is.Zero);
            Assert.That(_guest.StatusOf(request), Is.EqualTo(VirtioSpec.StatusOk), "the guest's request finished before the eject took the device");
            Assert.That(_guest.DataOf(request), Is.EqualTo(Enumerable.Range(512, 512).Select(i => VirtioRig.Pattern(i)).ToArray()));
        });
    }

    [Test]
    public void Unplug_SlotAndIoBarFloatHigh()
    {
        var device = _rig.AddDevice(_rig.Open(_rig.CreateImage(DiskBytes)));
        _guest.InitLegacy(0);

        _rig.Machine.Remove(device);

        Assert.Multiple(() =>
        {
            Assert.That(_guest.PciRead(VirtioSpec.PciVendor, PortWidth.Word), Is.EqualTo(0xFFFFu));
            Assert.That(_guest.LegacyRead(VirtioSpec.LegacyHostFeatures, PortWidth.Dword), Is.EqualTo(uint.MaxValue));
            Assert.That(device.IsUnplugged, Is.True);
        });
    }

    [Test]
    public void Unplug_BackendDetached_NewDeviceMayAttach()
    {
        var backend = _rig.Open(_rig.CreateImage(DiskBytes));
        var device = _rig.AddDevice(backend);

        _rig.Machine.Remove(device);
        var detached = !backend.HasDevice;
        var again = _rig.AddDevice(backend);

        Assert.Multiple(() =>
        {
            Assert.That(detached, Is.True);
            Assert.That(again.Backend, Is.SameAs(backend));
            Assert.That(_guest.PciRead(VirtioSpec.PciDevice, PortWidth.Word), Is.EqualTo(VirtioSpec.TransitionalBlock));
        });
    }
}
