using System.Buffers.Binary;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.Qcow2;

namespace Emulator.Block.Tests.Drivers.Qcow2;

/// <summary>
/// Extended L2 entries (32 subclusters per cluster) against qemu-img: writes allocate only the
/// subclusters they touch (partial ones filled from the backing file), zero writes set zero bits,
/// and what we write qemu-img reads back the same, checks clean and maps by subcluster.
/// </summary>
public class Qcow2ExtendedL2Tests : Qcow2TestBase
{
    private const int Cluster = 65536;
    private const int Subcluster = Cluster / 32;
    private const int Size = 1 << 20;

    [SetUp]
    public void RequireQemu() => QemuTools.Require();

    private string CreateExtended(string name, string? backing = null) 
    {
        var path = PathOf(name);
        Qcow2Creator.Create(path, new Qcow2CreateOptions
        {
            Size = Size,
            ClusterSize = Cluster,
            ExtendedL2 = true,
            BackingFile = backing,
            BackingFormat = backing is null ? null : "raw",
        });
        return path;
    }

    private (string Top, byte[] Expected) OverlayOverRandomBase()
    {
        var baseData = Random(Size, 1);
        File.WriteAllBytes(PathOf("base.raw"), baseData);
        return (CreateExtended("top.qcow2", "base.raw"), baseData);
    }

    [Test]
    public void Write_PartialSubclustersOverBacking_QemuReadsTheSameAndChecksClean()
    {
        var (top, expected) = OverlayOverRandomBase();
        var backend = Open(top);
        var data = Random(4096, 2);

        Assert.That(backend.Write(1000, data), Is.EqualTo(BlockError.None));
        Assert.That(backend.Write(Cluster + (3 * Subcluster), Random(Subcluster, 3)), Is.EqualTo(BlockError.None));
        data.CopyTo(expected, 1000);
        Random(Subcluster, 3).CopyTo(expected, Cluster + (3 * Subcluster));
        AssertSameBytes(ReadAll(backend), expected);
        backend.Unref();

        AssertSameBytes(QemuRawView(top), expected);
        Assert.That(QemuTools.ImgStatus("check", top).ExitCode, Is.Zero);

        // Subclusters 0–2 hold the write (with its edges filled from the base); the rest of the cluster still comes from the base.
        Assert.That(QemuTools.Img("map", "--output=json", top), Does.Contain("{ \"start\": 6144, \"length\": 65536, \"depth\": 1"));
    }

    [Test]
    public void WriteZeroes_WholeSubclusters_ZeroBitsOnlyAndQemuReadsZeroes()
    {
        var (top, expected) = OverlayOverRandomBase();
        var backend = Open(top);

        Assert.That(backend.WriteZeroes(2 * Subcluster, 2 * Subcluster, BlockRequestFlags.None), Is.EqualTo(BlockError.None));
        expected.AsSpan(2 * Subcluster, 2 * Subcluster).Clear();
        AssertSameBytes(ReadAll(backend), expected);
        backend.Unref();

        AssertSameBytes(QemuRawView(top), expected);
        Assert.That(QemuTools.ImgStatus("check", top).ExitCode, Is.Zero);
        Assert.That(QemuTools.Img("map", "--output=json", top), Does.Contain("{ \"start\": 4096, \"length\": 4096, \"depth\": 0, \"present\": true, \"zero\": true, \"data\": false}"));
    }

    [Test]
    public void Read_QemuWrittenSubclusters_SameBytesAsQemu()
    {
        File.WriteAllBytes(PathOf("base.raw"), Random(Size, 1));
        var top = PathOf("q.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", "extended_l2=on", "-b", "base.raw", "-F", "raw", top);
        QemuTools.Io(top, "write -P 0x11 1000 4000", "write -z 20480 4096", "write -P 0x22 65536 65536", "write -z 131072 65536", "write -P 0x33 200000 100");

        var backend = Open(top, readOnly: true);

        AssertSameBytes(ReadAll(backend), QemuRawView(top));
        backend.Unref();
    }

    [Test]
    public void Write_SharedWithSnapshot_CopiesTheClusterAndSnapshotKeepsOldData()
    {
        var top = CreateExtended("s.qcow2");
        var backend = Open(top);
        Assert.That(backend.Write(0, Random(Subcluster, 4)), Is.EqualTo(BlockError.None));
        backend.Unref();
        QemuTools.Img("snapshot", "-c", "snap", top);
        backend = Open(top);

        Assert.That(backend.Write(Subcluster + 100, Random(100, 5)), Is.EqualTo(BlockError.None));
        backend.Unref();

        Assert.That(QemuTools.ImgStatus("check", top).ExitCode, Is.Zero);
        var expected = new byte[Size];
        Random(Subcluster, 4).CopyTo(expected, 0);
        Random(100, 5).CopyTo(expected, Subcluster + 100);
        AssertSameBytes(QemuRawView(top), expected);
    }

    [Test]
    public void Read_SubclusterBothAllocatedAndZero_IoErrorAndCorruptBit()
    {
        var top = CreateExtended("c.qcow2");
        var backend = Open(top);
        Assert.That(backend.Write(0, Random(Subcluster, 4)), Is.EqualTo(BlockError.None));
        backend.Unref();
        var l2 = FirstL2Table(top);
        var bitmap = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bitmap, 1UL | (1UL << 32));
        using (var stream = new FileStream(top, FileMode.Open, FileAccess.Write))
        {
            stream.Position = l2 + 8;
            stream.Write(bitmap);
        }

        backend = Open(top);

        Assert.That(backend.Read(0, new byte[512]), Is.EqualTo(BlockError.Io));
        backend.Unref();
        Assert.That(QemuTools.ImgStatus("check", top).ExitCode, Is.Not.Zero);
    }

    private static long FirstL2Table(string image)
    {
        var bytes = File.ReadAllBytes(image);
        var l1 = (long)BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(Qcow2Header.L1OffsetField));
        return (long)(BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan((int)l1)) & Qcow2Entry.OffsetMask);
    }
}
