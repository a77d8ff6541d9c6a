using System.Text.Json.Nodes;

namespace Emulator.Cli.Tests.Img;

/// <summary><c>emu img</c> against <c>qemu-img</c> on the same files: same JSON fields, same exit codes, same bytes.</summary>
public class ImgInteropTests : ImgTestBase
{
    [SetUp]
    public void RequireQemu() => QemuTools.Require();

    [TestCase("1.1", "65536")]
    [TestCase("0.10", "512")]
    [TestCase("1.1", "2M")]
    public void Create_Qcow2_QemuCheckCleanAndInfoAgrees(string compat, string clusterSize)
    {
        var image = PathOf("a.qcow2");

        EmuOk("create", "-q", "-f", "qcow2", "-o", $"compat={compat},cluster_size={clusterSize}", image, "100M");

        Assert.That(QemuTools.ImgStatus("check", image).ExitCode, Is.Zero);
        Assert.That(JsonNode.DeepEquals(Json(EmuOk("info", "--output=json", image)), Json(QemuTools.Img("info", "--output=json", image))), Is.True);
    }

    [Test]
    public void Info_QemuImageWithBackingAndLazyRefcounts_JsonEqualsQemu()
    {
        QemuTools.Img("create", "-q", "-f", "raw", PathOf("base.raw"), "1M");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on,refcount_bits=64", "-b", "base.raw", "-F", "raw", PathOf("top.qcow2"), "2M");

        var ours = Json(EmuOk("info", "--output=json", PathOf("top.qcow2")));
        var theirs = Json(QemuTools.Img("info", "--output=json", PathOf("top.qcow2")));

        Assert.That(ours.ToJsonString(), Is.EqualTo(theirs.ToJsonString()));
    }

    [Test]
    public void Info_ImageWithInternalSnapshot_TextAndJsonEqualQemu()
    {
        var image = PathOf("s.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", image, "1M");
        QemuTools.Io(image, "write 0 64k");
        QemuTools.Img("snapshot", "-c", "snap1", image);

        Assert.That(EmuOk("info", image), Is.EqualTo(QemuTools.Img("info", image)));
        Assert.That(EmuOk("info", "--output=json", image), Is.EqualTo(QemuTools.Img("info", "--output=json", image)));
    }

    [Test]
    public void Info_DirtyLazyImage_DirtyFlagLikeQemu()
    {
        var image = PathOf("d.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on", image, "1M");
        using (var stream = new FileStream(image, FileMode.Open, FileAccess.Write))
        {
            stream.Position = 72;
            stream.Write([0, 0, 0, 0, 0, 0, 0, 1]);
        }

        Assert.That(EmuOk("info", "--output=json", image), Is.EqualTo(QemuTools.Img("info", "--output=json", image)).And.Contains("\"dirty-flag\": true"));
    }

    [TestCase("")]
    [TestCase("--backing-chain")]
    public void Info_TwoLevelChain_TextAndJsonEqualQemu(string chain)
    {
        QemuTools.Img("create", "-q", "-f", "qcow2", PathOf("m1.qcow2"), "1M");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-b", "m1.qcow2", "-F", "qcow2", PathOf("m2.qcow2"));
        string[] text = ["info", .. chain.Length > 0 ? new[] { chain } : [], PathOf("m2.qcow2")];
        string[] json = [.. text[..^1], "--output=json", PathOf("m2.qcow2")];

        Assert.That(EmuOk(text), Is.EqualTo(QemuTools.Img(text)));
        Assert.That(EmuOk(json), Is.EqualTo(QemuTools.Img(json)));
    }

    [Test]
    public void Info_MissingBackingFile_StillReportsLikeQemu()
    {
        QemuTools.Img("create", "-q", "-f", "qcow2", PathOf("m1.qcow2"), "1M");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-b", "m1.qcow2", "-F", "qcow2", PathOf("m2.qcow2"));
        File.Delete(PathOf("m1.qcow2"));

        Assert.That(EmuOk("info", PathOf("m2.qcow2")), Is.EqualTo(QemuTools.Img("info", PathOf("m2.qcow2"))));
    }

    [Test]
    public void Info_BackingChain_ListsEveryImage()
    {
        QemuTools.Img("create", "-q", "-f", "qcow2", PathOf("a.qcow2"), "1M");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-b", "a.qcow2", "-F", "qcow2", PathOf("b.qcow2"));
        QemuTools.Img("create", "-q", "-f", "qcow2", "-b", "b.qcow2", "-F", "qcow2", PathOf("c.qcow2"));

        var chain = Json(EmuOk("info", "--output=json", "--backing-chain", PathOf("c.qcow2"))).AsArray();

        Assert.That(chain.Select(n => Path.GetFileName((string)n!["filename"]!)), Is.EqualTo(new[] { "c.qcow2", "b.qcow2", "a.qcow2" }));
    }

    [Test]
    public void Create_WithBacking_SizeFromBackingAndQemuReadsThrough()
    {
        File.WriteAllBytes(PathOf("base.raw"), Random(3 << 20, 1));

        EmuOk("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", PathOf("top.qcow2"));

        Assert.That(QemuTools.Img("compare", PathOf("base.raw"), PathOf("top.qcow2")), Does.Contain("Images are identical."));
    }

    [TestCase("metadata")]
    [TestCase("full")]
    public void Create_Preallocated_QemuCheckCleanAndMapShowsData(string mode)
    {
        var image = PathOf("p.qcow2");

        EmuOk("create", "-q", "-f", "qcow2", "-o", $"preallocation={mode}", image, "4M");

        Assert.That(QemuTools.ImgStatus("check", image).ExitCode, Is.Zero);
        Assert.That(QemuTools.Img("map", "--output=json", image), Does.Contain("\"data\": true"));
    }

    [Test]
    public void Check_LeakedCluster_Exit3LikeQemuAndRepairFixesIt()
    {
        var image = PathOf("l.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", image, "1M");
        LeakClusterPastEnd(image);

        var before = Emu("check", image);
        var qemuBefore = QemuTools.ImgStatus("check", image);
        var repaired = Emu("check", "-r", "leaks", image);

        Assert.That(before.ExitCode, Is.EqualTo(3));
        Assert.That(qemuBefore.ExitCode, Is.EqualTo(3));
        Assert.That(repaired.ExitCode, Is.Zero);
        Assert.That(QemuTools.ImgStatus("check", image).ExitCode, Is.Zero);
    }

    [TestCase("")]
    [TestCase("leaks")]
    public void Check_LeakedCluster_OutputEqualsQemu(string repair)
    {
        QemuTools.Img("create", "-q", "-f", "qcow2", PathOf("ours.qcow2"), "1M");
        LeakClusterPastEnd(PathOf("ours.qcow2"));
        File.Copy(PathOf("ours.qcow2"), PathOf("theirs.qcow2"));
        string[] options = repair.Length > 0 ? ["-r", repair] : [];

        var ours = Emu(["check", .. options, PathOf("ours.qcow2")]);
        var theirs = QemuTools.ImgStatus(["check", .. options, PathOf("theirs.qcow2")]);

        Assert.That((ours.ExitCode, ours.Output + ours.Errors), Is.EqualTo((theirs.ExitCode, theirs.Output)));
    }

    [Test]
    public void Check_ReferencedClusterWithRefcountZero_Exit2LikeQemu()
    {
        var image = PathOf("c.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", image, "1M");
        QemuTools.Io(image, "write 0 64k");
        SetRefcount(image, File.ReadAllBytes(image).Length / 65536 - 1, 0);

        var ours = Emu("check", "--output=json", image);
        var theirs = QemuTools.ImgStatus("check", "--output=json", image);

        Assert.That(ours.ExitCode, Is.EqualTo(2));
        Assert.That(theirs.ExitCode, Is.EqualTo(2));
        // The refcount error and the COPIED flag that no longer matches it: two, as QEMU counts them.
        Assert.That((int)Json(ours.Output)["corruptions"]!, Is.EqualTo(2));
        Assert.That(theirs.Output, Does.Contain("\"corruptions\": 2,"));
        Assert.That((long)Json(ours.Output)["image-end-offset"]!, Is.EqualTo(new FileInfo(image).Length));
    }

    [Test]
    public void Check_ImageWithPersistentBitmaps_CleanLikeQemu()
    {
        var image = PathOf("bm.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", image, "4M");
        QemuTools.Img("bitmap", "--add", image, "b0");
        QemuTools.Io(image, "write 1M 64k");

        var ours = Emu("check", image);
        var theirs = QemuTools.ImgStatus("check", image);

        Assert.That(ours.ExitCode, Is.Zero);
        Assert.That((ours.ExitCode, ours.Output + ours.Errors), Is.EqualTo((theirs.ExitCode, theirs.Output)));
    }

    [Test]
    public void Check_Raw_NotSupportedExit63()
    {
        File.WriteAllBytes(PathOf("r.raw"), new byte[4096]);

        Assert.That(Emu("check", "-f", "raw", PathOf("r.raw")).ExitCode, Is.EqualTo(63));
    }

    [TestCase("-c")]
    [TestCase("")]
    public void Convert_QemuImageToQcow2_QemuCheckCleanAndIdentical(string compress)
    {
        var source = PathOf("s.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", source, "8M");
        QemuTools.Io(source, "write -P 0x11 0 100k", "write -P 0x22 5M 1M", "write -z 1M 64k");
        var target = PathOf("t.qcow2");

        EmuOk(["convert", .. compress.Length > 0 ? new[] { compress } : [], "-O", "qcow2", source, target]);

        Assert.That(QemuTools.ImgStatus("check", target).ExitCode, Is.Zero);
        Assert.That(QemuTools.ImgStatus("compare", source, target).ExitCode, Is.Zero);
    }

    [Test]
    public void Convert_ToRaw_SparseAndIdentical()
    {
        var source = PathOf("s.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", source, "64M");
        QemuTools.Io(source, "write -P 0x33 10M 1M");
        var target = PathOf("t.raw");

        EmuOk("convert", "-O", "raw", source, target);

        Assert.That(QemuTools.ImgStatus("compare", "-f", "qcow2", "-F", "raw", source, target).ExitCode, Is.Zero);
        Assert.That(new FileInfo(target).Length, Is.EqualTo(64 << 20));
        Assert.That(Emu("info", "--output=json", "-f", "raw", target).Output, Does.Contain("\"actual-size\": 1048576"));
    }

    [TestCase("1.1", "65536")]
    [TestCase("0.10", "4096")]
    public void Map_QemuImage_JsonEqualsQemu(string compat, string clusterSize)
    {
        var image = PathOf("m.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", $"compat={compat},cluster_size={clusterSize}", image, "16M");
        QemuTools.Io(image, "write -P 1 0 200k", "write -c 4M 64k", "write -P 2 9M 64k", "write -P 3 15M 1M");
        if (compat == "1.1")
        {
            QemuTools.Io(image, "write -z 9M 64k");
        }

        Assert.That(EmuOk("map", "--output=json", image), Is.EqualTo(QemuTools.Img("map", "--output=json", image)));
    }

    [Test]
    public void Map_Qcow2OverSparseRawBacking_JsonEqualsQemu()
    {
        QemuTools.Img("create", "-q", "-f", "raw", PathOf("base.raw"), "1M");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", PathOf("t.qcow2"), "2M");
        QemuTools.Io(PathOf("t.qcow2"), "write -P 1 0 4k", "write -P 2 512k 64k");
        using (var stream = new FileStream(PathOf("base.raw"), FileMode.Open, FileAccess.Write))
        {
            stream.Position = 800 << 10;
            stream.Write(new byte[8192].Select(_ => (byte)3).ToArray());
        }

        Assert.That(EmuOk("map", "--output=json", PathOf("t.qcow2")), Is.EqualTo(QemuTools.Img("map", "--output=json", PathOf("t.qcow2"))));
        Assert.That(EmuOk("map", "--output=json", "-f", "raw", PathOf("base.raw")), Is.EqualTo(QemuTools.Img("map", "--output=json", "-f", "raw", PathOf("base.raw"))));
    }

    [Test]
    public void Compare_DifferentImages_Exit1WithQemuMessage()
    {
        QemuTools.Img("create", "-q", "-f", "qcow2", PathOf("a.qcow2"), "1M");
        QemuTools.Img("create", "-q", "-f", "qcow2", PathOf("b.qcow2"), "1M");
        QemuTools.Io(PathOf("b.qcow2"), "write -P 9 5000 1");

        var ours = Emu("compare", PathOf("a.qcow2"), PathOf("b.qcow2"));
        var theirs = QemuTools.ImgStatus("compare", PathOf("a.qcow2"), PathOf("b.qcow2"));

        Assert.That(ours.ExitCode, Is.EqualTo(theirs.ExitCode).And.EqualTo(1));
        Assert.That(ours.Output, Is.EqualTo(theirs.Output));
    }

    [TestCase("")]
    [TestCase("-s")]
    public void Compare_DifferentSizes_OutputAndExitLikeQemu(string strict)
    {
        QemuTools.Img("create", "-q", "-f", "qcow2", PathOf("a.qcow2"), "1M");
        QemuTools.Img("create", "-q", "-f", "qcow2", PathOf("b.qcow2"), "2M");
        QemuTools.Io(PathOf("b.qcow2"), "write 1500k 4k");
        string[] args = ["compare", .. strict.Length > 0 ? new[] { strict } : [], PathOf("a.qcow2"), PathOf("b.qcow2")];

        var ours = Emu(args);
        var theirs = QemuTools.ImgStatus(args);

        Assert.That((ours.ExitCode, ours.Output), Is.EqualTo((theirs.ExitCode, theirs.Output)));
    }

    [Test]
    public void Resize_GrowAndShrink_QemuSeesSizeAndCheckClean()
    {
        var image = PathOf("r.qcow2");
        EmuOk("create", "-q", "-f", "qcow2", "-o", "cluster_size=512", image, "1M");
        QemuTools.Io(image, "write -P 5 0 1M");

        EmuOk("resize", image, "+100M");
        EmuOk("resize", "--shrink", image, "512K");

        Assert.That((long)Json(QemuTools.Img("info", "--output=json", image))["virtual-size"]!, Is.EqualTo(512 << 10));
        Assert.That(QemuTools.ImgStatus("check", image).ExitCode, Is.Zero);
    }

    [Test]
    public void Bench_ReadAndWrite_PrintsQemuSummaryLines()
    {
        var image = PathOf("b.qcow2");
        EmuOk("create", "-q", "-f", "qcow2", image, "16M");

        var write = EmuOk("bench", "-w", "-c", "2000", "-d", "8", "-s", "64k", "--pattern=7", image);
        var read = EmuOk("bench", "-c", "2000", "-d", "32", image);

        Assert.That(write, Does.Match(@"^Sending 2000 write requests, 65536 bytes each, 8 in parallel \(starting at offset 0, step size 65536\)\nRun completed in \d+\.\d{3} seconds\.\n$"));
        Assert.That(read, Does.Match(@"^Sending 2000 read requests, 4096 bytes each, 32 in parallel \(starting at offset 0, step size 4096\)\nRun completed in \d+\.\d{3} seconds\.\n$"));
        Assert.That(QemuTools.Io(image, "read -P 7 0 64k"), Does.Not.Contain("Pattern verification failed"));
    }

    [Test]
    public void Bench_Quiet_PrintsTheSameLinesAsQemuImg()
    {
        var image = PathOf("q.raw");
        EmuOk("create", "-q", "-f", "raw", image, "1M");

        var ours = EmuOk("bench", "-q", "-w", "-c", "10", "-d", "2", "--flush-interval=4", "-f", "raw", image);
        var theirs = QemuTools.Img("bench", "-q", "-w", "-c", "10", "-d", "2", "--flush-interval=4", "-f", "raw", image);

        Assert.That(Summary(ours), Is.EqualTo(Summary(theirs)).And.Contain("Sending flush every 4 requests"));
    }

    /// <summary>A bench's output with the time blanked, which differs from run to run.</summary>
    private static string Summary(string output) => System.Text.RegularExpressions.Regex.Replace(output, @"\d+\.\d{3} seconds", "T seconds");

    /// <summary>Appends a cluster to the file and gives it a refcount of one with nothing referencing it: a leak.</summary>
    private static void LeakClusterPastEnd(string image)
    {
        var cluster = (new FileInfo(image).Length + 65535) / 65536;
        using (var stream = new FileStream(image, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength((cluster + 1) * 65536);
        }

        SetRefcount(image, (int)cluster, 1);
    }

    /// <summary>Sets a 16-bit refcount in the first refcount block of a 64 KiB-cluster image.</summary>
    private static void SetRefcount(string image, int cluster, ushort value)
    {
        var bytes = File.ReadAllBytes(image);
        var table = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(48));
        var block = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan((int)table));
        using var stream = new FileStream(image, FileMode.Open, FileAccess.Write);
        stream.Position = block + (cluster * 2);
        stream.Write([(byte)(value >> 8), (byte)value]);
    }
}
