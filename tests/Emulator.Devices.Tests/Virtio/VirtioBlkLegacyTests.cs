using Emulator.Machine.Bus;

namespace Emulator.Devices.Tests.Virtio;

/// <summary>The legacy interface as the BIOS drives it: I/O BAR0, one queue by PFN, polling the used ring.</summary>
public class VirtioBlkLegacyTests
{
    /// <summary>VIRTIO_F_BAD_FEATURE: offered by QEMU's legacy interface, never to be acked.</summary>
    private const uint BadFeature = 1u << 30;

    private const long DiskBytes = 1 << 20;

    private VirtioRig _rig = null!;
    private VirtioBlkGuest _guest = null!;

    [SetUp]
    public void SetUp()
    {
        _rig = new VirtioRig();
        _rig.AddDevice(_rig.Open(_rig.CreateImage(DiskBytes)), new() { Serial = "VIRTIO-SERIAL-0001" });
        _rig.Machine.Start();
        _guest = new VirtioBlkGuest(_rig.Machine);
    }

    [TearDown]
    public void TearDown() => _rig.Dispose();

    [Test]
    public void PciIdentity_TransitionalBlockDevice()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_guest.PciRead(VirtioSpec.PciVendor, PortWidth.Word), Is.EqualTo(VirtioSpec.VirtioVendor));
            Assert.That(_guest.PciRead(VirtioSpec.PciDevice, PortWidth.Word), Is.EqualTo(VirtioSpec.TransitionalBlock));
            Assert.That(_guest.PciRead(VirtioSpec.PciSubsystemVendor, PortWidth.Word), Is.EqualTo(VirtioSpec.VirtioVendor));
            Assert.That(_guest.PciRead(VirtioSpec.PciSubsystem, PortWidth.Word), Is.EqualTo(VirtioSpec.BlockType));
            Assert.That(_guest.PciRead(VirtioSpec.PciInterruptPin, PortWidth.Byte), Is.EqualTo(1));
            Assert.That(_guest.PciRead(VirtioSpec.PciStatus, PortWidth.Word) & VirtioSpec.StatusCapList, Is.Not.Zero);
        });
    }

    [Test]
    public void Bar0_SizeProbe_IoBarOf128Bytes()
    {
        _guest.PciWrite(VirtioSpec.PciBar0, PortWidth.Dword, 0xFFFF_FFFF);

        Assert.That(_guest.PciRead(VirtioSpec.PciBar0, PortWidth.Dword), Is.EqualTo(0xFFFF_FF81u));
    }

    [Test]
    public void HostFeatures_OfferBlockFeaturesWithoutVersion1()
    {
        _guest.PlaceBars();

        var features = _guest.LegacyRead(VirtioSpec.LegacyHostFeatures, PortWidth.Dword);

        var expected = (1u << VirtioSpec.FeatureSegMax) | (1u << VirtioSpec.FeatureGeometry) | (1u << VirtioSpec.FeatureBlkSize)
            | (1u << VirtioSpec.FeatureFlush) | (1u << VirtioSpec.FeatureTopology) | (1u << VirtioSpec.FeatureConfigWce)
            | (1u << VirtioSpec.FeatureDiscard) | (1u << VirtioSpec.FeatureWriteZeroes) | (1u << VirtioSpec.FeatureIndirect)
            | (1u << VirtioSpec.FeatureEventIdx);
        Assert.That(features & expected, Is.EqualTo(expected));
    }

    [Test]
    public void QueueSize_Queue0_256AndMissingQueueZero()
    {
        _guest.PlaceBars();
        _guest.LegacyWrite(VirtioSpec.LegacyQueueSelect, PortWidth.Word, 0);
        var size0 = _guest.LegacyRead(VirtioSpec.LegacyQueueSize, PortWidth.Word);
        _guest.LegacyWrite(VirtioSpec.LegacyQueueSelect, PortWidth.Word, 5);
        var size5 = _guest.LegacyRead(VirtioSpec.LegacyQueueSize, PortWidth.Word);

        Assert.Multiple(() =>
        {
            Assert.That(size0, Is.EqualTo(256));
            Assert.That(size5, Is.Zero);
        });
    }

    [Test]
    public void Config_CapacityAndBlockSize()
    {
        _guest.InitLegacy(uint.MaxValue);

        Assert.Multiple(() =>
        {
            Assert.That(_guest.DeviceConfigRead(VirtioSpec.ConfigCapacity, 4), Is.EqualTo(DiskBytes / VirtioSpec.Sector));
            Assert.That(_guest.DeviceConfigRead(VirtioSpec.ConfigCapacity + 4, 4), Is.Zero);
            Assert.That(_guest.DeviceConfigRead(VirtioSpec.ConfigBlkSize, 4), Is.EqualTo(VirtioSpec.Sector));
            Assert.That(_guest.DeviceConfigRead(VirtioSpec.ConfigSegMax, 4), Is.EqualTo(254));
        });
    }

    [Test]
    public void Read_TwoSectors_ReturnsImageBytesAndOk()
    {
        _guest.InitLegacy(0);
        var request = _guest.Read(sector: 3, bytes: 1024);
        _guest.Notify(0);

        _rig.RunUntil(() => _guest.Queues[0].UsedIndex == 1);

        var expected = Enumerable.Range(3 * 512, 1024).Select(i => VirtioRig.Pattern(i)).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(_guest.StatusOf(request), Is.EqualTo(VirtioSpec.StatusOk));
            Assert.That(_guest.DataOf(request), Is.EqualTo(expected));
            Assert.That(_guest.Queues[0].UsedElement(0), Is.EqualTo(((uint)request.Head, 1025u)));
        });
    }

    [Test]
    public void Write_ThenRead_RoundTrips()
    {
        _guest.InitLegacy(0);
        var data = Enumerable.Range(0, 2048).Select(i => (byte)(i * 13)).ToArray();
        var write = _guest.Write(sector: 100, data);
        _guest.Notify(0);
        _rig.RunUntil(() => _guest.Queues[0].UsedIndex == 1);
        var read = _guest.Read(sector: 100, bytes: 2048);
        _guest.Notify(0);

        _rig.RunUntil(() => _guest.Queues[0].UsedIndex == 2);

        Assert.Multiple(() =>
        {
            Assert.That(_guest.StatusOf(write), Is.EqualTo(VirtioSpec.StatusOk));
            Assert.That(_guest.StatusOf(read), Is.EqualTo(VirtioSpec.StatusOk));
            Assert.That(_guest.DataOf(read), Is.EqualTo(data));
        });
    }

    [Test]
    public void Isr_AfterCompletion_ReadsQueueBitThenClears()
    {
        _guest.InitLegacy(0);
        _guest.Read(sector: 0, bytes: 512);
        _guest.Notify(0);
        _rig.RunUntil(() => _guest.Queues[0].UsedIndex == 1);

        var first = _guest.LegacyRead(VirtioSpec.LegacyIsr, PortWidth.Byte);
        var second = _guest.LegacyRead(VirtioSpec.LegacyIsr, PortWidth.Byte);

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(1));
            Assert.That(second, Is.Zero);
        });
    }

    [Test]
    public void StatusZero_ResetsFeaturesAndQueue()
    {
        _guest.InitLegacy(1u << VirtioSpec.FeatureFlush);

        _guest.LegacyWrite(VirtioSpec.LegacyStatus, PortWidth.Byte, 0);

        Assert.Multiple(() =>
        {
            Assert.That(_guest.LegacyRead(VirtioSpec.LegacyStatus, PortWidth.Byte), Is.Zero);
            Assert.That(_guest.LegacyRead(VirtioSpec.LegacyGuestFeatures, PortWidth.Dword), Is.Zero);
            Assert.That(_guest.LegacyRead(VirtioSpec.LegacyQueuePfn, PortWidth.Dword), Is.Zero);
        });
    }

    [Test]
    public void GuestFeatures_NotOffered_AreDropped()
    {
        _guest.InitLegacy(0);

        _guest.LegacyWrite(VirtioSpec.LegacyGuestFeatures, PortWidth.Dword, ~BadFeature);

        var host = _guest.LegacyRead(VirtioSpec.LegacyHostFeatures, PortWidth.Dword);
        Assert.That(_guest.LegacyRead(VirtioSpec.LegacyGuestFeatures, PortWidth.Dword), Is.EqualTo(host & ~BadFeature));
    }

    [Test]
    public void HostFeatures_OfferBadFeatureBit_AsQemuLegacy()
    {
        _guest.InitLegacy(0);

        Assert.That(_guest.LegacyRead(VirtioSpec.LegacyHostFeatures, PortWidth.Dword) & BadFeature, Is.EqualTo(BadFeature));
    }

    [Test]
    public void GuestFeatures_WithBadFeatureBit_NegotiateNothing()
    {
        _guest.InitLegacy(0);

        _guest.LegacyWrite(VirtioSpec.LegacyGuestFeatures, PortWidth.Dword, 0xFFFF_FFFF);

        Assert.That(_guest.LegacyRead(VirtioSpec.LegacyGuestFeatures, PortWidth.Dword), Is.Zero, "QEMU substitutes virtio-blk's (empty) bad feature set");
    }

    [Test]
    public void QueuePfn_ForMissingQueue_Ignored()
    {
        _guest.InitLegacy(0);
        _guest.LegacyWrite(VirtioSpec.LegacyQueueSelect, PortWidth.Word, 7);

        _guest.LegacyWrite(VirtioSpec.LegacyQueuePfn, PortWidth.Dword, 0x300);

        _guest.LegacyWrite(VirtioSpec.LegacyQueueSelect, PortWidth.Word, 0);
        Assert.That(_guest.LegacyRead(VirtioSpec.LegacyQueuePfn, PortWidth.Dword), Is.EqualTo(_guest.Queues[0].Desc >> 12));
    }

    [Test]
    public void GetId_ReturnsSerialPaddedWithNul()
    {
        _guest.InitLegacy(0);
        var request = _guest.Queue(VirtioSpec.TypeGetId, 0, 20, dataWritable: true);
        _guest.Notify(0);

        _rig.RunUntil(() => _guest.Queues[0].UsedIndex == 1);

        var expected = new byte[20];
        "VIRTIO-SERIAL-0001"u8.CopyTo(expected);
        Assert.Multiple(() =>
        {
            Assert.That(_guest.StatusOf(request), Is.EqualTo(VirtioSpec.StatusOk));
            Assert.That(_guest.DataOf(request), Is.EqualTo(expected));
        });
    }

    [Test]
    public void Flush_FlushesBackendAndCompletesOk()
    {
        _guest.InitLegacy(1u << VirtioSpec.FeatureFlush);
        var request = _guest.Queue(VirtioSpec.TypeFlush, 0, 0, dataWritable: false);
        _guest.Notify(0);

        _rig.RunUntil(() => _guest.Queues[0].UsedIndex == 1);

        Assert.Multiple(() =>
        {
            Assert.That(_guest.StatusOf(request), Is.EqualTo(VirtioSpec.StatusOk));
            Assert.That(_rig.Layer.Backends[0].Stats[Emulator.Block.Backend.BlockAcctType.Flush].Operations, Is.EqualTo(1));
        });
    }

    [TestCase(VirtioSpec.TypeGetLifetime)]
    [TestCase(2u)]
    [TestCase(0x42u)]
    public void UnknownType_Unsupp(uint type)
    {
        _guest.InitLegacy(0);
        var request = _guest.Queue(type, 0, 512, dataWritable: true);
        _guest.Notify(0);

        _rig.RunUntil(() => _guest.Queues[0].UsedIndex == 1);

        Assert.That(_guest.StatusOf(request), Is.EqualTo(VirtioSpec.StatusUnsupp));
    }

    [TestCase(2047ul, 1024)]
    [TestCase(2048ul, 512)]
    [TestCase(0xFFFF_FFFF_FFFF_FFFFul, 512)]
    public void Read_PastEnd_IoErrWithoutBackendRead(ulong sector, int bytes)
    {
        _guest.InitLegacy(0);
        var request = _guest.Read(sector, bytes);
        _guest.Notify(0);

        _rig.RunUntil(() => _guest.Queues[0].UsedIndex == 1);

        var backend = _rig.Layer.Backends[0];
        Assert.Multiple(() =>
        {
            Assert.That(_guest.StatusOf(request), Is.EqualTo(VirtioSpec.StatusIoErr));
            Assert.That(backend.Stats[Emulator.Block.Backend.BlockAcctType.Read].Operations, Is.Zero);
            Assert.That(backend.Stats[Emulator.Block.Backend.BlockAcctType.Read].InvalidOperations, Is.EqualTo(1));
        });
    }

    [Test]
    public void Read_NotWholeSectors_IoErr()
    {
        _guest.InitLegacy(0);
        var request = _guest.Read(sector: 0, bytes: 100);
        _guest.Notify(0);

        _rig.RunUntil(() => _guest.Queues[0].UsedIndex == 1);

        Assert.That(_guest.StatusOf(request), Is.EqualTo(VirtioSpec.StatusIoErr));
    }

    [Test]
    public void Notify_BeforeQueueSetUp_Ignored()
    {
        _guest.PlaceBars();

        _guest.LegacyWrite(VirtioSpec.LegacyQueueNotify, PortWidth.Word, 0);
        _rig.RunOnce();

        Assert.That(_guest.LegacyRead(VirtioSpec.LegacyStatus, PortWidth.Byte), Is.Zero);
    }
}
