using Emulator.Testing.Qos;

namespace Emulator.Testing.Tests.Qos;

/// <summary>The modern virtio-pci helper in process against the real virtio-blk-pci model: negotiation, capacity, data, errors.</summary>
public class VirtioBlkModernTests
{
    private const int Slot = 4;
    private const int RamBytes = 128 << 20;
    private const long DiskBytes = 1 << 20;
    private const int Sectors = 8;

    /// <summary>VIRTIO_F_NOTIFY_ON_EMPTY and VIRTIO_F_ANY_LAYOUT: feature bits of the legacy interface only (virtio 1.2 section 6.3).</summary>
    public const int NotifyOnEmpty = 24;
    public const int AnyLayout = 27;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-qos-virtio-modern-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Initialize_TransitionalDevice_Version1NegotiatedAndDriverOk()
    {
        using var qts = Start($"file={Image()},format=raw");
        var virtio = new VirtioBlkModern(new PciBus(qts).At(Slot)!, GuestAllocator.ForPc(RamBytes));

        virtio.Initialize();

        Assert.Multiple(() =>
        {
            Assert.That(virtio.NegotiatedFeatures, Is.EqualTo(1UL << VirtioPciModern.FeatureVersion1));
            Assert.That(virtio.Transport.GetStatus(), Is.EqualTo(VirtioPciModern.Acknowledge | VirtioPciModern.Driver | VirtioPciModern.FeaturesOk | VirtioPciModern.DriverOk));
            Assert.That(virtio.Transport.QueueCount, Is.GreaterThanOrEqualTo(1));
            Assert.That(virtio.Transport.NotifyOffMultiplier, Is.Not.Zero);
        });
    }

    [Test]
    public void DeviceFeatures_ModernInterface_HidesLegacyOnlyBits()
    {
        using var qts = Start($"file={Image()},format=raw");
        var transport = new VirtioPciModern(new PciBus(qts).At(Slot)!);
        transport.Initialize();

        var offered = transport.ReadDeviceFeatures();

        Assert.That(offered & ((1UL << NotifyOnEmpty) | (1UL << AnyLayout)), Is.Zero);
    }

    [Test]
    public void NegotiateFeatures_BitNotOffered_FeaturesOkRefused()
    {
        using var qts = Start($"file={Image()},format=raw");
        var transport = new VirtioPciModern(new PciBus(qts).At(Slot)!);
        transport.Initialize();
        var unoffered = ~transport.ReadDeviceFeatures() & (1UL << 63);

        var accepted = transport.NegotiateFeatures((1UL << VirtioPciModern.FeatureVersion1) | unoffered);

        Assert.That(accepted, Is.False);
    }

    [Test]
    public void WriteThenRead_EightSectors_StatusOkDataBackAndOnDisk()
    {
        var image = Image();
        byte[] pattern = [.. Enumerable.Range(0, Sectors * VirtioBlkModern.Sector).Select(i => (byte)(i * 7))];
        byte? written;
        (byte Status, byte[] Data)? read;
        using (var qts = Start($"file={image},format=raw"))
        {
            var virtio = new VirtioBlkModern(new PciBus(qts).At(Slot)!, GuestAllocator.ForPc(RamBytes));
            virtio.Initialize();
            written = virtio.Write(100, pattern);
            read = virtio.Read(100, Sectors);
        }

        Assert.Multiple(() =>
        {
            Assert.That(written, Is.EqualTo(VirtioBlkModern.StatusOk));
            Assert.That(read?.Status, Is.EqualTo(VirtioBlkModern.StatusOk));
            Assert.That(read?.Data, Is.EqualTo(pattern));
            Assert.That(File.ReadAllBytes(image).AsSpan(100 * VirtioBlkModern.Sector, pattern.Length).ToArray(), Is.EqualTo(pattern));
        });
    }

    [Test]
    public void Capacity_NullCoOf1TiB_SectorsFromDeviceConfig()
    {
        const long bytes = 1L << 40;
        using var qts = QtestHarness.Start("-nodefaults", "-blockdev", $"driver=null-co,node-name=n0,size={bytes}", "-device", $"virtio-blk-pci,drive=n0,addr={Slot:x2}.0");
        var virtio = new VirtioBlkModern(new PciBus(qts).At(Slot)!, GuestAllocator.ForPc(RamBytes));
        virtio.Initialize();

        Assert.That(virtio.Capacity(), Is.EqualTo((ulong)(bytes / VirtioBlkModern.Sector)));
    }

    [Test]
    public void Read_PastEndOfDisk_IoError()
    {
        using var qts = Start($"file={Image()},format=raw");
        var virtio = new VirtioBlkModern(new PciBus(qts).At(Slot)!, GuestAllocator.ForPc(RamBytes));
        virtio.Initialize();

        var read = virtio.Read((ulong)(DiskBytes / VirtioBlkModern.Sector) - 1, 2);

        Assert.That(read?.Status, Is.EqualTo(VirtioBlkModern.StatusIoError));
    }

    private static QtestHarness Start(string drive) =>
        QtestHarness.Start("-nodefaults", "-drive", $"{drive},if=none,id=d0", "-device", $"virtio-blk-pci,drive=d0,addr={Slot:x2}.0");

    private string Image()
    {
        var image = Path.Combine(_dir, "disk.img");
        File.WriteAllBytes(image, new byte[DiskBytes]);
        return image;
    }
}
