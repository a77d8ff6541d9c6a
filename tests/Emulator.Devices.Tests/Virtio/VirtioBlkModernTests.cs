using System.Buffers.Binary;
using Emulator.Block.Backend;
using Emulator.Devices.Virtio;
using Emulator.Machine.Bus;

namespace Emulator.Devices.Tests.Virtio;

/// <summary>The modern interface: capabilities, feature negotiation with FEATURES_OK, queues by address, block requests.</summary>
public class VirtioBlkModernTests
{
    private const long DiskBytes = 1 << 20;
    private const ulong Version1 = 1UL << VirtioSpec.FeatureVersion1;

    private VirtioRig _rig = null!;
    private VirtioBlkGuest _guest = null!;
    private BlockBackend _backend = null!;

    [SetUp]
    public void SetUp()
    {
        _rig = new VirtioRig();
        _backend = _rig.Open(_rig.CreateImage(DiskBytes));
        _rig.AddDevice(_backend, new VirtioBlkOptions { Serial = "S1" });
        _rig.Machine.Start();
        _guest = new VirtioBlkGuest(_rig.Machine);
    }

    [TearDown]
    public void TearDown() => _rig.Dispose();

    private void Kick(int expectedUsed, int queue = 0)
    {
        _guest.Notify(queue);
        _rig.RunUntil(() => _guest.Queues[queue].UsedIndex == expectedUsed);
    }

    [TestCase(VirtioSpec.CommonCfg)]
    [TestCase(VirtioSpec.NotifyCfg)]
    [TestCase(VirtioSpec.IsrCfg)]
    [TestCase(VirtioSpec.DeviceCfg)]
    public void Capabilities_EachVirtioRegion_InBar4(byte type)
    {
        var cap = _guest.FindCapability(VirtioSpec.CapVendor, type);

        Assert.Multiple(() =>
        {
            Assert.That(cap, Is.Not.Zero);
            Assert.That(_guest.PciRead(cap + 4, PortWidth.Byte), Is.EqualTo(4));
        });
    }

    [Test]
    public void DeviceFeatures_OfferVersion1AndRingFeatures()
    {
        _guest.PlaceBars();
        _guest.FindModernRegions();

        var features = _guest.ReadDeviceFeatures();

        var expected = Version1 | (1UL << VirtioSpec.FeatureIndirect) | (1UL << VirtioSpec.FeatureEventIdx) | (1UL << VirtioSpec.FeatureRingReset);
        Assert.Multiple(() =>
        {
            Assert.That(features & expected, Is.EqualTo(expected));
            Assert.That(features & (1UL << VirtioSpec.FeatureRo), Is.Zero);
            Assert.That(features & (1UL << VirtioSpec.FeatureMq), Is.Zero);
        });
    }

    [Test]
    public void FeaturesOk_WithOfferedFeatures_Sticks()
    {
        var status = _guest.InitModern(Version1 | (1UL << VirtioSpec.FeatureFlush));

        Assert.That(status & VirtioSpec.FeaturesOk, Is.EqualTo(VirtioSpec.FeaturesOk));
    }

    [Test]
    public void FeaturesOk_WithUnofferedBit_Refused()
    {
        _guest.PlaceBars();
        _guest.FindModernRegions();
        _guest.CommonWrite(VirtioSpec.DeviceStatus, 1, VirtioSpec.Acknowledge | VirtioSpec.Driver);
        _guest.CommonWrite(VirtioSpec.DriverFeatureSelect, 4, 1);
        _guest.CommonWrite(VirtioSpec.DriverFeature, 4, 1u | (1u << 30));

        _guest.CommonWrite(VirtioSpec.DeviceStatus, 1, VirtioSpec.Acknowledge | VirtioSpec.Driver | VirtioSpec.FeaturesOk);

        Assert.That(_guest.CommonRead(VirtioSpec.DeviceStatus, 1) & VirtioSpec.FeaturesOk, Is.Zero);
    }

    [Test]
    public void PciCfgWindow_ReadsAndWritesCommonConfigThroughConfigSpace()
    {
        _guest.PlaceBars();
        _guest.FindModernRegions();
        var cap = _guest.FindCapability(VirtioSpec.CapVendor, VirtioSpec.PciCfg);
        var common = _guest.PciRead(_guest.FindCapability(VirtioSpec.CapVendor, VirtioSpec.CommonCfg) + 8, PortWidth.Dword);
        _guest.PciWrite(cap + 4, PortWidth.Byte, 4);
        _guest.PciWrite(cap + 8, PortWidth.Dword, common + VirtioSpec.NumQueues);
        _guest.PciWrite(cap + 12, PortWidth.Dword, 2);
        var numQueues = _guest.PciRead(cap + 16, PortWidth.Word);
        _guest.PciWrite(cap + 8, PortWidth.Dword, common + VirtioSpec.DeviceStatus);
        _guest.PciWrite(cap + 12, PortWidth.Dword, 1);

        _guest.PciWrite(cap + 16, PortWidth.Byte, VirtioSpec.Acknowledge);

        Assert.Multiple(() =>
        {
            Assert.That(numQueues, Is.EqualTo(1));
            Assert.That(_guest.CommonRead(VirtioSpec.DeviceStatus, 1), Is.EqualTo(VirtioSpec.Acknowledge));
        });
    }

    [Test]
    public void NumQueues_Default_One()
    {
        _guest.PlaceBars();
        _guest.FindModernRegions();

        Assert.That(_guest.CommonRead(VirtioSpec.NumQueues, 2), Is.EqualTo(1));
    }

    [Test]
    public void QueueSize_MissingQueue_ReadsZero()
    {
        _guest.PlaceBars();
        _guest.FindModernRegions();
        _guest.CommonWrite(VirtioSpec.QueueSelect, 2, 3);

        Assert.That(_guest.CommonRead(VirtioSpec.QueueSize, 2), Is.Zero);
    }

    [Test]
    public void ReadWrite_SmallerQueue_RoundTrips()
    {
        _guest.InitModern(Version1, queueSize: 16);
        var data = Enumerable.Range(0, 4096).Select(i => (byte)(i ^ 0x5A)).ToArray();
        var write = _guest.Write(sector: 8, data);
        Kick(1);
        var read = _guest.Read(sector: 8, bytes: 4096);

        Kick(2);

        Assert.Multiple(() =>
        {
            Assert.That(_guest.Queues[0].Size, Is.EqualTo(16));
            Assert.That(_guest.StatusOf(write), Is.EqualTo(VirtioSpec.StatusOk));
            Assert.That(_guest.DataOf(read), Is.EqualTo(data));
        });
    }

    [Test]
    public void Read_SplitAcrossDescriptors_AnyLayout()
    {
        _guest.InitModern(Version1);
        var q = _guest.Queues[0];
        var header = _guest.Allocate(16);
        var data1 = _guest.Allocate(700);
        var data2 = _guest.Allocate(324 + 1);
        _guest.WriteHeader(header, VirtioSpec.TypeIn, 1);
        q.Publish(q.AddChain(new GuestBuffer(header, 8, false), new GuestBuffer(header + 8, 8, false),
            new GuestBuffer(data1, 700, true), new GuestBuffer(data2, 325, true)));

        Kick(1);

        var got = new byte[1024];
        _rig.Machine.Memory.Read((uint)data1, got.AsSpan(0, 700));
        _rig.Machine.Memory.Read((uint)data2, got.AsSpan(700, 324));
        var expected = Enumerable.Range(512, 1024).Select(i => VirtioRig.Pattern(i)).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(got, Is.EqualTo(expected));
            Assert.That(_rig.Machine.Memory.ReadByte((uint)(data2 + 324)), Is.EqualTo(VirtioSpec.StatusOk));
        });
    }

    [Test]
    public void Indirect_ChainInTable_ReadsData()
    {
        _guest.InitModern(Version1 | (1UL << VirtioSpec.FeatureIndirect));
        var q = _guest.Queues[0];
        var header = _guest.Allocate(16);
        var data = _guest.Allocate(512);
        var status = _guest.Allocate(1);
        var table = _guest.Allocate(48);
        _guest.WriteHeader(header, VirtioSpec.TypeIn, 2);
        q.WriteDescriptorAt(table, 0, header, 16, VirtioSpec.DescNext, 1);
        q.WriteDescriptorAt(table, 1, data, 512, VirtioSpec.DescNext | VirtioSpec.DescWrite, 2);
        q.WriteDescriptorAt(table, 2, status, 1, VirtioSpec.DescWrite, 0);
        q.WriteDescriptor(0, table, 48, VirtioSpec.DescIndirect, 0);
        q.Publish(0);

        Kick(1);

        var got = new byte[512];
        _rig.Machine.Memory.Read((uint)data, got);
        Assert.Multiple(() =>
        {
            Assert.That(got, Is.EqualTo(Enumerable.Range(1024, 512).Select(i => VirtioRig.Pattern(i)).ToArray()));
            Assert.That(_rig.Machine.Memory.ReadByte((uint)status), Is.EqualTo(VirtioSpec.StatusOk));
        });
    }

    [Test]
    public void Discard_WithinDisk_Ok()
    {
        _guest.InitModern(Version1 | (1UL << VirtioSpec.FeatureDiscard));
        var request = _guest.Queue(VirtioSpec.TypeDiscard, 0, 16, dataWritable: false, payload: Segment(16, 8, 0));

        Kick(1);

        Assert.That(_guest.StatusOf(request), Is.EqualTo(VirtioSpec.StatusOk));
    }

    [Test]
    public void Discard_WithUnmapFlag_Unsupp()
    {
        _guest.InitModern(Version1 | (1UL << VirtioSpec.FeatureDiscard));
        var request = _guest.Queue(VirtioSpec.TypeDiscard, 0, 16, dataWritable: false, payload: Segment(16, 8, VirtioSpec.WriteZeroesUnmap));

        Kick(1);

        Assert.That(_guest.StatusOf(request), Is.EqualTo(VirtioSpec.StatusUnsupp));
    }

    [Test]
    public void WriteZeroes_Unmap_ZeroesTheRange()
    {
        _guest.InitModern(Version1 | (1UL << VirtioSpec.FeatureWriteZeroes));
        var zero = _guest.Queue(VirtioSpec.TypeWriteZeroes, 0, 16, dataWritable: false, payload: Segment(4, 2, VirtioSpec.WriteZeroesUnmap));
        Kick(1);
        var read = _guest.Read(sector: 3, bytes: 2048);

        Kick(2);

        var expected = Enumerable.Range(3 * 512, 2048).Select(i => i >= 4 * 512 && i < 6 * 512 ? (byte)0 : VirtioRig.Pattern(i)).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(_guest.StatusOf(zero), Is.EqualTo(VirtioSpec.StatusOk));
            Assert.That(_guest.DataOf(read), Is.EqualTo(expected));
        });
    }

    [Test]
    public void WriteZeroes_UnknownFlag_Unsupp()
    {
        _guest.InitModern(Version1 | (1UL << VirtioSpec.FeatureWriteZeroes));
        var request = _guest.Queue(VirtioSpec.TypeWriteZeroes, 0, 16, dataWritable: false, payload: Segment(4, 2, 0x80));

        Kick(1);

        Assert.That(_guest.StatusOf(request), Is.EqualTo(VirtioSpec.StatusUnsupp));
    }

    [Test]
    public void WriteZeroes_TwoSegments_Unsupp()
    {
        _guest.InitModern(Version1 | (1UL << VirtioSpec.FeatureWriteZeroes));
        var payload = Segment(4, 2, 0).Concat(Segment(10, 2, 0)).ToArray();
        var request = _guest.Queue(VirtioSpec.TypeWriteZeroes, 0, 32, dataWritable: false, payload: payload);

        Kick(1);

        Assert.That(_guest.StatusOf(request), Is.EqualTo(VirtioSpec.StatusUnsupp));
    }

    [Test]
    public void Discard_PastEnd_IoErr()
    {
        _guest.InitModern(Version1 | (1UL << VirtioSpec.FeatureDiscard));
        var request = _guest.Queue(VirtioSpec.TypeDiscard, 0, 16, dataWritable: false, payload: Segment(2040, 16, 0));

        Kick(1);

        Assert.That(_guest.StatusOf(request), Is.EqualTo(VirtioSpec.StatusIoErr));
    }

    [Test]
    public void Writeback_GuestClears_BackendWriteCacheOff()
    {
        _guest.InitModern(Version1 | (1UL << VirtioSpec.FeatureConfigWce) | (1UL << VirtioSpec.FeatureFlush));

        _guest.DeviceConfigWrite(VirtioSpec.ConfigWriteback, 1, 0);

        Assert.Multiple(() =>
        {
            Assert.That(_guest.DeviceConfigRead(VirtioSpec.ConfigWriteback, 1), Is.Zero);
            Assert.That(_backend.WriteCacheEnabled, Is.False);
        });
    }

    [Test]
    public void Writeback_NoConfigWceNoFlush_DriverOkMakesWritethrough()
    {
        _guest.InitModern(Version1);

        Assert.That(_guest.DeviceConfigRead(VirtioSpec.ConfigWriteback, 1), Is.Zero);
    }

    [Test]
    public void Resize_RaisesConfigInterruptWithNewCapacity()
    {
        _guest.InitModern(Version1);
        _guest.IsrRead();
        var generation = _guest.CommonRead(VirtioSpec.ConfigGeneration, 1);

        Assert.That(_backend.Truncate(2 * DiskBytes), Is.EqualTo(BlockError.None));

        Assert.Multiple(() =>
        {
            Assert.That(_guest.CommonRead(VirtioSpec.ConfigGeneration, 1), Is.Not.EqualTo(generation));
            Assert.That(_guest.IsrRead(), Is.EqualTo(3));
            Assert.That(_guest.DeviceConfigRead(VirtioSpec.ConfigCapacity, 4), Is.EqualTo(2 * DiskBytes / VirtioSpec.Sector));
        });
    }

    [Test]
    public void EventIdx_UsedEventAhead_NoInterruptUntilCrossed()
    {
        _guest.InitModern(Version1 | (1UL << VirtioSpec.FeatureEventIdx));
        var q = _guest.Queues[0];
        _guest.Read(0, 512);
        Kick(1);
        _guest.IsrRead();
        q.SetUsedEvent(2);
        _guest.Read(1, 512);
        Kick(2);
        var atUsed2 = _guest.IsrRead();
        _guest.Read(2, 512);

        Kick(3);

        Assert.Multiple(() =>
        {
            Assert.That(atUsed2, Is.Zero, "used_event = 2: no interrupt for used index 2");
            Assert.That(_guest.IsrRead(), Is.EqualTo(1), "used index 3 crosses used_event");
            Assert.That(q.AvailEvent, Is.EqualTo(3), "the device publishes avail_event");
        });
    }

    [Test]
    public void NoInterruptFlag_WithoutEventIdx_Suppresses()
    {
        _guest.InitModern(Version1);
        _guest.Queues[0].SetAvailFlags(VirtioSpec.AvailNoInterrupt);
        _guest.Read(0, 512);

        Kick(1);

        Assert.That(_guest.IsrRead(), Is.Zero);
    }

    [Test]
    public void RingReset_ResetQueue_DisablesIt()
    {
        _guest.InitModern(Version1 | (1UL << VirtioSpec.FeatureRingReset));
        _guest.CommonWrite(VirtioSpec.QueueSelect, 2, 0);

        _guest.CommonWrite(VirtioSpec.QueueReset, 2, 1);

        Assert.Multiple(() =>
        {
            Assert.That(_guest.CommonRead(VirtioSpec.QueueEnable, 2), Is.Zero);
            Assert.That(_guest.CommonRead(VirtioSpec.QueueReset, 2), Is.Zero);
        });
    }

    private static byte[] Segment(ulong sector, uint count, uint flags)
    {
        var segment = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(segment, sector);
        BinaryPrimitives.WriteUInt32LittleEndian(segment.AsSpan(8), count);
        BinaryPrimitives.WriteUInt32LittleEndian(segment.AsSpan(12), flags);
        return segment;
    }
}
