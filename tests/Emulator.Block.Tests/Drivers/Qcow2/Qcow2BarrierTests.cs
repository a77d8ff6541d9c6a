using System.Buffers.Binary;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.Blkdebug;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Qcow2;

namespace Emulator.Block.Tests.Drivers.Qcow2;

/// <summary>
/// The flushes between dependent metadata writes, seen through a blkdebug node between the qcow2
/// node and its file that fails the Nth flush. A failed flush stops the request at that barrier, so
/// what is on disk afterwards shows which writes came before it: a new L2 table is flushed before
/// the L1 entry links it, data (and its refcount) before the L2 entry that points at it (held in the
/// L2 cache until a flush), and the new L2 entry before the old cluster's refcount drops. Without
/// the barriers the requests would succeed. Each state
/// left behind passes <c>qemu-img check</c> with no corruption (leaks at most), which is what a
/// power loss at that point would leave. Fresh image (64 KiB clusters): refcount block 0x20000,
/// L1 table 0x30000, first L2 table 0x40000.
/// </summary>
public class Qcow2BarrierTests : Qcow2TestBase
{
    private const int L1Table = 0x30000;
    private const int FirstL2Table = 0x40000;
    private const int FirstDataCluster = 0x50000;
    private const int CheckCorruptionsExitCode = 2;
    private const int CheckLeaksExitCode = 3;

    [OneTimeSetUp]
    public void RequireQemu() => QemuTools.Require();

    [Test]
    public void FirstWrite_FirstFlushFails_L2TableNotLinked()
    {
        var image = Create("b.qcow2", 1 << 20);

        var error = WriteFailingFlush(image, nth: 1, Random(4096, 1));

        Assert.That(error, Is.EqualTo(BlockError.Io));
        Assert.That(Peek64(image, L1Table), Is.Zero);
        Assert.That(QemuTools.ImgStatus("check", image).ExitCode, Is.EqualTo(CheckLeaksExitCode));
    }

    [Test]
    public void FlushAfterWrite_BarrierFails_DataWrittenButL2EntryNot()
    {
        var image = Create("b.qcow2", 1 << 20);
        var backend = OpenFailingFlush(image, nth: 2);

        var written = backend.Write(0, Random(4096, 1));
        var flushed = backend.Flush();

        Assert.That(written, Is.EqualTo(BlockError.None));
        Assert.That(flushed, Is.EqualTo(BlockError.Io));
        Assert.That(Peek64(image, L1Table), Is.EqualTo(Qcow2Entry.Copied | FirstL2Table));
        Assert.That(Peek64(image, FirstL2Table), Is.Zero);
        Assert.That(Peek64(image, FirstDataCluster), Is.EqualTo(BinaryPrimitives.ReadUInt64BigEndian(Random(4096, 1))));
        backend.Unref();
    }

    [Test]
    public void FlushAfterWrite_BarrierSucceeds_L2EntryOnDisk()
    {
        var image = Create("b.qcow2", 1 << 20);
        var backend = OpenFailingFlush(image, nth: 4);

        var written = backend.Write(0, Random(4096, 1));
        var flushed = backend.Flush();

        Assert.That(written, Is.EqualTo(BlockError.None));
        Assert.That(flushed, Is.EqualTo(BlockError.None));
        Assert.That(Peek64(image, FirstL2Table), Is.EqualTo(Qcow2Entry.Copied | FirstDataCluster));
        backend.Unref();
        Assert.That(QemuTools.ImgStatus("check", image).ExitCode, Is.Zero);
        AssertSameBytes(QemuRawView(image)[..4096], Random(4096, 1));
    }

    [Test]
    public void WriteOverSnapshotCluster_FourthFlushFails_NewEntryOnDiskOldRefcountKept()
    {
        var image = Create("b.qcow2", 1 << 20);
        var backend = Open(image);
        Assert.That(backend.Write(0, Random(65536, 1)), Is.EqualTo(BlockError.None));
        backend.Unref();
        QemuTools.Img("snapshot", "-c", "s1", image);

        // Copy the shared L2 table (flush 1), link it (flush 2), copy the data cluster and write back
        // its L2 entry (flush 3), then flush 4 fails before the shared cluster loses its reference.
        var error = WriteFailingFlush(image, nth: 4, Random(4096, 2));

        Assert.That(error, Is.EqualTo(BlockError.Io));
        var check = QemuTools.ImgStatus("check", image);
        Assert.That(check.ExitCode, Is.Not.EqualTo(CheckCorruptionsExitCode), check.Output);
        Assert.That(check.Output, Does.Contain("1 leaked clusters"));
        AssertSameBytes(QemuRawView(image)[..4096], Random(4096, 2));
    }

    private static ulong Peek64(string image, long offset)
    {
        var bytes = new byte[8];
        using var stream = new FileStream(image, FileMode.Open, FileAccess.Read);
        stream.Position = offset;
        stream.ReadExactly(bytes);
        return BinaryPrimitives.ReadUInt64BigEndian(bytes);
    }

    /// <summary>Opens the image through blkdebug failing the <paramref name="nth"/> flush once; unlocked, so the test can read the file while it is open.</summary>
    private BlockBackend OpenFailingFlush(string image, int nth)
    {
        var rule = new BlkdebugRule { Operations = BlkdebugOperations.Flush, Nth = nth, Once = true };
        return H.Layer.CreateBackend(
            new BlockBackendOptions(),
            new Qcow2NodeOptions(new BlkdebugNodeOptions(new FileNodeOptions(image) { Locking = FileLockMode.Off }) { Rules = [rule] }));
    }

    private BlockError WriteFailingFlush(string image, int nth, byte[] data)
    {
        var backend = OpenFailingFlush(image, nth);
        var error = backend.Write(0, data);
        backend.Unref();
        return error;
    }
}
