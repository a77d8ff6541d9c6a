using System.Buffers.Binary;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.Qcow2;

namespace Emulator.Block.Tests.Drivers.Qcow2;

/// <summary>
/// Metadata overlap checks beyond the fixed tables: the internal snapshot table, the snapshots'
/// L1 tables and the bitmap directory and tables (made by <c>qemu-img snapshot -c</c> and
/// <c>qemu-img bitmap --add</c>). A mapping that would send a write onto them is refused, marks
/// the image corrupt and emits BLOCK_IMAGE_CORRUPTED, as QEMU's overlap checks do; an image whose
/// tables overlap them is refused at open. The base image (64 KiB clusters) has its active L1
/// table at 0x30000 and the L2 table of guest cluster 0 at 0x40000.
/// </summary>
public class Qcow2OverlapTests : Qcow2TestBase
{
    private const int ActiveL1 = 0x30000;
    private const int L2Table = 0x40000;
    private const int HeaderSnapshotsOffsetField = 64;
    private const int BitmapExtensionDirectoryOffset = 16;

    [OneTimeSetUp]
    public void RequireQemu() => QemuTools.Require();

    [Test]
    public void Write_DataClusterOnSnapshotL1Table_RefusedCorruptBitAndEvent()
    {
        var image = ImageWithSnapshot();
        var snapshotL1 = (long)Inspect(image).Snapshots.Single().L1TableOffset;

        AssertWriteRefused(image, L2Table, Qcow2Entry.Copied | (ulong)snapshotL1, $"Data cluster at 0x{snapshotL1:x} overlaps the L1 table of snapshot 's1'");
    }

    [Test]
    public void Write_DataClusterOnSnapshotTable_RefusedCorruptBitAndEvent()
    {
        var image = ImageWithSnapshot();
        var table = (long)Inspect(image).Header.SnapshotsOffset;

        AssertWriteRefused(image, L2Table, Qcow2Entry.Copied | (ulong)table, $"Data cluster at 0x{table:x} overlaps the snapshot table");
    }

    [Test]
    public void Write_L2TableOnSnapshotL1Table_RefusedCorruptBitAndEvent()
    {
        var image = ImageWithSnapshot();
        var snapshotL1 = (long)Inspect(image).Snapshots.Single().L1TableOffset;

        AssertWriteRefused(image, ActiveL1, Qcow2Entry.Copied | (ulong)snapshotL1, $"L2 table offset 0x{snapshotL1:x} of L1 entry 0 overlaps the L1 table of snapshot 's1'");
    }

    [Test]
    public void Write_DataClusterOnBitmapDirectory_RefusedCorruptBitAndEvent()
    {
        var image = ImageWithBitmap();
        var directory = BitmapDirectoryOffset(image);

        AssertWriteRefused(image, L2Table, Qcow2Entry.Copied | (ulong)directory, $"Data cluster at 0x{directory:x} overlaps the bitmap directory");
    }

    [Test]
    public void Write_DataClusterOnBitmapTable_RefusedCorruptBitAndEvent()
    {
        var image = ImageWithBitmap();
        var table = BitmapTableOffset(image);

        AssertWriteRefused(image, L2Table, Qcow2Entry.Copied | (ulong)table, $"Data cluster at 0x{table:x} overlaps a bitmap table");
    }

    [Test]
    public void Open_SnapshotL1OnActiveL1_RefusedWithClearMessage()
    {
        var image = ImageWithSnapshot();
        var table = (long)Inspect(image).Header.SnapshotsOffset;
        Poke64(image, table, ActiveL1);

        Assert.That(() => Open(image), Throws.TypeOf<BlockOperationException>().With.Message.EqualTo("The L1 table of snapshot 's1' at 0x30000 overlaps the active L1 table"));
    }

    [Test]
    public void Open_SnapshotTableOnActiveL1_RefusedWithClearMessage()
    {
        var image = ImageWithSnapshot();
        var table = Inspect(image).Header.SnapshotsOffset;
        var entry = File.ReadAllBytes(image)[(int)table..];

        // The snapshot table moved onto the active L1 table, with a valid entry there so parsing succeeds.
        Poke(image, ActiveL1, entry);
        Poke64(image, HeaderSnapshotsOffsetField, ActiveL1);

        Assert.That(() => Open(image), Throws.TypeOf<BlockOperationException>().With.Message.Contains("The snapshot table at 0x30000 overlaps the active L1 table"));
    }

    [Test]
    public void Open_BitmapTableOnRefcountBlock_RefusedWithClearMessage()
    {
        var image = ImageWithBitmap();
        var directory = BitmapDirectoryOffset(image);
        Poke64(image, directory, 0x20000);

        Assert.That(() => Open(image), Throws.TypeOf<BlockOperationException>().With.Message.Contains("Refcount block 0 at 0x20000 overlaps a bitmap table"));
    }

    [Test]
    public void Write_SnapshotImageUntouched_ReadsBackAndQemuCheckClean()
    {
        var image = ImageWithSnapshot();
        var backend = Open(image);

        Assert.That(backend.Write(0, Random(65536, 2)), Is.EqualTo(BlockError.None));
        backend.Unref();
        Assert.That(QemuTools.ImgStatus("check", image).ExitCode, Is.EqualTo(0));
        AssertSameBytes(QemuRawView(image)[..65536], Random(65536, 2));
    }

    private static void Poke(string image, long offset, ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(image, FileMode.Open, FileAccess.Write);
        stream.Position = offset;
        stream.Write(bytes);
    }

    private static void Poke64(string image, long offset, ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        Poke(image, offset, bytes);
    }

    private string BaseImage()
    {
        var image = Create("o.qcow2", 1 << 20);
        var backend = Open(image);
        Assert.That(backend.Write(0, Random(65536, 1)), Is.EqualTo(BlockError.None));
        backend.Unref();
        return image;
    }

    private string ImageWithSnapshot()
    {
        var image = BaseImage();
        QemuTools.Img("snapshot", "-c", "s1", image);
        return image;
    }

    private string ImageWithBitmap()
    {
        var image = BaseImage();
        QemuTools.Img("bitmap", "--add", image, "b0");
        return image;
    }

    private Qcow2Driver Inspect(string image)
    {
        var node = OpenNode(image, readOnly: true);
        var driver = (Qcow2Driver)node.Driver;
        H.Layer.Graph.Unref(node);
        return driver;
    }

    private long BitmapDirectoryOffset(string image)
    {
        var extension = Inspect(image).Header.Extensions.Single(e => e.Type == Qcow2HeaderExtensionType.Bitmaps);
        return (long)BinaryPrimitives.ReadUInt64BigEndian(extension.Data.AsSpan(BitmapExtensionDirectoryOffset));
    }

    private long BitmapTableOffset(string image)
    {
        var entry = new byte[8];
        using var stream = new FileStream(image, FileMode.Open, FileAccess.Read);
        stream.Position = BitmapDirectoryOffset(image);
        stream.ReadExactly(entry);
        return (long)BinaryPrimitives.ReadUInt64BigEndian(entry);
    }

    private void AssertWriteRefused(string image, long at, ulong entry, string message)
    {
        Poke64(image, at, entry);
        var backend = Open(image);

        var error = backend.Write(0, new byte[4096]);

        Assert.That(error, Is.EqualTo(BlockError.Io));
        Assert.That(H.EventsOf<BlockImageCorruptedEvent>().Single().Message, Does.Contain(message));
        Assert.That(backend.IsReadOnly, Is.True);
        backend.Unref();
        Assert.That(() => Open(image), Throws.TypeOf<BlockOperationException>().With.Message.EqualTo("qcow2: Image is corrupt; cannot be opened read/write"));
    }
}
