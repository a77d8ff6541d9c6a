using Emulator.Testing.Qos;

namespace Emulator.Testing.Tests.Qos;

/// <summary>The virtio-blk and floppy helpers in process: data through the device lands in guest memory and on the image.</summary>
public class DeviceHelperTests
{
    private const int Slot = 4;
    private const int FloppyBytes = 1_474_560;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-qos-devices-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void VirtioBlkLegacy_WriteThenRead_StatusOkDataBackAndOnDisk()
    {
        var image = Path.Combine(_dir, "disk.img");
        File.WriteAllBytes(image, new byte[1 << 20]);
        byte[]? data;
        byte? written;
        using (var qts = QtestHarness.Start("-drive", $"file={image},if=none,id=d0,format=raw", "-device", $"virtio-blk-pci,drive=d0,addr={Slot:x2}.0"))
        {
            var virtio = new VirtioBlkLegacy(new PciBus(qts).At(Slot)!, GuestAllocator.ForPc(128 << 20));
            virtio.Initialize();
            written = virtio.WriteSector(6, 0xA7);
            data = virtio.ReadSector(6)?.Data;
        }

        Assert.Multiple(() =>
        {
            Assert.That(written, Is.EqualTo(VirtioBlkLegacy.StatusOk));
            Assert.That(data, Is.EqualTo(Enumerable.Repeat((byte)0xA7, VirtioBlkLegacy.Sector)));
            Assert.That(File.ReadAllBytes(image).AsSpan(6 * VirtioBlkLegacy.Sector, VirtioBlkLegacy.Sector).ToArray(), Is.All.EqualTo(0xA7));
        });
    }

    [Test]
    public void FloppyController_ReadSector_NormalTerminationAndData()
    {
        var image = Path.Combine(_dir, "fd.img");
        File.WriteAllBytes(image, [.. Enumerable.Range(0, FloppyBytes).Select(i => (byte)(i / FloppyController.Sector))]);
        using var qts = QtestHarness.Start("-drive", $"file={image},if=floppy,format=raw");
        var fdc = new FloppyController(qts, GuestAllocator.ForPc(128 << 20));

        var read = fdc.ReadSector(3);

        Assert.Multiple(() =>
        {
            Assert.That(read?.Result[0] & 0xC0, Is.Zero, "ST0: normal termination");
            Assert.That(read?.Data, Is.All.EqualTo(2), "sector 3 is the third sector of the track (LBA 2)");
        });
    }
}
