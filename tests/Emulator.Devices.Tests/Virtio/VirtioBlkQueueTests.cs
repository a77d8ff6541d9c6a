using Emulator.Block.Backend;
using Emulator.Block.Drivers.Blkdebug;
using Emulator.Devices.Virtio;
using Emulator.Machine.Loop;

namespace Emulator.Devices.Tests.Virtio;

/// <summary>Merging, several queues and devices, the stop error policy, resets and hot-plug.</summary>
public class VirtioBlkQueueTests
{
    private const long DiskBytes = 1 << 20;
    private const ulong Version1 = 1UL << VirtioSpec.FeatureVersion1;

    private VirtioRig _rig = null!;

    [SetUp]
    public void SetUp() => _rig = new VirtioRig();

    [TearDown]
    public void TearDown() => _rig.Dispose();

    private static byte[] Expected(long offset, int length) =>
        Enumerable.Range(0, length).Select(i => VirtioRig.Pattern(offset + i)).ToArray();

    [Test]
    public void Merging_FourAdjacentReadsInOneDrain_OneBackendReadThreeMerged()
    {
        var backend = _rig.Open(_rig.CreateImage(DiskBytes));
        _rig.AddDevice(backend);
        var guest = new VirtioBlkGuest(_rig.Machine);
        guest.InitModern(Version1);
        var requests = new[] { guest.Read(12, 1024), guest.Read(10, 1024), guest.Read(14, 512), guest.Read(15, 4096) };

        guest.Notify(0);
        _rig.RunUntil(() => guest.Queues[0].UsedIndex == 4);

        var stats = backend.Stats[BlockAcctType.Read];
        Assert.Multiple(() =>
        {
            Assert.That(stats.Operations, Is.EqualTo(1));
            Assert.That(stats.Merged, Is.EqualTo(3));
            Assert.That(requests.Select(guest.StatusOf), Is.All.EqualTo(VirtioSpec.StatusOk));
            Assert.That(guest.DataOf(requests[0]), Is.EqualTo(Expected(12 * 512, 1024)));
            Assert.That(guest.DataOf(requests[1]), Is.EqualTo(Expected(10 * 512, 1024)));
            Assert.That(guest.DataOf(requests[3]), Is.EqualTo(Expected(15 * 512, 4096)));
        });
    }

    [Test]
    public void Merging_AdjacentGuestBuffers_OneOperationStraightIntoRam()
    {
        var backend = _rig.Open(_rig.CreateImage(DiskBytes));
        _rig.AddDevice(backend);
        var guest = new VirtioBlkGuest(_rig.Machine);
        guest.InitModern(Version1);
        var q = guest.Queues[0];
        var data = guest.Allocate(1024, 512);
        var (h1, h2, s1, s2) = (guest.Allocate(16), guest.Allocate(16), guest.Allocate(1), guest.Allocate(1));
        guest.WriteHeader(h1, VirtioSpec.TypeIn, 40);
        guest.WriteHeader(h2, VirtioSpec.TypeIn, 41);
        q.Publish(q.AddChain(new GuestBuffer(h2, 16, false), new GuestBuffer(data + 512, 512, true), new GuestBuffer(s2, 1, true)));
        q.Publish(q.AddChain(new GuestBuffer(h1, 16, false), new GuestBuffer(data, 512, true), new GuestBuffer(s1, 1, true)));

        guest.Notify(0);
        _rig.RunUntil(() => q.UsedIndex == 2);

        var got = new byte[1024];
        _rig.Machine.Memory.Read((uint)data, got);
        Assert.Multiple(() =>
        {
            Assert.That(got, Is.EqualTo(Expected(40 * 512, 1024)));
            Assert.That(backend.Stats[BlockAcctType.Read].Merged, Is.EqualTo(1));
            Assert.That(_rig.Machine.Memory.ReadByte((uint)s1), Is.EqualTo(VirtioSpec.StatusOk));
            Assert.That(_rig.Machine.Memory.ReadByte((uint)s2), Is.EqualTo(VirtioSpec.StatusOk));
        });
    }

    [Test]
    public void Merging_Off_EachRequestSeparately()
    {
        var backend = _rig.Open(_rig.CreateImage(DiskBytes));
        _rig.AddDevice(backend, new VirtioBlkOptions { RequestMerging = false });
        var guest = new VirtioBlkGuest(_rig.Machine);
        guest.InitModern(Version1);
        guest.Read(0, 512);
        guest.Read(1, 512);

        guest.Notify(0);
        _rig.RunUntil(() => guest.Queues[0].UsedIndex == 2);

        Assert.Multiple(() =>
        {
            Assert.That(backend.Stats[BlockAcctType.Read].Operations, Is.EqualTo(2));
            Assert.That(backend.Stats[BlockAcctType.Read].Merged, Is.Zero);
        });
    }

    [Test]
    public void Merging_AdjacentWrites_DataLandsInOrder()
    {
        var backend = _rig.Open(_rig.CreateImage(DiskBytes));
        _rig.AddDevice(backend);
        var guest = new VirtioBlkGuest(_rig.Machine);
        guest.InitModern(Version1);
        var a = Enumerable.Repeat((byte)0xA1, 512).ToArray();
        var b = Enumerable.Repeat((byte)0xB2, 1024).ToArray();
        guest.Write(21, b);
        guest.Write(20, a);
        guest.Notify(0);
        _rig.RunUntil(() => guest.Queues[0].UsedIndex == 2);
        var read = guest.Read(20, 1536);

        guest.Notify(0);
        _rig.RunUntil(() => guest.Queues[0].UsedIndex == 3);

        Assert.Multiple(() =>
        {
            Assert.That(backend.Stats[BlockAcctType.Write].Merged, Is.EqualTo(1));
            Assert.That(guest.DataOf(read), Is.EqualTo(a.Concat(b).ToArray()));
        });
    }

    [Test]
    public void MultiQueue_TwoQueues_OfferedAndServedSeparately()
    {
        _rig.AddDevice(_rig.Open(_rig.CreateImage(DiskBytes)), new VirtioBlkOptions { NumQueues = 2 });
        var guest = new VirtioBlkGuest(_rig.Machine);
        guest.InitModern(Version1 | (1UL << VirtioSpec.FeatureMq), queues: 2);
        var read = guest.Read(5, 512, queue: 1);

        guest.Notify(1);
        _rig.RunUntil(() => guest.Queues[1].UsedIndex == 1);

        Assert.Multiple(() =>
        {
            Assert.That(guest.ReadDeviceFeatures() & (1UL << VirtioSpec.FeatureMq), Is.Not.Zero);
            Assert.That(guest.DeviceConfigRead(VirtioSpec.ConfigNumQueues, 2), Is.EqualTo(2));
            Assert.That(guest.DataOf(read), Is.EqualTo(Expected(5 * 512, 512)));
            Assert.That(guest.Queues[0].UsedIndex, Is.Zero);
        });
    }

    [Test]
    public void TwoDevices_IndependentDisks()
    {
        _rig.AddDevice(_rig.Open(_rig.CreateImage(DiskBytes, "a.img")), new VirtioBlkOptions { DeviceId = "a" }, slot: 4);
        var second = _rig.Open(_rig.CreateImage(DiskBytes, "b.img"));
        _rig.AddDevice(second, new VirtioBlkOptions { DeviceId = "b" }, slot: 5);
        var guestB = new VirtioBlkGuest(_rig.Machine, slot: 5);
        guestB.InitLegacy(0);
        var write = guestB.Write(0, Enumerable.Repeat((byte)0x77, 512).ToArray());

        guestB.Notify(0);
        _rig.RunUntil(() => guestB.Queues[0].UsedIndex == 1);

        Assert.Multiple(() =>
        {
            Assert.That(guestB.StatusOf(write), Is.EqualTo(VirtioSpec.StatusOk));
            Assert.That(second.Stats[BlockAcctType.Write].Operations, Is.EqualTo(1));
            Assert.That(_rig.Layer.Backends.Single(b => b.DeviceId == "a").Stats[BlockAcctType.Write].Operations, Is.Zero);
        });
    }

    [Test]
    public void HotPlug_AfterMachineStart_DeviceWorks()
    {
        _rig.Machine.Start();
        _rig.RunOnce();
        _rig.AddDevice(_rig.Open(_rig.CreateImage(DiskBytes)), slot: 6);
        var guest = new VirtioBlkGuest(_rig.Machine, slot: 6);
        guest.InitLegacy(0);
        var read = guest.Read(1, 512);

        guest.Notify(0);
        _rig.RunUntil(() => guest.Queues[0].UsedIndex == 1);

        Assert.That(guest.DataOf(read), Is.EqualTo(Expected(512, 512)));
    }

    [Test]
    public void WerrorStop_FailedWrite_ParksPausesThenCompletesOnResume()
    {
        var path = _rig.CreateImage(DiskBytes);
        var backend = _rig.OpenWithFaults(path, new BlockBackendOptions { Name = "d0", WriteErrorPolicy = BlockErrorPolicy.Stop },
            new BlkdebugRule { Operations = BlkdebugOperations.Write, Once = true });
        _rig.AddDevice(backend);
        var guest = new VirtioBlkGuest(_rig.Machine);
        guest.InitModern(Version1);
        var data = Enumerable.Repeat((byte)0x5C, 1024).ToArray();
        var write = guest.Write(30, data);
        guest.Notify(0);
        _rig.RunUntil(() => _rig.Machine.State == MachineRunState.IoError);
        var statusWhileStopped = guest.StatusOf(write);
        var usedWhileStopped = guest.Queues[0].UsedIndex;

        _rig.Machine.Resume();
        _rig.RunUntil(() => guest.Queues[0].UsedIndex == 1);
        var read = guest.Read(30, 1024);
        guest.Notify(0);
        _rig.RunUntil(() => guest.Queues[0].UsedIndex == 2);

        Assert.Multiple(() =>
        {
            Assert.That(statusWhileStopped, Is.EqualTo(0xFF), "no status while the request is parked");
            Assert.That(usedWhileStopped, Is.Zero);
            Assert.That(guest.StatusOf(write), Is.EqualTo(VirtioSpec.StatusOk));
            Assert.That(guest.DataOf(read), Is.EqualTo(data), "nothing the guest wrote is lost");
            Assert.That(backend.IoStatus, Is.EqualTo(IoStatus.Failed));
        });
    }

    [Test]
    public void WerrorReport_FailedWrite_IoErr()
    {
        var backend = _rig.OpenWithFaults(_rig.CreateImage(DiskBytes), new BlockBackendOptions { Name = "d0", WriteErrorPolicy = BlockErrorPolicy.Report },
            new BlkdebugRule { Operations = BlkdebugOperations.Write });
        _rig.AddDevice(backend);
        var guest = new VirtioBlkGuest(_rig.Machine);
        guest.InitModern(Version1);
        var write = guest.Write(0, new byte[512]);

        guest.Notify(0);
        _rig.RunUntil(() => guest.Queues[0].UsedIndex == 1);

        Assert.That(guest.StatusOf(write), Is.EqualTo(VirtioSpec.StatusIoErr));
    }

    [Test]
    public void RerrorIgnore_FailedRead_Ok()
    {
        var backend = _rig.OpenWithFaults(_rig.CreateImage(DiskBytes), new BlockBackendOptions { Name = "d0", ReadErrorPolicy = BlockErrorPolicy.Ignore },
            new BlkdebugRule { Operations = BlkdebugOperations.Read });
        _rig.AddDevice(backend);
        var guest = new VirtioBlkGuest(_rig.Machine);
        guest.InitModern(Version1);
        var read = guest.Read(0, 512);

        guest.Notify(0);
        _rig.RunUntil(() => guest.Queues[0].UsedIndex == 1);

        Assert.That(guest.StatusOf(read), Is.EqualTo(VirtioSpec.StatusOk));
    }

    [Test]
    public void ReadOnlyBackend_OffersRo()
    {
        var backend = _rig.Layer.OpenImage(new BlockBackendOptions { Name = "ro", ReadOnly = true }, _rig.CreateImage(DiskBytes), "raw");
        _rig.AddDevice(backend);
        var guest = new VirtioBlkGuest(_rig.Machine);
        guest.PlaceBars();
        guest.FindModernRegions();

        Assert.That(guest.ReadDeviceFeatures() & (1UL << VirtioSpec.FeatureRo), Is.Not.Zero);
    }

    [Test]
    public void SystemReset_DeviceBackToStatusZero()
    {
        _rig.AddDevice(_rig.Open(_rig.CreateImage(DiskBytes)));
        var guest = new VirtioBlkGuest(_rig.Machine);
        guest.InitModern(Version1, msix: true);

        _rig.Machine.RequestReset();
        _rig.RunOnce();

        // A reset unprograms the BARs too (checked below); the guest places them again, as firmware does.
        var barAfterReset = guest.BarAddress(4);
        guest.PlaceBars();
        var cap = guest.FindCapability(VirtioSpec.CapMsix);
        Assert.Multiple(() =>
        {
            Assert.That(barAfterReset, Is.Zero);
            Assert.That(guest.CommonRead(VirtioSpec.DeviceStatus, 1), Is.Zero);
            Assert.That(guest.PciRead(cap + 2, Emulator.Machine.Bus.PortWidth.Word) & VirtioSpec.MsixEnable, Is.Zero);
        });
    }

    [Test]
    public void DriverReset_DuringInFlightRead_WaitsForItAndDropsTheCompletion()
    {
        _rig.AddDevice(_rig.Open(_rig.CreateImage(DiskBytes)));
        var guest = new VirtioBlkGuest(_rig.Machine);
        guest.InitModern(Version1);
        var read = guest.Read(0, 4096);
        guest.Notify(0);

        guest.CommonWrite(VirtioSpec.DeviceStatus, 1, 0);
        var inFlightAfterReset = _rig.Layer.Backends[0].InFlight;
        _rig.RunOnce();

        Assert.Multiple(() =>
        {
            Assert.That(inFlightAfterReset, Is.Zero, "the reset waits for I/O aimed at guest RAM");
            Assert.That(guest.Queues[0].UsedIndex, Is.Zero);
            Assert.That(guest.StatusOf(read), Is.EqualTo(0xFF));
        });
    }
}
