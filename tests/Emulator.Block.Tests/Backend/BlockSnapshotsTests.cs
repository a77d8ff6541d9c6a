using Emulator.Block.Backend;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Backend;

public class BlockSnapshotsTests
{
    private BlockHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new BlockHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    [Test]
    public void Snapshot_Writes_GoToOverlayAndImageStaysUntouched()
    {
        var image = _h.CreateImage(64 * 1024);
        var before = File.ReadAllBytes(image);
        var backend = _h.Layer.OpenImageSnapshot(new BlockBackendOptions { Name = "hd0" }, image);

        var write = backend.Write(4096, new byte[] { 9, 9, 9 });
        var back = new byte[4];
        backend.Read(4095, back);
        backend.Unref();

        Assert.Multiple(() =>
        {
            Assert.That(write, Is.EqualTo(BlockError.None));
            Assert.That(back, Is.EqualTo(new[] { BlockHarness.Pattern(4095), (byte)9, (byte)9, (byte)9 }));
            Assert.That(File.ReadAllBytes(image), Is.EqualTo(before), "the image itself is never written");
        });
    }

    [Test]
    public void Snapshot_ImageOpenedReadOnly_AnotherReaderCanShareIt()
    {
        var image = _h.CreateImage(8192);

        var backend = _h.Layer.OpenImageSnapshot(new BlockBackendOptions(), image);
        var reader = _h.Layer.OpenImage(new BlockBackendOptions { ReadOnly = true }, image, "raw");

        Assert.Multiple(() =>
        {
            Assert.That(backend.IsReadOnly, Is.False, "guest writes go to the overlay");
            Assert.That(backend.Length, Is.EqualTo(8192));
            Assert.That(backend.FormatName, Is.EqualTo("qcow2"));
            Assert.That(reader.Length, Is.EqualTo(8192), "the snapshot holds only a shared (reader's) lock on the image");
        });
    }

    [Test]
    public void Snapshot_OverlayFileRemovedOnceOpen()
    {
        var image = _h.CreateImage(8192);
        var before = Directory.GetFiles(Path.GetTempPath(), BlockSnapshots.OverlayPrefix + "*").Length;

        var backend = _h.Layer.OpenImageSnapshot(new BlockBackendOptions(), image);
        backend.Write(0, new byte[512]);

        Assert.That(Directory.GetFiles(Path.GetTempPath(), BlockSnapshots.OverlayPrefix + "*"), Has.Length.EqualTo(before));
    }
}
