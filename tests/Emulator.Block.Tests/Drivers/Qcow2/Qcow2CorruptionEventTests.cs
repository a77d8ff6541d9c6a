using System.Buffers.Binary;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Qcow2;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Drivers.Qcow2;

/// <summary>
/// BLOCK_IMAGE_CORRUPTED names the backend the corrupting request came through (QEMU's "device"),
/// "" when the node is used by no backend, and is published on the machine/loop side: before the
/// completion of the failed request is delivered, never from the I/O worker that found it. The
/// image's L2 entry for guest cluster 0 points at its own active L1 table (0x30000).
/// </summary>
public class Qcow2CorruptionEventTests : Qcow2TestBase
{
    private const int L2Table = 0x40000;
    private const int ActiveL1 = 0x30000;

    [Test]
    public void SyncRead_NamedBackend_EventNamesBackend()
    {
        var backend = H.Layer.CreateBackend(new BlockBackendOptions { Name = "hd0" }, Options(CorruptImage()));

        var error = backend.Read(0, new byte[4096]);

        var corrupted = H.EventsOf<BlockImageCorruptedEvent>().Single();
        Assert.That(error, Is.EqualTo(BlockError.Io));
        Assert.That(corrupted.Device, Is.EqualTo("hd0"));
        Assert.That(corrupted.NodeName, Is.EqualTo(backend.Root!.NodeName));
    }

    [Test]
    public void SubmittedRead_NamedBackend_EventOnLoopThreadBeforeCompletion()
    {
        var backend = H.Layer.CreateBackend(new BlockBackendOptions { Name = "hd0" }, Options(CorruptImage()));
        var device = TestDevice.HardDisk();
        backend.AttachDevice(device, "disk0", "/machine/peripheral/disk0");
        var seen = new List<(string Device, int Thread, int CompletionsBefore)>();
        ((BlockEventBroadcaster)H.Layer.Events).Published += e =>
        {
            if (e is BlockImageCorruptedEvent corrupted)
            {
                seen.Add((corrupted.Device, Environment.CurrentManagedThreadId, device.Completions.Count));
            }
        };
        var request = new BlockRequest(device);
        request.PrepareRead(0, new byte[4096]);

        backend.Submit(request);
        H.RunLoopUntil(() => device.Completions.Count == 1);

        Assert.That(device.Completions[0].Error, Is.EqualTo(BlockError.Io));
        Assert.That(seen, Is.EqualTo(new[] { ("hd0", H.LoopThreadId, 0) }));
    }

    [Test]
    public void NodeRead_NoBackend_EventWithEmptyDeviceAtNextLoopIteration()
    {
        var node = OpenNode(CorruptImage());

        var error = Wait(node.ReadAsync(0, new byte[4096]));
        var beforeLoop = H.EventsOf<BlockImageCorruptedEvent>().Count();
        H.Layer.Completions.RunPending();

        Assert.That(error, Is.EqualTo(BlockError.Io));
        Assert.That(beforeLoop, Is.Zero);
        Assert.That(H.EventsOf<BlockImageCorruptedEvent>().Single().Device, Is.Empty);
        H.Layer.Graph.Unref(node);
    }

    private static Qcow2NodeOptions Options(string image) => new(new FileNodeOptions(image));

    private string CorruptImage()
    {
        var image = Create("e.qcow2", 1 << 20);
        var backend = Open(image);
        Assert.That(backend.Write(0, Random(65536, 1)), Is.EqualTo(BlockError.None));
        backend.Unref();
        var entry = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(entry, Qcow2Entry.Copied | ActiveL1);
        using var stream = new FileStream(image, FileMode.Open, FileAccess.Write);
        stream.Position = L2Table;
        stream.Write(entry);
        return image;
    }
}
