using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Qcow2;

namespace Emulator.Block.Tests.Drivers.Qcow2;

/// <summary>Images written by qemu-img/qemu-io read back byte-identical through our driver.</summary>
public class Qcow2InteropReadTests : Qcow2TestBase
{
    [SetUp]
    public void RequireQemu() => QemuTools.Require();

    [TestCase("0.10", 65536)]
    [TestCase("1.1", 65536)]
    [TestCase("1.1", 512)]
    [TestCase("0.10", 4096)]
    [TestCase("1.1", 2097152)]
    public void Read_QemuWrittenImage_MatchesQemuView(string compat, int clusterSize)
    {
        var image = PathOf("q.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", $"compat={compat},cluster_size={clusterSize}", image, "6M");
        QemuTools.Io(image, "write -P 0x11 0 64k", "write -P 0x22 100000 5000", "write -P 0x33 3M 1M", "write -z 3200k 128k", "write -P 0x44 6143k 1k");
        var expected = QemuRawView(image);

        var actual = ReadAll(Open(image, readOnly: true));

        AssertSameBytes(actual, expected);
    }

    [TestCase(512)]
    [TestCase(65536)]
    public void Read_CompressedImage_MatchesSource(int clusterSize)
    {
        var source = PathOf("src.raw");
        var data = new byte[3 << 20];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i / 1000 % 7);
        }

        Random(100_000, 1).CopyTo(data, 1 << 20);
        File.WriteAllBytes(source, data);
        var image = PathOf("c.qcow2");
        QemuTools.Img("convert", "-q", "-c", "-f", "raw", "-O", "qcow2", "-o", $"cluster_size={clusterSize}", source, image);

        var actual = ReadAll(Open(image, readOnly: true));

        AssertSameBytes(actual, data);
    }

    [Test]
    public void Read_ThreeLevelChainWithRelativeNames_MatchesQemuView()
    {
        var bottom = PathOf("base.raw");
        File.WriteAllBytes(bottom, Random(2 << 20, 7));
        QemuTools.Img("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", PathOf("mid.qcow2"), "3M");
        QemuTools.Io(PathOf("mid.qcow2"), "write -P 0x55 64k 100k");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", "compat=0.10", "-b", "mid.qcow2", "-F", "qcow2", PathOf("top.qcow2"), "4M");
        QemuTools.Io(PathOf("top.qcow2"), "write -P 0x66 1000k 8k", "write -P 0x77 2900k 200k");
        var expected = QemuRawView(PathOf("top.qcow2"));

        var actual = ReadAll(Open(PathOf("top.qcow2"), readOnly: true));

        AssertSameBytes(actual, expected);
    }

    [Test]
    public void Read_BackingWithoutFormat_ProbesQcow2()
    {
        QemuTools.Img("create", "-q", "-f", "qcow2", PathOf("b.qcow2"), "1M");
        QemuTools.Io(PathOf("b.qcow2"), "write -P 0x5a 0 4k");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-b", "b.qcow2", "-F", "qcow2", PathOf("t.qcow2"), "1M");
        File.WriteAllBytes(PathOf("t.qcow2"), StripBackingFormat(File.ReadAllBytes(PathOf("t.qcow2"))));
        var buffer = new byte[4096];

        Open(PathOf("t.qcow2"), readOnly: true).Read(0, buffer);

        Assert.That(buffer, Is.All.EqualTo(0x5a));
    }

    [Test]
    public void Read_QemuInternalSnapshot_ReadsSnapshotData()
    {
        var image = PathOf("s.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", image, "1M");
        QemuTools.Io(image, "write -P 0x01 0 64k");
        QemuTools.Img("snapshot", "-c", "snap1", image);
        QemuTools.Io(image, "write -P 0x02 0 64k");
        var node = H.Layer.Graph.Open(new Qcow2NodeOptions(new FileNodeOptions(image) { ReadOnly = true })
        {
            ReadOnly = true,
            Snapshot = "snap1",
        });
        var buffer = new byte[65536];

        Assert.That(Wait(node.ReadAsync(0, buffer)), Is.EqualTo(BlockError.None));
        Assert.That(buffer, Is.All.EqualTo(0x01));
    }

    /// <summary>Turns the backing format extension into an unknown one (which the reader skips), leaving only the backing file name.</summary>
    private static byte[] StripBackingFormat(byte[] image)
    {
        for (var i = 104; i < 4096; i += 8)
        {
            if (image[i] == 0xE2 && image[i + 1] == 0x79 && image[i + 2] == 0x2A && image[i + 3] == 0xCA)
            {
                image[i] = 0x12;
                break;
            }
        }

        return image;
    }
}
