using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Qcow2;
using Emulator.Block.Tests.Drivers.Qcow2;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Backend;

/// <summary>
/// <see cref="BlockLayer.DrainFlushCloseAll"/>, the one end of the block layer's life: requests in flight
/// complete and reach their device, cached qcow2 metadata reaches the file, every node is closed
/// (its file lock released), and later I/O is refused. Images are judged by qemu-img.
/// </summary>
public class BlockLayerShutdownTests : Qcow2TestBase
{
    private const int Sector = 512;
    private const long DiskSize = 4 << 20;

    /// <summary>Past the first cluster, so the write allocates a cluster and dirties an L2 table in the cache.</summary>
    private const long WrittenOffset = 200 * Sector;

    [Test]
    public void DrainFlushCloseAll_WriteInFlight_CompletesToDeviceAndImageClean()
    {
        QemuTools.Require();
        var image = Create("disk.qcow2", DiskSize);
        var backend = Open(image);
        var device = TestDevice.HardDisk();
        backend.AttachDevice(device, "disk0");
        var request = new BlockRequest(device);
        request.PrepareWrite(WrittenOffset, Enumerable.Repeat((byte)0xA5, Sector).ToArray());
        backend.Submit(request);

        var problems = H.Layer.DrainFlushCloseAll(TimeSpan.FromSeconds(30));
        var (check, report) = QemuTools.ImgStatus("check", "-f", "qcow2", image);
        var view = QemuRawView(image);

        Assert.Multiple(() =>
        {
            Assert.That(problems, Is.Empty);
            Assert.That(device.Completions, Has.Count.EqualTo(1), "the device saw its write complete");
            Assert.That(device.Completions[0].Error, Is.EqualTo(BlockError.None));
            Assert.That(check, Is.Zero, report);
            Assert.That(view.AsSpan((int)WrittenOffset, Sector).ToArray().Distinct(), Is.EqualTo(new[] { (byte)0xA5 }));
        });
    }

    [Test]
    public void DrainFlushCloseAll_Afterwards_IoRefusedAndFileUnlocked()
    {
        var image = Create("disk.qcow2", DiskSize);
        var backend = Open(image);

        H.Layer.DrainFlushCloseAll(TimeSpan.FromSeconds(30));
        var write = backend.Write(0, new byte[Sector]);
        using var other = new BlockHarness();
        var reopened = other.Layer.CreateBackend(new BlockBackendOptions(), new Qcow2NodeOptions(new FileNodeOptions(image)));

        Assert.Multiple(() =>
        {
            Assert.That(H.Layer.IsClosed, Is.True);
            Assert.That(write, Is.EqualTo(BlockError.NoMedium));
            Assert.That(H.Layer.Graph.Nodes, Is.Empty);
            Assert.That(reopened.IsInserted, Is.True, "the write lock went with the close");
        });
    }

    [Test]
    public void DrainFlushCloseAll_TwiceAndThenUnref_NothingClosedTwice()
    {
        var image = Create("disk.qcow2", DiskSize);
        var backend = Open(image);

        var first = H.Layer.DrainFlushCloseAll(TimeSpan.FromSeconds(30));
        var second = H.Layer.DrainFlushCloseAll(TimeSpan.FromSeconds(30));
        backend.Unref();

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.Empty);
            Assert.That(second, Is.Empty);
            Assert.That(H.Layer.Backends, Is.Empty);
        });
    }
}
