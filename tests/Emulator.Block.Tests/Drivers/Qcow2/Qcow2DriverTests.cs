using System.Buffers.Binary;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.Qcow2;

namespace Emulator.Block.Tests.Drivers.Qcow2;

/// <summary>The driver on images made by our own creator: no QEMU needed, so these run everywhere.</summary>
public class Qcow2DriverTests : Qcow2TestBase
{
    [Test]
    public void OpenImage_Qcow2Magic_ProbedAsQcow2()
    {
        var image = Create("p.qcow2", 1 << 20);

        var backend = H.Layer.OpenImage(new BlockBackendOptions(), image);

        Assert.That(backend.FormatName, Is.EqualTo("qcow2"));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(4)]
    [TestCase(8)]
    [TestCase(16)]
    [TestCase(32)]
    [TestCase(64)]
    public void Write_AnyRefcountWidth_ReopensWithSameBytesAndCleanCheck(int refcountBits)
    {
        var image = Create("w.qcow2", 4 << 20, clusterSize: 1024, refcountBits: refcountBits);
        var expected = new byte[4 << 20];
        var backend = Open(image);
        var random = new Random(refcountBits);
        for (var i = 0; i < 100; i++)
        {
            var data = Random(random.Next(1, 5000), i);
            var offset = random.Next(0, expected.Length - data.Length);
            backend.Write(offset, data);
            data.CopyTo(expected, offset);
        }

        backend.Unref();
        var node = OpenNode(image);

        var result = ((Qcow2Driver)node.Driver).Check(Qcow2RepairMode.None);
        var actual = new byte[expected.Length];
        Wait(node.ReadAsync(0, actual));

        Assert.That(result, Has.Property(nameof(Qcow2CheckResult.Corruptions)).Zero.And.Property(nameof(Qcow2CheckResult.Leaks)).Zero);
        AssertSameBytes(actual, expected);
    }

    [Test]
    public void Open_OwnBackingFile_ReadsThroughAndShowsBackingEdge()
    {
        File.WriteAllBytes(PathOf("base.raw"), Random(1 << 20, 2));
        var image = Create("top.qcow2", 1 << 20, backing: "base.raw", backingFormat: "raw");

        var node = OpenNode(image, readOnly: true);
        var buffer = new byte[1 << 20];
        Wait(node.ReadAsync(0, buffer));

        Assert.That(node.Backing?.Node.DriverName, Is.EqualTo("raw"));
        AssertSameBytes(buffer, File.ReadAllBytes(PathOf("base.raw")));
    }

    [Test]
    public void LazyRefcounts_Write_SetsDirtyBitUntilClose()
    {
        var image = PathOf("lazy.qcow2");
        Qcow2Creator.Create(image, new Qcow2CreateOptions { Size = 1 << 20, LazyRefcounts = true });
        var backend = Open(image, locking: false);

        backend.Write(0, new byte[512]);
        var dirtyWhileOpen = Incompatible(image);
        backend.Unref();

        Assert.That(dirtyWhileOpen & Qcow2IncompatibleFeatures.Dirty, Is.EqualTo(Qcow2IncompatibleFeatures.Dirty));
        Assert.That(Incompatible(image) & Qcow2IncompatibleFeatures.Dirty, Is.EqualTo(Qcow2IncompatibleFeatures.None));
    }

    [Test]
    public void DirtyImage_OpenReadWrite_RepairsLeakAndClearsDirtyBit()
    {
        var image = PathOf("dirty.qcow2");
        Qcow2Creator.Create(image, new Qcow2CreateOptions { Size = 1 << 20, LazyRefcounts = true });
        using (var stream = new FileStream(image, FileMode.Open, FileAccess.Write))
        {
            // A leaked cluster inside the file, as a crash between a refcount update and its use leaves one.
            stream.SetLength(6 * 65536);
            stream.Position = 0x20000 + (5 * 2);
            stream.Write([0, 1]);
            stream.Position = Qcow2Header.IncompatibleField;
            stream.Write([0, 0, 0, 0, 0, 0, 0, 1]);
        }

        var node = OpenNode(image, locking: false);
        var result = ((Qcow2Driver)node.Driver).Check(Qcow2RepairMode.None);

        Assert.That(result.Leaks, Is.Zero);
        Assert.That(Incompatible(image), Is.EqualTo(Qcow2IncompatibleFeatures.None));
    }

    [Test]
    public void LazyRefcounts_CrashBeforeFlush_NextOpenRebuildsRefcounts()
    {
        const int DiscardedCluster = 278 * 4096;
        var image = PathOf("lazy.qcow2");
        Qcow2Creator.Create(image, new Qcow2CreateOptions { Size = 4 << 20, ClusterSize = 4096, LazyRefcounts = true });
        var backend = Open(image, locking: false);
        var data = Random(1 << 20, 8);
        backend.Write(100_000, data);

        // Discarding one allocated cluster writes the L2 table back (its entry must be on disk before
        // the cluster's refcount may drop) while the refcount blocks stay in memory.
        Assert.That(backend.Discard(DiscardedCluster, 4096), Is.EqualTo(BlockError.None));
        data.AsSpan(DiscardedCluster - 100_000, 4096).Clear();

        // What a killed process leaves: data and L2 tables on disk, refcount blocks still in memory.
        var crashed = PathOf("crashed.qcow2");
        File.Copy(image, crashed);
        backend.Unref();
        var readOnly = OpenNode(crashed, readOnly: true);
        var stale = ((Qcow2Driver)readOnly.Driver).Check(Qcow2RepairMode.None);
        H.Layer.Graph.Unref(readOnly);
        var node = OpenNode(crashed);
        var result = ((Qcow2Driver)node.Driver).Check(Qcow2RepairMode.None);
        var actual = new byte[data.Length];
        Wait(node.ReadAsync(100_000, actual));

        Assert.That(stale.Corruptions, Is.GreaterThan(0), "refcounts were not held back");
        Assert.That(result, Has.Property(nameof(Qcow2CheckResult.Corruptions)).Zero.And.Property(nameof(Qcow2CheckResult.Leaks)).Zero);
        AssertSameBytes(actual, data);
    }

    [Test]
    public void CorruptBit_OpenReadOnly_Allowed()
    {
        var image = Create("c.qcow2", 1 << 20);
        using (var stream = new FileStream(image, FileMode.Open, FileAccess.Write))
        {
            stream.Position = Qcow2Header.IncompatibleField;
            stream.Write([0, 0, 0, 0, 0, 0, 0, 2]);
        }

        Assert.That(Open(image, readOnly: true).Length, Is.EqualTo(1 << 20));
    }

    [Test]
    public void Submit_ManyConcurrentWritesFromWorkers_AllReadBack()
    {
        var image = Create("conc.qcow2", 8 << 20, clusterSize: 4096);
        var backend = Open(image);
        var expected = new byte[8 << 20];
        var handler = new CountingHandler();
        var requests = new List<BlockRequest>();
        for (var i = 0; i < 256; i++)
        {
            // Neighbouring writes share clusters and L2 tables, so allocation and in-place writes race.
            var data = Random(3000, i);
            var offset = (i * 31_000L) % (expected.Length - data.Length);
            data.CopyTo(expected, offset);
            var request = new BlockRequest(handler);
            request.PrepareWrite(offset, data);
            requests.Add(request);
        }

        for (var i = 0; i < requests.Count; i += 2)
        {
            backend.Submit(requests[i]);
        }

        H.RunLoopUntil(() => handler.Completed == requests.Count / 2);
        for (var i = 1; i < requests.Count; i += 2)
        {
            backend.Submit(requests[i]);
        }

        H.RunLoopUntil(() => handler.Completed == requests.Count);

        Assert.That(handler.Errors, Is.Zero);
        AssertSameBytes(ReadAll(backend), expected);
    }

    private static Qcow2IncompatibleFeatures Incompatible(string image)
    {
        using var stream = new FileStream(image, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var bytes = new byte[8];
        stream.Position = Qcow2Header.IncompatibleField;
        stream.ReadExactly(bytes);
        return (Qcow2IncompatibleFeatures)BinaryPrimitives.ReadUInt64BigEndian(bytes);
    }

    private sealed class CountingHandler : IBlockCompletionHandler
    {
        public int Completed { get; private set; }

        public int Errors { get; private set; }

        public void OnBlockRequestCompleted(BlockRequest request)
        {
            Completed++;
            Errors += request.Error == BlockError.None ? 0 : 1;
        }
    }
}
