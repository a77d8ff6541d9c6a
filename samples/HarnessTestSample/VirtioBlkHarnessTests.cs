using Emulator.Testing;
using Emulator.Testing.Qos;

namespace HarnessTestSample;

/// <summary>
/// What a device test written against the Emulator.Testing package looks like: a pc machine built in process from
/// qemu-system-x86_64 options, a virtio-blk-pci disk driven through the libqos-style helpers (PCI enumeration and
/// BAR mapping, a guest memory allocator, the modern virtio-pci transport and a split virtqueue), the result checked
/// in guest memory and in the image file.
/// </summary>
public class VirtioBlkHarnessTests
{
    private const int Slot = 4;
    private const int RamBytes = 128 << 20;
    private const long DiskBytes = 1 << 20;

    private string _dir = null!;
    private string _image = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("harness-sample-").FullName;
        _image = Path.Combine(_dir, "disk.img");
        File.WriteAllBytes(_image, new byte[DiskBytes]);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void WriteThenRead_ModernVirtioBlk_DataBackAndInTheImage()
    {
        byte[] pattern = [.. Enumerable.Range(0, 4 * VirtioBlkModern.Sector).Select(i => (byte)(i * 7))];
        byte? written;
        (byte Status, byte[] Data)? read;
        using (var qts = QtestHarness.Start("-nodefaults", "-drive", $"file={_image},if=none,id=d0,format=raw",
                   "-device", $"virtio-blk-pci,drive=d0,addr={Slot:x2}.0"))
        {
            var virtio = new VirtioBlkModern(new PciBus(qts).At(Slot)!, GuestAllocator.ForPc(RamBytes));
            virtio.Initialize();
            written = virtio.Write(sector: 10, pattern);
            read = virtio.Read(sector: 10, sectors: 4);
        }

        Assert.Multiple(() =>
        {
            Assert.That(written, Is.EqualTo(VirtioBlkModern.StatusOk));
            Assert.That(read?.Status, Is.EqualTo(VirtioBlkModern.StatusOk));
            Assert.That(read?.Data, Is.EqualTo(pattern));
            Assert.That(File.ReadAllBytes(_image).AsSpan(10 * VirtioBlkModern.Sector, pattern.Length).ToArray(), Is.EqualTo(pattern));
        });
    }

    [Test]
    public void Capacity_OneMiBImage_2048Sectors()
    {
        using var qts = QtestHarness.Start("-nodefaults", "-drive", $"file={_image},if=none,id=d0,format=raw",
            "-device", $"virtio-blk-pci,drive=d0,addr={Slot:x2}.0");
        var virtio = new VirtioBlkModern(new PciBus(qts).At(Slot)!, GuestAllocator.ForPc(RamBytes));
        virtio.Initialize();

        Assert.That(virtio.Capacity(), Is.EqualTo(2048UL));
    }
}
