using Emulator.Block.Backend;
using Emulator.Block.Drivers.Blkdebug;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Qcow2;

namespace Emulator.Block.Tests.Drivers.Qcow2;

/// <summary>
/// A write that fails with ENOSPC after its cluster was allocated gives the cluster back (QEMU's
/// qcow2_alloc_cluster_abort): the guest's retry after <c>cont</c> lands where it would have landed, and
/// the image ends byte for byte as if the failure never happened — no cluster leaked per failure. The
/// failure comes from a blkdebug node under the qcow2 node failing the first write past the file's end
/// once. Base image (64 KiB clusters): header, refcount table, refcount block, L1 table; the file ends at 0x40000.
/// </summary>
public class Qcow2NoSpaceTests : Qcow2TestBase
{
    private const long ImageEnd = 0x40000;
    private const long Cluster = 0x10000;

    [Test]
    public void Write_NewL2TableWriteFailsWithNoSpace_RetryGivesSameImage()
    {
        var data = Random(4096, 1);

        var (failed, bytes) = WriteWithFailureAndRetry("l2.qcow2", [(0, data)]);
        var expected = WriteWithoutFailure("l2-reference.qcow2", [(0, data)]);

        Assert.That(failed, Is.EqualTo(BlockError.NoSpace));
        AssertSameBytes(bytes, expected);
    }

    [Test]
    public void Write_NewDataClusterWriteFailsWithNoSpace_RetryGivesSameImage()
    {
        var first = Random(4096, 2);
        var second = Random(4096, 3);

        // The first write allocates the L2 table and a data cluster; the failure then hits the second write's new cluster.
        var (failed, bytes) = WriteWithFailureAndRetry("data.qcow2", [(0, first), (Cluster * 3, second)], failFrom: ImageEnd + (2 * Cluster));
        var expected = WriteWithoutFailure("data-reference.qcow2", [(0, first), (Cluster * 3, second)]);

        Assert.That(failed, Is.EqualTo(BlockError.NoSpace));
        AssertSameBytes(bytes, expected);
    }

    /// <summary>
    /// Writes each request through a blkdebug node that fails the first file write at or past
    /// <paramref name="failFrom"/> once with NoSpace; the failed request is written again (the retry
    /// after cont). Returns the failure and the file afterwards.
    /// </summary>
    private (BlockError Failed, byte[] Bytes) WriteWithFailureAndRetry(string name, (long Offset, byte[] Data)[] writes, long failFrom = ImageEnd)
    {
        var image = Create(name, 1 << 20);
        var rule = new BlkdebugRule { Operations = BlkdebugOperations.Write, Error = BlockError.NoSpace, Once = true, RangeStart = failFrom, RangeEnd = long.MaxValue };
        var backend = H.Layer.CreateBackend(
            new BlockBackendOptions(),
            new Qcow2NodeOptions(new BlkdebugNodeOptions(new FileNodeOptions(image)) { Rules = [rule] }));
        var failed = BlockError.None;
        foreach (var (offset, data) in writes)
        {
            var error = backend.Write(offset, data);
            if (error != BlockError.None)
            {
                failed = error;
                error = backend.Write(offset, data);
            }

            Assert.That(error, Is.EqualTo(BlockError.None));
        }

        backend.Unref();
        return (failed, File.ReadAllBytes(image));
    }

    private byte[] WriteWithoutFailure(string name, (long Offset, byte[] Data)[] writes)
    {
        var image = Create(name, 1 << 20);
        var backend = Open(image);
        foreach (var (offset, data) in writes)
        {
            Assert.That(backend.Write(offset, data), Is.EqualTo(BlockError.None));
        }

        backend.Unref();
        return File.ReadAllBytes(image);
    }
}
