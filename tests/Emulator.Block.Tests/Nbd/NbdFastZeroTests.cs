using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Nbd;
using Emulator.Block.Drivers.Qcow2;
using Emulator.Block.Graph;
using Emulator.Block.Nbd;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Nbd;

/// <summary>
/// NBD_CMD_FLAG_FAST_ZERO through our client and server (the client sends it for <see cref="BlockRequestFlags.NoFallback"/>):
/// a writable export offers it, zeroing that only changes metadata succeeds, and zeroing that would have to
/// write zero buffers fails at once with NBD_ENOTSUP (Unsupported) and changes nothing.
/// </summary>
public class NbdFastZeroTests
{
    private const int ClusterSize = 65536;
    private BlockHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new BlockHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    [TestCase(true, true)]
    [TestCase(false, false)]
    public void Flags_WritableOrNot_FastZeroOfferedOnlyWhenWritable(bool writable, bool offered)
    {
        using var loop = new NbdLoopback(_h, NbdLoopback.FileNode(_h, 1 << 20), writable);

        var node = loop.OpenClient(readOnly: !writable);

        Assert.That(((NbdDriver)node.Driver).Info.Has(NbdTransmissionFlags.SendFastZero), Is.EqualTo(offered));
    }

    [Test]
    public void FastZero_Qcow2WholeClusters_ZeroedThroughMetadata()
    {
        var exported = Qcow2WithData();
        using var loop = new NbdLoopback(_h, exported);
        var node = loop.OpenClient();

        var error = NbdLoopback.Wait(node.WriteZeroesAsync(ClusterSize, 2 * ClusterSize, BlockRequestFlags.NoFallback));
        var back = new byte[2 * ClusterSize];
        NbdLoopback.Wait(exported.ReadAsync(ClusterSize, back));

        Assert.That(error, Is.EqualTo(BlockError.None));
        Assert.That(back, Is.All.Zero);
    }

    [Test]
    public void FastZero_Qcow2PartOfACluster_UnsupportedAndDataKept()
    {
        var exported = Qcow2WithData();
        using var loop = new NbdLoopback(_h, exported);
        var node = loop.OpenClient();

        var error = NbdLoopback.Wait(node.WriteZeroesAsync(ClusterSize + 4096, 4096, BlockRequestFlags.NoFallback));
        var back = new byte[4096];
        NbdLoopback.Wait(exported.ReadAsync(ClusterSize + 4096, back));

        Assert.That(error, Is.EqualTo(BlockError.Unsupported));
        Assert.That(back, Is.All.EqualTo((byte)1));
    }

    [Test]
    public void WriteZeroes_Qcow2PartOfAClusterWithoutFastZero_ZeroDataWritten()
    {
        var exported = Qcow2WithData();
        using var loop = new NbdLoopback(_h, exported);
        var node = loop.OpenClient();

        var error = NbdLoopback.Wait(node.WriteZeroesAsync(ClusterSize + 4096, 4096, BlockRequestFlags.None));
        var back = new byte[4096];
        NbdLoopback.Wait(exported.ReadAsync(ClusterSize + 4096, back));

        Assert.That(error, Is.EqualTo(BlockError.None));
        Assert.That(back, Is.All.Zero);
    }

    /// <summary>A 1 MiB qcow2 image (64 KiB clusters) whose clusters 1 and 2 hold ones.</summary>
    private BlockDriverState Qcow2WithData()
    {
        var image = Path.Combine(_h.TempDir, $"fz-{Guid.NewGuid():N}.qcow2");
        Qcow2Creator.Create(image, new Qcow2CreateOptions { Size = 1 << 20 });
        var node = _h.Layer.Graph.Open(new Qcow2NodeOptions(BlockChildOptions.Of(new FileNodeOptions(image))));
        var ones = Enumerable.Repeat((byte)1, 2 * ClusterSize).ToArray();
        Assert.That(NbdLoopback.Wait(node.WriteAsync(ClusterSize, ones, BlockRequestFlags.None)), Is.EqualTo(BlockError.None));
        return node;
    }
}
