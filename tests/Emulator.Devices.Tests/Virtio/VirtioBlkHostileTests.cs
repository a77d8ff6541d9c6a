using Emulator.Machine.Bus;

namespace Emulator.Devices.Tests.Virtio;

/// <summary>
/// Malformed queues from a hostile driver: each must mark the device NEEDS_RESET (virtio 1.2,
/// 2.1.2), complete nothing, throw nothing out of the device, and leave the machine and other
/// devices working; a reset brings the device back.
/// </summary>
public class VirtioBlkHostileTests
{
    private const ulong Version1 = 1UL << VirtioSpec.FeatureVersion1;
    private const ushort QueueSize = 16;

    private VirtioRig _rig = null!;
    private VirtioBlkGuest _guest = null!;
    private GuestQueue _queue = null!;
    private ulong _header;
    private ulong _data;
    private ulong _status;

    [SetUp]
    public void SetUp()
    {
        _rig = new VirtioRig();
        _rig.AddDevice(_rig.Open(_rig.CreateImage(1 << 20)));
        _rig.Machine.Start();
        _guest = new VirtioBlkGuest(_rig.Machine);
        _guest.InitModern(Version1 | (1UL << VirtioSpec.FeatureIndirect), queueSize: QueueSize);
        _queue = _guest.Queues[0];
        _header = _guest.Allocate(16);
        _data = _guest.Allocate(512);
        _status = _guest.Allocate(1);
        _guest.WriteHeader(_header, VirtioSpec.TypeIn, 0);
        _rig.Machine.Memory.WriteByte((uint)_status, 0xFF);
    }

    [TearDown]
    public void TearDown() => _rig.Dispose();

    private byte DeviceStatus => (byte)_guest.CommonRead(VirtioSpec.DeviceStatus, 1);

    private void PublishAndKick(ushort head)
    {
        _queue.Publish(head);
        _guest.Notify(0);
        _rig.RunOnce();
    }

    private void AssertBroken()
    {
        Assert.Multiple(() =>
        {
            Assert.That(DeviceStatus & VirtioSpec.NeedsReset, Is.EqualTo(VirtioSpec.NeedsReset));
            Assert.That(_queue.UsedIndex, Is.Zero);
            Assert.That(_rig.Machine.Memory.ReadByte((uint)_status), Is.EqualTo(0xFF));
        });
    }

    [Test]
    public void DescriptorLoop_NeedsReset()
    {
        _queue.WriteDescriptor(0, _header, 16, VirtioSpec.DescNext, 1);
        _queue.WriteDescriptor(1, _data, 512, VirtioSpec.DescNext | VirtioSpec.DescWrite, 0);

        PublishAndKick(0);

        AssertBroken();
    }

    [Test]
    public void NextOutsideTable_NeedsReset()
    {
        _queue.WriteDescriptor(0, _header, 16, VirtioSpec.DescNext, QueueSize + 3);

        PublishAndKick(0);

        AssertBroken();
    }

    [Test]
    public void IndirectTableLargerThanQueue_NeedsReset()
    {
        var table = _guest.Allocate(16 * (QueueSize * 64 + 1));
        _queue.WriteDescriptor(0, table, (uint)(16 * (QueueSize * 64 + 1)), VirtioSpec.DescIndirect, 0);

        PublishAndKick(0);

        AssertBroken();
    }

    [Test]
    public void IndirectLoop_NeedsReset()
    {
        var table = _guest.Allocate(32);
        _queue.WriteDescriptorAt(table, 0, _header, 16, VirtioSpec.DescNext, 1);
        _queue.WriteDescriptorAt(table, 1, _status, 1, VirtioSpec.DescNext | VirtioSpec.DescWrite, 0);
        _queue.WriteDescriptor(0, table, 32, VirtioSpec.DescIndirect, 0);

        PublishAndKick(0);

        AssertBroken();
    }

    [Test]
    public void NestedIndirect_NeedsReset()
    {
        var table = _guest.Allocate(16);
        _queue.WriteDescriptorAt(table, 0, table, 16, VirtioSpec.DescIndirect, 0);
        _queue.WriteDescriptor(0, table, 16, VirtioSpec.DescIndirect, 0);

        PublishAndKick(0);

        AssertBroken();
    }

    [Test]
    public void BufferOutsideRam_NeedsReset()
    {
        PublishAndKick(_queue.AddChain(new GuestBuffer(_header, 16, false), new GuestBuffer(0xF000_0000, 512, true), new GuestBuffer(_status, 1, true)));

        AssertBroken();
    }

    [Test]
    public void BufferWrappingAddressSpace_NeedsReset()
    {
        PublishAndKick(_queue.AddChain(new GuestBuffer(_header, 16, false), new GuestBuffer(ulong.MaxValue - 100, 512, true), new GuestBuffer(_status, 1, true)));

        AssertBroken();
    }

    [Test]
    public void ZeroLengthHeader_NeedsReset()
    {
        PublishAndKick(_queue.AddChain(new GuestBuffer(_header, 0, false), new GuestBuffer(_data, 512, true), new GuestBuffer(_status, 1, true)));

        AssertBroken();
    }

    [Test]
    public void ShortHeader_NeedsReset()
    {
        PublishAndKick(_queue.AddChain(new GuestBuffer(_header, 8, false), new GuestBuffer(_status, 1, true)));

        AssertBroken();
    }

    [Test]
    public void StatusInReadOnlyBuffer_NeedsReset()
    {
        PublishAndKick(_queue.AddChain(new GuestBuffer(_header, 16, false), new GuestBuffer(_data, 512, false), new GuestBuffer(_status, 1, false)));

        AssertBroken();
    }

    [Test]
    public void ReadableAfterWritable_NeedsReset()
    {
        PublishAndKick(_queue.AddChain(new GuestBuffer(_data, 512, true), new GuestBuffer(_header, 16, false), new GuestBuffer(_status, 1, true)));

        AssertBroken();
    }

    [Test]
    public void AvailIndexJump_NeedsReset()
    {
        _queue.SetAvailIndex(QueueSize + 5);
        _guest.Notify(0);
        _rig.RunOnce();

        AssertBroken();
    }

    [Test]
    public void DiscardSegmentTooShort_NeedsReset()
    {
        _guest.WriteHeader(_header, VirtioSpec.TypeDiscard, 0);

        PublishAndKick(_queue.AddChain(new GuestBuffer(_header, 16, false), new GuestBuffer(_data, 8, false), new GuestBuffer(_status, 1, true)));

        AssertBroken();
    }

    [Test]
    public void RingOutsideRam_NeedsReset()
    {
        _guest.CommonWrite(VirtioSpec.DeviceStatus, 1, 0);
        _guest.CommonWrite(VirtioSpec.DeviceStatus, 1, VirtioSpec.Acknowledge | VirtioSpec.Driver);
        _guest.CommonWrite(VirtioSpec.DriverFeatureSelect, 4, 1);
        _guest.CommonWrite(VirtioSpec.DriverFeature, 4, 1);
        _guest.CommonWrite(VirtioSpec.DeviceStatus, 1, VirtioSpec.Acknowledge | VirtioSpec.Driver | VirtioSpec.FeaturesOk);
        _guest.CommonWrite(VirtioSpec.QueueSelect, 2, 0);
        _guest.CommonWrite(VirtioSpec.QueueDriver, 4, 0xF800_0000);
        _guest.CommonWrite(VirtioSpec.QueueEnable, 2, 1);
        _guest.CommonWrite(VirtioSpec.DeviceStatus, 1, VirtioSpec.Acknowledge | VirtioSpec.Driver | VirtioSpec.FeaturesOk | VirtioSpec.DriverOk);

        _guest.Notify(0);
        _rig.RunOnce();

        Assert.That(DeviceStatus & VirtioSpec.NeedsReset, Is.EqualTo(VirtioSpec.NeedsReset));
    }

    [Test]
    public void NotifyBeforeQueueEnabled_Ignored()
    {
        _guest.CommonWrite(VirtioSpec.DeviceStatus, 1, 0);
        _guest.Read(0, 512);

        _guest.Notify(0);
        _rig.RunOnce();

        Assert.Multiple(() =>
        {
            Assert.That(DeviceStatus, Is.Zero);
            Assert.That(_queue.UsedIndex, Is.Zero);
        });
    }

    [Test]
    public void Broken_LaterGoodRequests_NotProcessedUntilReset()
    {
        PublishAndKick(_queue.AddChain(new GuestBuffer(_header, 8, false), new GuestBuffer(_status, 1, true)));
        _guest.Read(0, 512);

        _guest.Notify(0);
        _rig.RunOnce();

        Assert.That(_queue.UsedIndex, Is.Zero);
    }

    [Test]
    public void Broken_DriverResetsAndReinitialises_WorksAgain()
    {
        PublishAndKick(_queue.AddChain(new GuestBuffer(_header, 8, false), new GuestBuffer(_status, 1, true)));
        _guest.Queues.Clear();

        _guest.InitModern(Version1, queueSize: QueueSize);
        var read = _guest.Read(0, 512);
        _guest.Notify(0);
        _rig.RunUntil(() => _guest.Queues[0].UsedIndex == 1);

        Assert.Multiple(() =>
        {
            Assert.That(DeviceStatus & VirtioSpec.NeedsReset, Is.Zero);
            Assert.That(_guest.StatusOf(read), Is.EqualTo(VirtioSpec.StatusOk));
        });
    }

    [Test]
    public void Broken_OtherDeviceKeepsWorking()
    {
        _rig.AddDevice(_rig.Open(_rig.CreateImage(1 << 20, "other.img")), new() { DeviceId = "other" }, slot: 5);
        var other = new VirtioBlkGuest(_rig.Machine, slot: 5);
        PublishAndKick(_queue.AddChain(new GuestBuffer(_header, 8, false), new GuestBuffer(_status, 1, true)));
        other.InitLegacy(0);
        var read = other.Read(0, 512);

        other.Notify(0);
        _rig.RunUntil(() => other.Queues[0].UsedIndex == 1);

        Assert.That(other.StatusOf(read), Is.EqualTo(VirtioSpec.StatusOk));
    }

    [Test]
    public void Legacy_Malformed_StopsProcessingWithoutNeedsResetBit()
    {
        _guest.Queues.Clear();
        _guest.InitLegacy(0);
        var q = _guest.Queues[0];
        q.WriteDescriptor(0, _header, 16, VirtioSpec.DescNext, 1);
        q.WriteDescriptor(1, _data, 512, VirtioSpec.DescNext | VirtioSpec.DescWrite, 0);
        q.Publish(0);

        _guest.Notify(0);
        _rig.RunOnce();

        Assert.Multiple(() =>
        {
            Assert.That(_guest.LegacyRead(VirtioSpec.LegacyStatus, PortWidth.Byte) & VirtioSpec.NeedsReset, Is.Zero);
            Assert.That(q.UsedIndex, Is.Zero);
        });
    }

    [Test]
    public void ManyHugeRequestsOnOneBuffer_AllCompleteWithinTheInFlightBudget()
    {
        using var rig = new VirtioRig();
        var backend = rig.Layer.CreateBackend(new() { Name = "big" }, new Emulator.Block.Drivers.NullCo.NullNodeOptions { Size = 64 << 20 });
        rig.AddDevice(backend);
        var guest = new VirtioBlkGuest(rig.Machine);
        guest.InitModern(Version1);
        var q = guest.Queues[0];
        var shared = guest.Allocate(16 << 20, 4096);
        var statuses = Enumerable.Range(0, 8).Select(_ => guest.Allocate(1)).ToArray();
        foreach (var status in statuses)
        {
            var header = guest.Allocate(16);
            guest.WriteHeader(header, VirtioSpec.TypeIn, 0);
            q.Publish(q.AddChain(new GuestBuffer(header, 16, false), new GuestBuffer(shared, 16 << 20, true), new GuestBuffer(status, 1, true)));
        }

        guest.Notify(0);
        rig.RunUntil(() => q.UsedIndex == 8);

        Assert.That(statuses.Select(s => rig.Machine.Memory.ReadByte((uint)s)), Is.All.EqualTo(VirtioSpec.StatusOk));
    }

    [Test]
    public void RequestAbove16MiB_IoErr()
    {
        using var rig = new VirtioRig(ramSize: 64 << 20);
        var backend = rig.Layer.CreateBackend(new() { Name = "big" }, new Emulator.Block.Drivers.NullCo.NullNodeOptions { Size = 64 << 20 });
        rig.AddDevice(backend);
        var guest = new VirtioBlkGuest(rig.Machine);
        guest.InitModern(Version1);

        var request = guest.Read(0, (16 << 20) + 512);
        guest.Notify(0);
        rig.RunUntil(() => guest.Queues[0].UsedIndex == 1);

        Assert.That(guest.StatusOf(request), Is.EqualTo(VirtioSpec.StatusIoErr));
    }

    [Test]
    public void WildRegisterAccesses_NeverThrow()
    {
        Assert.DoesNotThrow(() =>
        {
            for (var offset = 0; offset < 0x80; offset++)
            {
                foreach (var width in new[] { PortWidth.Byte, PortWidth.Word, PortWidth.Dword })
                {
                    _guest.LegacyRead(offset, width);
                    _guest.LegacyWrite(offset, width, 0xFFFF_FFFF);
                }
            }

            for (uint offset = 0; offset < 0x4000; offset += 3)
            {
                _rig.Machine.Memory.WriteDword(VirtioBlkGuest.ModernBarBase + offset, 0xFFFF_FFFF);
                _rig.Machine.Memory.ReadDword(VirtioBlkGuest.ModernBarBase + offset);
            }

            for (uint offset = 0; offset < 0x1000; offset += 3)
            {
                _rig.Machine.Memory.WriteDword(VirtioBlkGuest.MsixBarBase + offset, 0xFFFF_FFFF);
                _rig.Machine.Memory.ReadDword(VirtioBlkGuest.MsixBarBase + offset);
            }

            _rig.RunOnce();
        });
    }
}
