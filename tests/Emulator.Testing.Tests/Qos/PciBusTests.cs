using Emulator.Testing.Qos;

namespace Emulator.Testing.Tests.Qos;

/// <summary>libqos-style PCI enumeration and BAR mapping on the pc board, in process.</summary>
public class PciBusTests
{
    private const ushort IntelVendor = 0x8086;
    private const ushort VirtioVendor = 0x1AF4;
    private const ushort VirtioBlkTransitional = 0x1001;

    [Test]
    public void Enumerate_PcWithVirtioBlk_HostBridgeIsaIdePmAndVirtio()
    {
        using var qts = QtestHarness.Start("-drive", "if=none,id=d0,file=null-co://,file.size=1048576,format=raw", "-device", "virtio-blk-pci,drive=d0,addr=04.0");

        var devices = new PciBus(qts).Enumerate().Select(d => $"{d.Slot:x2}.{d.Function} {d.VendorId:x4}:{d.DeviceId:x4}");

        Assert.That(devices, Is.SupersetOf(new[] { "00.0 8086:1237", "01.0 8086:7000", "01.1 8086:7010", "04.0 1af4:1001" }));
    }

    [Test]
    public void MapBar_VirtioBlk_IoBarDecodesLegacyHeader()
    {
        using var qts = QtestHarness.Start("-drive", "if=none,id=d0,file=null-co://,file.size=1048576,format=raw", "-device", "virtio-blk-pci,drive=d0,addr=04.0");
        var device = new PciBus(qts).Find(VirtioVendor, VirtioBlkTransitional)!;

        var bar = device.MapBar(0);
        device.Enable();

        Assert.Multiple(() =>
        {
            Assert.That(bar.IsIo, Is.True);
            Assert.That(bar.Address, Is.EqualTo(PciBus.IoWindowStart));
            Assert.That(bar.Size, Is.GreaterThanOrEqualTo(0x20UL));
            Assert.That(bar.ReadL(0x14) & 0xFFFF_FFFFUL, Is.EqualTo(2048UL), "legacy header: device config starts with the capacity in sectors (1 MiB)");
        });
    }

    [Test]
    public void MapBar_TwoMemoryBars_NaturallyAlignedInMemoryWindow()
    {
        using var qts = QtestHarness.Start("-drive", "if=none,id=d0,file=null-co://,file.size=1048576,format=raw", "-device", "virtio-blk-pci,drive=d0,addr=04.0");
        var device = new PciBus(qts).At(4)!;

        var msix = device.MapBar(1);
        var modern = device.MapBar(4);

        Assert.Multiple(() =>
        {
            Assert.That(device.VendorId, Is.EqualTo(VirtioVendor));
            Assert.That(msix.IsIo || modern.IsIo, Is.False);
            Assert.That(msix.Address % msix.Size, Is.Zero);
            Assert.That(modern.Address % modern.Size, Is.Zero);
            Assert.That(modern.Address, Is.GreaterThanOrEqualTo(msix.Address + msix.Size));
        });
    }

    [Test]
    public void Find_NoSuchDevice_Null()
    {
        using var qts = QtestHarness.Start();

        Assert.That(new PciBus(qts).Find(IntelVendor, 0xFFFE), Is.Null);
    }
}
