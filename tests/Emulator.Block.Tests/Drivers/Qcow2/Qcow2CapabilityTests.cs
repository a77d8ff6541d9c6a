using Emulator.Block.Backend;
using Emulator.Block.Graph;

namespace Emulator.Block.Tests.Drivers.Qcow2;

/// <summary>The capabilities tools use instead of the concrete driver: block status through a chain, info, check, snapshots, create.</summary>
public sealed class Qcow2CapabilityTests : Qcow2TestBase
{
    private const int Cluster = 4096;

    [Test]
    public void Resolve_ClusterOnlyInBacking_AnswersFromTheBackingAtDepthOne()
    {
        var baseImage = Create("base.qcow2", 1 << 20, Cluster);
        var writer = Open(baseImage);
        Assert.That(writer.Write(Cluster, Random(Cluster, 1)), Is.EqualTo(BlockError.None));
        writer.Unref();

        var top = OpenNode(Create("top.qcow2", 1 << 20, Cluster, backing: baseImage, backingFormat: "qcow2"), readOnly: true);

        var error = BlockStatusQuery.Resolve(top, Cluster, 1 << 20, out var status, out var depth);

        Assert.That((error, depth, status.Flags, status.Length, status.File), Is.EqualTo(
            (BlockError.None, 1, BlockStatusFlags.Data | BlockStatusFlags.Allocated | BlockStatusFlags.OffsetValid, (long)Cluster, baseImage)));
    }

    [Test]
    public void Resolve_NothingAllocatedInTheChain_ReadsAsZeroes()
    {
        var baseImage = Create("base.qcow2", 1 << 20, Cluster);
        var top = OpenNode(Create("top.qcow2", 1 << 20, Cluster, backing: baseImage, backingFormat: "qcow2"), readOnly: true);

        BlockStatusQuery.Resolve(top, 0, 1 << 20, out var status, out var depth);

        Assert.That((depth, status.Flags), Is.EqualTo((1, BlockStatusFlags.Zero)));
    }

    [Test]
    public void Capabilities_Qcow2Node_OffersInfoCheckAndSnapshots()
    {
        var node = OpenNode(Create("a.qcow2", 1 << 20, Cluster), readOnly: true);

        Assert.That(node.Driver, Is.InstanceOf<IImageInfo>().And.InstanceOf<IImageCheck>().And.InstanceOf<ISnapshotTable>());
        Assert.That(((IImageInfo)node.Driver).Info.ClusterSize, Is.EqualTo(Cluster));
        Assert.That(((IImageCheck)node.Driver).Check(ImageRepairMode.None).Corruptions, Is.Zero);
    }

    [Test]
    public void Creator_UnknownCompat_RefusedWithQemuWording()
    {
        var creator = H.Layer.Graph.Drivers.Find("qcow2")!.Creator!;
        var request = new ImageCreateRequest(PathOf("x.qcow2"), 1 << 20, new Dictionary<string, string> { ["compat"] = "2.0" });

        Assert.That(() => creator.Create(request, H.Layer.Graph), Throws.TypeOf<BlockOperationException>().With.Message.EqualTo("Invalid compat version '2.0'"));
    }
}
