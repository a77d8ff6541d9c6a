using Emulator.Block.Backend;
using Emulator.Block.Drivers.Qcow2;

namespace Emulator.Block.Tests.Drivers.Qcow2;

/// <summary>
/// Internal snapshots made, applied and deleted by the driver while it keeps writing the same open
/// image: our own copy-on-write after our own snapshot, checked by qemu-img (check clean, each
/// snapshot's view through <c>qemu-img convert -l</c>).
/// </summary>
public class Qcow2SnapshotTests : Qcow2TestBase
{
    [OneTimeSetUp]
    public void RequireQemu() => QemuTools.Require();

    [TestCase(3, 65536)]
    [TestCase(2, 4096)]
    public void CreateThenWrite_SameOpenImage_SnapshotKeepsOldDataQemuCheckClean(int version, int clusterSize)
    {
        var image = Create("s.qcow2", 1 << 20, clusterSize, version);
        var node = OpenNode(image);
        var driver = (Qcow2Driver)node.Driver;
        Assert.That(Wait(node.WriteAsync(0, Random(256 << 10, 1), BlockRequestFlags.None)), Is.EqualTo(BlockError.None));

        var created = driver.CreateSnapshot("s1");
        var written = Wait(node.WriteAsync(64 << 10, Random(64 << 10, 2), BlockRequestFlags.None));
        var zeroed = Wait(node.WriteZeroesAsync(128 << 10, 64 << 10, BlockRequestFlags.MayUnmap));
        H.Layer.Graph.Unref(node);

        Assert.That(new[] { created, written, zeroed }, Is.All.EqualTo(BlockError.None));
        var check = QemuTools.ImgStatus("check", image);
        Assert.That(check.ExitCode, Is.Zero, check.Output);
        AssertSameBytes(SnapshotView(image, "s1")[..(256 << 10)], Random(256 << 10, 1));
        AssertSameBytes(QemuRawView(image).AsSpan(64 << 10, 64 << 10).ToArray(), Random(64 << 10, 2));
    }

    [Test]
    public void ApplyThenDelete_SameOpenImage_ActiveBackToSnapshotAndNoLeaks()
    {
        var image = Create("s.qcow2", 1 << 20);
        var node = OpenNode(image);
        var driver = (Qcow2Driver)node.Driver;
        Assert.That(Wait(node.WriteAsync(0, Random(128 << 10, 1), BlockRequestFlags.None)), Is.EqualTo(BlockError.None));
        Assert.That(driver.CreateSnapshot("s1"), Is.EqualTo(BlockError.None));
        Assert.That(Wait(node.WriteAsync(0, Random(128 << 10, 2), BlockRequestFlags.None)), Is.EqualTo(BlockError.None));

        var applied = driver.ApplySnapshot("s1");
        var deleted = driver.DeleteSnapshot("s1");
        H.Layer.Graph.Unref(node);

        Assert.That(new[] { applied, deleted }, Is.All.EqualTo(BlockError.None));
        var check = QemuTools.ImgStatus("check", image);
        Assert.That(check.ExitCode, Is.Zero, check.Output);
        AssertSameBytes(QemuRawView(image)[..(128 << 10)], Random(128 << 10, 1));
    }

    private byte[] SnapshotView(string image, string snapshot)
    {
        var raw = PathOf($"snap-{Guid.NewGuid():N}.raw");
        QemuTools.Img("convert", "-l", snapshot, "-O", "raw", image, raw);
        var bytes = File.ReadAllBytes(raw);
        File.Delete(raw);
        return bytes;
    }
}
