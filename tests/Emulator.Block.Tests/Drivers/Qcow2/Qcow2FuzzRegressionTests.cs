using System.Buffers.Binary;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.Qcow2;

namespace Emulator.Block.Tests.Drivers.Qcow2;

/// <summary>
/// Escapes the qcow2 image fuzzer (Emulator.Cli.Tests Fuzz/Qcow2ImageFuzzTests) found, each as the
/// smallest image that shows it. Seed 2, images 10610 and 37871 of a 40,000-image campaign: a refcount
/// table overwritten by a data cluster made a write allocate at 32 MiB, and every later open then read
/// the snapshot table as "the rest of the file" (32 MiB, up to 64 MiB) although the header counts two snapshots.
/// Seed 3, images 11440 and 15255 of a 30,000-image campaign: a bitmap directory size of 32 MiB in a
/// 60 KiB file was allocated and read whole on every open.
/// </summary>
public class Qcow2FuzzRegressionTests : Qcow2TestBase
{
    private const int SnapshotsOffsetField = 64;
    private const int ExtraLengthInEntry = 36;
    private const int DirectorySizeInExtension = 8 + 8;
    private const uint BitmapsExtensionType = 0x2385_2875;
    private const int HeaderLengthField = 100;
    private const int EntryExtraDataSizeField = 20;

    private string ImageWithSnapshot()
    {
        var image = Create("snap.qcow2", 1 << 20, clusterSize: 4096);
        var node = OpenNode(image);
        Assert.That(Wait(node.WriteAsync(0, Random(8192, 1), BlockRequestFlags.None)), Is.EqualTo(BlockError.None));
        Assert.That(((Qcow2Driver)node.Driver).CreateSnapshot("s1"), Is.EqualTo(BlockError.None));
        H.Layer.Graph.Unref(node);
        return image;
    }

    [Test]
    public void Open_SnapshotTableInLargeFile_ReadsOnlyWhatTheCountNeeds()
    {
        var image = ImageWithSnapshot();
        using (var file = new FileStream(image, FileMode.Open))
        {
            file.SetLength(64L << 20);
        }

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var backend = Open(image, readOnly: true);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        backend.Unref();

        Assert.That(allocated, Is.LessThan(4L << 20), "bytes allocated to open a 64 MiB file with one snapshot");
    }

    [Test]
    public void Open_SnapshotExtraDataPastQemuLimit_RefusedWithClearMessage()
    {
        var image = ImageWithSnapshot();
        var header = new byte[72];
        using (var file = new FileStream(image, FileMode.Open))
        {
            file.ReadExactly(header);
            file.Position = (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(SnapshotsOffsetField)) + ExtraLengthInEntry;
            var extra = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(extra, 2048);
            file.Write(extra);
        }

        Assert.That(() => Open(image, readOnly: true), Throws.TypeOf<BlockOperationException>().With.Message.Contains("Too much extra metadata in snapshot table entry 0"));
    }

    [Test]
    public void Open_BitmapDirectoryPastEndOfFile_NotReadAndCheckReportsIt()
    {
        QemuTools.Require();
        var image = PathOf("bitmap.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", image, "1M");
        QemuTools.Img("bitmap", "--add", image, "dirty");
        var extension = FindBitmapsExtension(image);
        using (var file = new FileStream(image, FileMode.Open))
        {
            file.Position = extension + DirectorySizeInExtension;
            var size = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(size, 32 << 20);
            file.Write(size);
        }

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var node = OpenNode(image, readOnly: true);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        var check = ((Qcow2Driver)node.Driver).Check(Qcow2RepairMode.None);
        H.Layer.Graph.Unref(node);

        Assert.That(allocated, Is.LessThan(4L << 20), "bytes allocated to open a 60 KiB image claiming a 32 MiB bitmap directory");
        Assert.That(check.Messages, Has.Some.Contains("the bitmaps extension or directory cannot be read"));
    }

    [Test]
    public void Open_BitmapEntryExtraDataHuge_MalformedNotAnException()
    {
        // Seed 1, image 87852 of the 100,000-image campaign: the bitmap count raised to 2 and the first
        // entry's extra_data_size set to 0xfea8f8df walked the directory to a negative position.
        QemuTools.Require();
        var image = PathOf("bitmap-extra.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", image, "1M");
        QemuTools.Img("bitmap", "--add", image, "dirty");
        var extension = FindBitmapsExtension(image);
        using (var file = new FileStream(image, FileMode.Open))
        {
            var field = new byte[8];
            file.Position = extension + 8 + 16;
            file.ReadExactly(field);
            var directory = (long)BinaryPrimitives.ReadUInt64BigEndian(field);
            file.Position = extension + 8;
            BinaryPrimitives.WriteUInt32BigEndian(field, 2);
            file.Write(field, 0, 4);
            file.Position = directory + EntryExtraDataSizeField;
            BinaryPrimitives.WriteUInt32BigEndian(field, 0xfea8_f8df);
            file.Write(field, 0, 4);
        }

        var node = OpenNode(image, readOnly: true);
        var check = ((Qcow2Driver)node.Driver).Check(Qcow2RepairMode.None);
        H.Layer.Graph.Unref(node);

        Assert.That(check.Messages, Has.Some.Contains("the bitmaps extension or directory cannot be read"));
    }

    /// <summary>The offset of the bitmaps header extension (its type field), walking the extensions after the header.</summary>
    private static long FindBitmapsExtension(string image)
    {
        var bytes = File.ReadAllBytes(image);
        var at = (long)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(HeaderLengthField));
        while (BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan((int)at)) is var type && type != 0)
        {
            if (type == BitmapsExtensionType)
            {
                return at;
            }

            at += 8 + ((BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan((int)at + 4)) + 7) & ~7u);
        }

        throw new InvalidOperationException("no bitmaps extension");
    }
}
