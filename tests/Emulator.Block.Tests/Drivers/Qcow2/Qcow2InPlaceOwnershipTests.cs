using System.Buffers.Binary;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.Qcow2;

namespace Emulator.Block.Tests.Drivers.Qcow2;

/// <summary>
/// A write goes in place only into a host cluster its L2 entry owns alone. The 100,000-image fuzz
/// campaign (seed 1) found two images where it did not: an entry mutated to COPIED over a cluster past
/// the end of the file (refcount 0, so the allocator later handed it to another guest cluster), and an
/// entry mutated to COPIED over a cluster another entry of the same L2 table maps (refcount 1, two
/// users). QEMU writes in both cases and the guest clusters then share data; the driver marks the image
/// corrupt and fails the write instead, leaving the other guest cluster's data as it was.
/// </summary>
public class Qcow2InPlaceOwnershipTests : Qcow2TestBase
{
    private const int ClusterSize = 4096;
    private const int L1OffsetField = 40;
    private const ulong Copied = 1UL << 63;
    private const ulong OffsetMask = 0x00ff_ffff_ffff_fe00;

    [Test]
    public void Write_CopiedEntrySharingAClusterInItsTable_FailsAndMarksCorrupt()
    {
        var image = ImageWithFirstCluster(out var owned);
        SetL2Entry(image, 5, Copied | owned);

        var node = OpenNode(image);
        var error = Wait(node.WriteAsync(5L * ClusterSize, new byte[ClusterSize], BlockRequestFlags.None));
        var driver = (Qcow2Driver)node.Driver;
        Assert.Multiple(() =>
        {
            Assert.That(error, Is.EqualTo(BlockError.Io));
            Assert.That(driver.IsCorrupt, Is.True);
        });
        H.Layer.Graph.Unref(node);

        AssertFirstClusterIntact(image);
    }

    [Test]
    public void Write_CopiedEntryOverAFreeCluster_FailsAndMarksCorrupt()
    {
        var image = ImageWithFirstCluster(out var freed);
        var node = OpenNode(image);
        Assert.That(Wait(node.DiscardAsync(0, ClusterSize)), Is.EqualTo(BlockError.None));
        H.Layer.Graph.Unref(node);
        SetL2Entry(image, 5, Copied | freed);

        node = OpenNode(image);
        var error = Wait(node.WriteAsync(5L * ClusterSize, new byte[512], BlockRequestFlags.None));
        Assert.Multiple(() =>
        {
            Assert.That(error, Is.EqualTo(BlockError.Io));
            Assert.That(((Qcow2Driver)node.Driver).IsCorrupt, Is.True);
        });
        H.Layer.Graph.Unref(node);
    }

    [Test]
    public void Write_CopiedEntryOverAClusterAllocatedLater_FailsAndMarksCorrupt()
    {
        // The campaign's first image: the entry points past the end of the file, and allocating writes
        // then hand that cluster to another guest cluster of the same table.
        var image = ImageWithFirstCluster(out _);
        var pastEnd = (ulong)((new FileInfo(image).Length + ClusterSize - 1) & ~(ClusterSize - 1L)) + ClusterSize;
        SetL2Entry(image, 5, Copied | pastEnd);

        var node = OpenNode(image);
        for (var cluster = 8; cluster < 12; cluster++)
        {
            Assert.That(Wait(node.WriteAsync(cluster * (long)ClusterSize, Random(ClusterSize, cluster), BlockRequestFlags.None)), Is.EqualTo(BlockError.None));
        }

        var error = Wait(node.WriteAsync(5L * ClusterSize, new byte[512], BlockRequestFlags.None));
        Assert.Multiple(() =>
        {
            Assert.That(error, Is.EqualTo(BlockError.Io));
            Assert.That(((Qcow2Driver)node.Driver).IsCorrupt, Is.True);
        });
        H.Layer.Graph.Unref(node);
    }

    [Test]
    public void Write_InPlaceIntoOwnCluster_Succeeds()
    {
        var image = ImageWithFirstCluster(out _);
        var node = OpenNode(image);
        var data = Random(ClusterSize, 9);

        Assert.That(Wait(node.WriteAsync(0, data, BlockRequestFlags.None)), Is.EqualTo(BlockError.None));
        Assert.That(((Qcow2Driver)node.Driver).IsCorrupt, Is.False);
        H.Layer.Graph.Unref(node);
    }

    private string ImageWithFirstCluster(out ulong hostOffset)
    {
        var image = Create("owned.qcow2", 1 << 20, clusterSize: ClusterSize);
        var node = OpenNode(image);
        Assert.That(Wait(node.WriteAsync(0, Random(ClusterSize, 1), BlockRequestFlags.None)), Is.EqualTo(BlockError.None));
        H.Layer.Graph.Unref(node);
        hostOffset = ReadL2Entry(image, 0) & OffsetMask;
        Assert.That(hostOffset, Is.Not.Zero, "guest cluster 0 is allocated");
        return image;
    }

    private void AssertFirstClusterIntact(string image)
    {
        var backend = Open(image, readOnly: true);
        var data = new byte[ClusterSize];
        Assert.That(Wait(backend.Root!.ReadAsync(0, data)), Is.EqualTo(BlockError.None));
        backend.Unref();
        AssertSameBytes(data, Random(ClusterSize, 1));
    }

    private static long L2EntryOffset(FileStream file, int index)
    {
        var field = new byte[8];
        file.Position = L1OffsetField;
        file.ReadExactly(field);
        file.Position = (long)BinaryPrimitives.ReadUInt64BigEndian(field);
        file.ReadExactly(field);
        return (long)(BinaryPrimitives.ReadUInt64BigEndian(field) & OffsetMask) + (index * 8L);
    }

    private static ulong ReadL2Entry(string image, int index)
    {
        using var file = new FileStream(image, FileMode.Open, FileAccess.Read);
        file.Position = L2EntryOffset(file, index);
        var entry = new byte[8];
        file.ReadExactly(entry);
        return BinaryPrimitives.ReadUInt64BigEndian(entry);
    }

    private static void SetL2Entry(string image, int index, ulong value)
    {
        using var file = new FileStream(image, FileMode.Open, FileAccess.ReadWrite);
        file.Position = L2EntryOffset(file, index);
        var entry = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(entry, value);
        file.Write(entry);
    }
}
