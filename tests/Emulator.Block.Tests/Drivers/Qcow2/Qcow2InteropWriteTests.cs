using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Qcow2;

namespace Emulator.Block.Tests.Drivers.Qcow2;

/// <summary>Images we create and write pass <c>qemu-img check</c> with no errors or leaks and read back byte-identical through qemu-img.</summary>
public class Qcow2InteropWriteTests : Qcow2TestBase
{
    [SetUp]
    public void RequireQemu() => QemuTools.Require();

    [TestCase(3, 65536, 16)]
    [TestCase(2, 65536, 16)]
    [TestCase(3, 512, 16)]
    [TestCase(2, 4096, 16)]
    [TestCase(3, 2097152, 16)]
    [TestCase(3, 4096, 1)]
    [TestCase(3, 1024, 64)]
    [TestCase(3, 8192, 4)]
    public void Write_RandomRequests_QemuCheckCleanAndSameBytes(int version, int clusterSize, int refcountBits)
    {
        const int size = 8 << 20;
        var image = Create("w.qcow2", size, clusterSize, version, refcountBits: refcountBits);
        var expected = new byte[size];
        var backend = Open(image);
        var random = new Random(clusterSize + version);

        for (var i = 0; i < 150; i++)
        {
            var length = random.Next(1, 3 * clusterSize);
            length = Math.Min(length, 300_000);
            var offset = random.NextInt64(0, size - length);
            var data = Random(length, i);
            Assert.That(backend.Write(offset, data), Is.EqualTo(BlockError.None));
            data.CopyTo(expected, offset);
        }

        Assert.That(backend.WriteZeroes((size / 8) + 1000, size / 2), Is.EqualTo(BlockError.None));
        Array.Clear(expected, (size / 8) + 1000, size / 2);
        Assert.That(backend.Discard(size / 4, 4096), Is.EqualTo(BlockError.None));
        AssertSameBytes(ReadAll(backend), expected);
        backend.Unref();

        var (exit, output) = QemuTools.ImgStatus("check", image);
        Assert.That(output, Does.Contain("No errors were found on the image."));
        Assert.That(exit, Is.Zero);
        AssertSameBytes(QemuRawView(image), expected);
    }

    [TestCase(65536)]
    [TestCase(512)]
    public void Write_CacheNoneWithUnalignedRequests_QemuCheckCleanAndSameBytes(int clusterSize)
    {
        const int size = 4 << 20;
        var image = Create("direct.qcow2", size, clusterSize);
        var expected = new byte[size];
        var backend = H.Layer.CreateBackend(
            new BlockBackendOptions(),
            new Qcow2NodeOptions(new FileNodeOptions(image) { Cache = FileCacheMode.None }));
        var random = new Random(clusterSize);

        for (var i = 0; i < 100; i++)
        {
            var data = Random(random.Next(1, 20_000), i);
            var offset = random.NextInt64(0, size - data.Length);
            Assert.That(backend.Write(offset, data), Is.EqualTo(BlockError.None));
            data.CopyTo(expected, offset);
        }

        backend.Unref();

        var (exit, output) = QemuTools.ImgStatus("check", image);
        Assert.That(output, Does.Contain("No errors were found on the image."));
        Assert.That(exit, Is.Zero);
        AssertSameBytes(QemuRawView(image), expected);
    }

    /// <summary>Caches of two tables and lazy refcounts: every L2 and refcount access evicts, dirty refcount blocks are written back on eviction.</summary>
    [Test]
    public void Write_TinyCachesWithLazyRefcounts_QemuCheckCleanAndSameBytes()
    {
        const int size = 8 << 20;
        var image = PathOf("tiny.qcow2");
        Qcow2Creator.Create(image, new Qcow2CreateOptions { Size = size, ClusterSize = 512, LazyRefcounts = true });
        var backend = H.Layer.CreateBackend(
            new BlockBackendOptions(),
            new Qcow2NodeOptions(new FileNodeOptions(image)) { L2CacheSize = 0, RefcountCacheSize = 0 });
        var expected = new byte[size];
        var random = new Random(5);

        for (var i = 0; i < 300; i++)
        {
            var data = Random(random.Next(1, 3000), i);
            var offset = random.NextInt64(0, size - data.Length);
            Assert.That(backend.Write(offset, data), Is.EqualTo(BlockError.None));
            data.CopyTo(expected, offset);
        }

        AssertSameBytes(ReadAll(backend), expected);
        backend.Unref();

        var (exit, output) = QemuTools.ImgStatus("check", image);
        Assert.That(output, Does.Contain("No errors were found on the image."));
        Assert.That(exit, Is.Zero);
        AssertSameBytes(QemuRawView(image), expected);
    }

    /// <summary>Reads, writes, write-zeroes and discards from several threads at once on overlapping clusters over a backing file: the image stays consistent.</summary>
    [Test]
    public void MixedOperations_FromManyThreads_QemuCheckClean()
    {
        const int size = 8 << 20;
        File.WriteAllBytes(PathOf("base.raw"), Random(size, 11));
        var image = Create("mixed.qcow2", size, clusterSize: 4096, backing: "base.raw", backingFormat: "raw");
        var backend = Open(image);
        var node = H.Layer.Graph.Nodes.Single(n => n.DriverName == "qcow2");

        Parallel.For(0, 8, worker =>
        {
            var random = new Random(worker);
            var buffer = new byte[20_000];
            for (var i = 0; i < 300; i++)
            {
                var offset = random.NextInt64(0, size - buffer.Length);
                var length = random.Next(1, buffer.Length);
                var error = random.Next(6) switch
                {
                    0 => Wait(node.ReadAsync(offset, buffer.AsMemory(0, length))),
                    1 => Wait(node.WriteZeroesAsync(offset & ~4095L, 8192, BlockRequestFlags.MayUnmap)),
                    2 => Wait(node.DiscardAsync(offset & ~4095L, 4096)),
                    _ => Wait(node.WriteAsync(offset, buffer.AsMemory(0, length), BlockRequestFlags.None)),
                };
                Assert.That(error, Is.EqualTo(BlockError.None));
            }
        });
        backend.Unref();

        var (exit, output) = QemuTools.ImgStatus("check", image);
        Assert.That(output, Does.Contain("No errors were found on the image."));
        Assert.That(exit, Is.Zero);
    }

    [Test]
    public void Write_PartialClustersOverBacking_CopiesOnWrite()
    {
        var basePath = PathOf("base.raw");
        var expected = Random(4 << 20, 3);
        File.WriteAllBytes(basePath, expected);
        var image = Create("top.qcow2", 4 << 20, backing: "base.raw", backingFormat: "raw");
        var backend = Open(image);

        foreach (var (offset, length) in new[] { (100L, 10), (70_000L, 65536), (3L << 20, 1000) })
        {
            var data = Random(length, (int)offset);
            Assert.That(backend.Write(offset, data), Is.EqualTo(BlockError.None));
            data.CopyTo(expected, offset);
        }

        AssertSameBytes(ReadAll(backend), expected);
        backend.Unref();
        Assert.That(QemuTools.ImgStatus("check", image).ExitCode, Is.Zero);
        AssertSameBytes(QemuRawView(image), expected);
    }

    [Test]
    public void Write_ZeroesAndDiscardOverBacking_ReadZeroes()
    {
        File.WriteAllBytes(PathOf("base.raw"), Random(1 << 20, 4));
        var image = Create("top.qcow2", 1 << 20, backing: "base.raw", backingFormat: "raw");
        var backend = Open(image);

        Assert.That(backend.WriteZeroes(0, 65536, BlockRequestFlags.MayUnmap), Is.EqualTo(BlockError.None));
        Assert.That(backend.Discard(65536, 65536), Is.EqualTo(BlockError.None));
        backend.Unref();

        Assert.That(QemuTools.ImgStatus("check", image).ExitCode, Is.Zero);
        Assert.That(QemuRawView(image).AsSpan(0, 131072).ContainsAnyExcept((byte)0), Is.False);
    }

    [Test]
    public void Write_WholeImageWithSmallClusters_GrowsRefcountTableAndStaysClean()
    {
        const int size = 24 << 20;
        var image = Create("big.qcow2", size, clusterSize: 512);
        var expected = Random(size, 9);
        var backend = Open(image);

        for (var offset = 0; offset < size; offset += 1 << 20)
        {
            Assert.That(backend.Write(offset, expected.AsMemory(offset, 1 << 20)), Is.EqualTo(BlockError.None));
        }

        backend.Unref();

        var (exit, output) = QemuTools.ImgStatus("check", image);
        Assert.That(output, Does.Contain("No errors were found on the image."));
        Assert.That(exit, Is.Zero);
        AssertSameBytes(QemuRawView(image), expected);
    }

    [Test]
    public void Write_CompressedFlag_QemuReadsCompressedClusters()
    {
        const int size = 1 << 20;
        var image = Create("c.qcow2", size, clusterSize: 4096);
        var expected = new byte[size];
        for (var i = 0; i < size; i++)
        {
            expected[i] = (byte)(i / 300 % 5);
        }

        var backend = Open(image);
        Assert.That(backend.Write(0, expected, BlockRequestFlags.WriteCompressed), Is.EqualTo(BlockError.None));
        backend.Unref();

        var (exit, output) = QemuTools.ImgStatus("check", image);
        Assert.That(output, Does.Contain("No errors were found on the image."));
        Assert.That(exit, Is.Zero);
        Assert.That(new FileInfo(image).Length, Is.LessThan(size / 4));
        AssertSameBytes(QemuRawView(image), expected);
    }

    [Test]
    public void Write_OverQemuCompressedClusters_ReplacesThemCleanly()
    {
        var source = PathOf("s.raw");
        var expected = new byte[1 << 20];
        File.WriteAllBytes(source, expected);
        Array.Fill(expected, (byte)9, 0, 200_000);
        File.WriteAllBytes(source, expected);
        var image = PathOf("c.qcow2");
        QemuTools.Img("convert", "-q", "-c", "-f", "raw", "-O", "qcow2", source, image);
        var backend = Open(image);

        var data = Random(5000, 1);
        Assert.That(backend.Write(70_000, data), Is.EqualTo(BlockError.None));
        data.CopyTo(expected, 70_000);
        backend.Unref();

        var (exit, output) = QemuTools.ImgStatus("check", image);
        Assert.That(output, Does.Contain("No errors were found on the image."));
        Assert.That(exit, Is.Zero);
        AssertSameBytes(QemuRawView(image), expected);
    }

    [Test]
    public void Write_ImageWithInternalSnapshot_CopiesOnWriteAndSnapshotKeepsOldData()
    {
        var image = PathOf("snap.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", image, "2M");
        QemuTools.Io(image, "write -P 0x01 0 1M");
        QemuTools.Img("snapshot", "-c", "before", image);
        var snapshotView = QemuRawView(image);
        var backend = Open(image);
        var expected = (byte[])snapshotView.Clone();

        foreach (var (offset, length) in new[] { (100L, 10), (300_000L, 70_000), (1_500_000L, 4096) })
        {
            var data = Random(length, (int)offset);
            Assert.That(backend.Write(offset, data), Is.EqualTo(BlockError.None));
            data.CopyTo(expected, offset);
        }

        Assert.That(backend.WriteZeroes(8192, 8192), Is.EqualTo(BlockError.None));
        Array.Clear(expected, 8192, 8192);
        backend.Unref();

        var (exit, output) = QemuTools.ImgStatus("check", image);
        Assert.That(output, Does.Contain("No errors were found on the image."));
        Assert.That(exit, Is.Zero);
        AssertSameBytes(QemuRawView(image), expected);
        var snapshotRaw = PathOf("snap.raw");
        QemuTools.Img("convert", "-l", "before", "-O", "raw", image, snapshotRaw);
        AssertSameBytes(File.ReadAllBytes(snapshotRaw), snapshotView);
    }

    [TestCase(3)]
    [TestCase(2)]
    public void Truncate_GrowPastL1AndShrink_QemuAgrees(int version)
    {
        var image = Create("r.qcow2", 1 << 20, clusterSize: 512, version: version);
        var backend = Open(image);
        Assert.That(backend.Write(0, Random(1 << 20, 5)), Is.EqualTo(BlockError.None));

        Assert.That(backend.Truncate(64 << 20), Is.EqualTo(BlockError.None));
        Assert.That(backend.Write((64 << 20) - 4096, Random(4096, 6)), Is.EqualTo(BlockError.None));
        Assert.That(backend.Truncate(512 << 10), Is.EqualTo(BlockError.None));
        var expected = ReadAll(backend);
        backend.Unref();

        Assert.That(QemuTools.Img("info", "--output=json", image), Does.Contain("\"virtual-size\": 524288"));
        var (exit, output) = QemuTools.ImgStatus("check", image);
        Assert.That(output, Does.Contain("No errors were found on the image."));
        Assert.That(exit, Is.Zero);
        AssertSameBytes(QemuRawView(image), expected);
    }
}
