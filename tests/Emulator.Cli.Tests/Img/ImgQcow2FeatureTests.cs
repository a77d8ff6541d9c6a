using System.Text.Json.Nodes;

namespace Emulator.Cli.Tests.Img;

/// <summary>qcow2 features current qemu-img writes (zstd compression, extended L2, external data files), both ways against qemu-img.</summary>
public class ImgQcow2FeatureTests : ImgTestBase
{
    private const int HeaderCluster = 65536;

    [SetUp]
    public void RequireQemu() => QemuTools.Require();

    /// <summary>A source with compressible, incompressible and zero clusters.</summary>
    private string MixedRaw(string name, int size = 4 << 20)
    {
        var data = new byte[size];
        Random(size / 4, 7).CopyTo(data, 0);
        for (var i = size / 2; i < size * 3 / 4; i++)
        {
            data[i] = (byte)(i / 97);
        }

        var path = PathOf(name);
        File.WriteAllBytes(path, data);
        return path;
    }

    [Test]
    public void ConvertCompressed_Zstd_QemuChecksComparesAndReportsZstd()
    {
        var source = MixedRaw("src.raw");
        var image = PathOf("z.qcow2");

        EmuOk("convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "compression_type=zstd,cluster_size=4096", source, image);

        Assert.That(QemuTools.ImgStatus("check", image).ExitCode, Is.Zero);
        Assert.That(QemuTools.Img("compare", "-f", "raw", "-F", "qcow2", source, image), Does.Contain("Images are identical."));
        Assert.That((string?)Json(QemuTools.Img("info", "--output=json", image))["format-specific"]!["data"]!["compression-type"], Is.EqualTo("zstd"));
        Assert.That(QemuTools.Img("map", "--output=json", image), Is.EqualTo(EmuOk("map", "--output=json", image)));
    }

    [Test]
    public void Read_QemuZstdCompressedImage_SameBytesAndInfo()
    {
        var source = MixedRaw("src.raw");
        var image = PathOf("q.qcow2");
        QemuTools.Img("convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "compression_type=zstd", source, image);

        EmuOk("convert", "-f", "qcow2", "-O", "raw", image, PathOf("back.raw"));

        Assert.That(File.ReadAllBytes(PathOf("back.raw")), Is.EqualTo(File.ReadAllBytes(source)));
        Assert.That(EmuOk("info", "--output=json", image), Is.EqualTo(QemuTools.Img("info", "--output=json", image)));
        Assert.That(EmuOk("info", image), Is.EqualTo(QemuTools.Img("info", image)));
        Assert.That(Emu("check", image).ExitCode, Is.Zero);
    }

    [Test]
    public void Read_DamagedZstdCluster_ReadErrorNotCrash()
    {
        var image = PathOf("q.qcow2");
        QemuTools.Img("convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "compression_type=zstd", MixedRaw("src.raw"), image);
        using (var stream = new FileStream(image, FileMode.Open, FileAccess.Write))
        {
            stream.Position = stream.Length - 600;
            stream.Write(Random(400, 3));
        }

        var (exit, _, errors) = Emu("convert", "-f", "qcow2", "-O", "raw", image, PathOf("back.raw"));

        Assert.That((exit, errors), Is.EqualTo((1, "emu img: error while reading at byte 2097152: Input/output error" + Environment.NewLine)));
    }

    [Test]
    public void Create_ZstdCompat010_RefusedLikeQemu()
    {
        var (exit, _, errors) = Emu("create", "-f", "qcow2", "-o", "compat=0.10,compression_type=zstd", PathOf("x.qcow2"), "1M");

        Assert.That((exit, errors.Trim()), Is.EqualTo((1, "emu img: Non-zlib compression type is only supported with compatibility level 1.1 and above (use version=v3 or greater)")));
    }

    [Test]
    public void Create_Zstd_InfoJsonEqualsQemuCreated()
    {
        EmuOk("create", "-q", "-f", "qcow2", "-o", "compression_type=zstd", PathOf("ours.qcow2"), "16M");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", "compression_type=zstd", PathOf("theirs.qcow2"), "16M");

        var ours = Json(EmuOk("info", "--output=json", PathOf("ours.qcow2")))["format-specific"];
        var theirs = Json(QemuTools.Img("info", "--output=json", PathOf("theirs.qcow2")))["format-specific"];

        Assert.That(JsonNode.DeepEquals(ours, theirs), Is.True, $"{ours} vs {theirs}");
        Assert.That(File.ReadAllBytes(PathOf("ours.qcow2"))[..HeaderCluster], Is.EqualTo(File.ReadAllBytes(PathOf("theirs.qcow2"))[..HeaderCluster]));
    }

    [Test]
    public void QemuExtendedL2Image_MapInfoAndCheckEqualQemu()
    {
        File.WriteAllBytes(PathOf("base.raw"), Random(1 << 20, 1));
        var top = PathOf("x.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", "extended_l2=on", "-b", "base.raw", "-F", "raw", top);
        QemuTools.Io(top, "write -P 0x11 1000 4000", "write -z 20480 4096", "write -P 0x22 65536 65536", "write -z 131072 65536");

        Assert.That(EmuOk("map", "--output=json", top), Is.EqualTo(QemuTools.Img("map", "--output=json", top)));
        Assert.That(EmuOk("info", "--output=json", top), Is.EqualTo(QemuTools.Img("info", "--output=json", top)));
        Assert.That(EmuOk("check", "--output=json", top), Is.EqualTo(QemuTools.Img("check", "--output=json", top)));
        EmuOk("convert", "-O", "raw", top, PathOf("ours.raw"));
        QemuTools.Img("convert", "-O", "raw", top, PathOf("theirs.raw"));
        Assert.That(File.ReadAllBytes(PathOf("ours.raw")), Is.EqualTo(File.ReadAllBytes(PathOf("theirs.raw"))));
    }

    [Test]
    public void Create_ExtendedL2_HeaderClusterEqualsQemuCreated()
    {
        EmuOk("create", "-q", "-f", "qcow2", "-o", "extended_l2=on", PathOf("ours.qcow2"), "64M");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", "extended_l2=on", PathOf("theirs.qcow2"), "64M");

        Assert.That(File.ReadAllBytes(PathOf("ours.qcow2"))[..HeaderCluster], Is.EqualTo(File.ReadAllBytes(PathOf("theirs.qcow2"))[..HeaderCluster]));
        Assert.That(EmuOk("info", PathOf("ours.qcow2")), Does.Contain("    extended l2: true"));
    }

    [Test]
    public void ConvertToExtendedL2_QemuComparesIdenticalAndChecksClean()
    {
        var source = MixedRaw("src.raw");
        var image = PathOf("x.qcow2");

        EmuOk("convert", "-f", "raw", "-O", "qcow2", "-o", "extended_l2=on,cluster_size=32k", source, image);

        Assert.That(QemuTools.ImgStatus("check", image).ExitCode, Is.Zero);
        Assert.That(QemuTools.Img("compare", "-f", "raw", "-F", "qcow2", source, image), Does.Contain("Images are identical."));
    }

    [Test]
    public void Create_ExtendedL2SmallClusters_RefusedLikeQemu()
    {
        var (exit, _, errors) = Emu("create", "-f", "qcow2", "-o", "extended_l2=on,cluster_size=8k", PathOf("x.qcow2"), "1M");

        Assert.That((exit, errors.Trim()), Is.EqualTo((1, "emu img: Extended L2 entries are only supported with cluster sizes of at least 16384 bytes")));
    }

    [Test]
    public void QemuDataFileImage_ReadInfoMapCheckEqualQemu()
    {
        var image = PathOf("d.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", $"data_file={PathOf("d.raw")}", image, "4M");
        QemuTools.Io(image, "write -P 0x11 0 4096", "write -z 65536 65536", "write -P 0x22 200000 70000");

        Assert.That(EmuOk("info", "--output=json", image), Is.EqualTo(QemuTools.Img("info", "--output=json", image)));
        Assert.That(EmuOk("info", image), Is.EqualTo(QemuTools.Img("info", image)));
        Assert.That(EmuOk("map", "--output=json", image), Is.EqualTo(QemuTools.Img("map", "--output=json", image)));
        Assert.That(EmuOk("map", image), Is.EqualTo(QemuTools.Img("map", image)));
        Assert.That(EmuOk("check", "--output=json", image), Is.EqualTo(QemuTools.Img("check", "--output=json", image)));
        EmuOk("convert", "-O", "raw", image, PathOf("ours.raw"));
        QemuTools.Img("convert", "-O", "raw", image, PathOf("theirs.raw"));
        Assert.That(File.ReadAllBytes(PathOf("ours.raw")), Is.EqualTo(File.ReadAllBytes(PathOf("theirs.raw"))));
    }

    [Test]
    public void WriteIntoRawDataFile_DataFileIsTheGuestImageAndQemuChecksClean()
    {
        var source = MixedRaw("src.raw");
        var image = PathOf("d.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", $"data_file={PathOf("d.raw")},data_file_raw=on", image, "4M");

        EmuOk("convert", "-n", "-f", "raw", "-O", "qcow2", source, image);

        Assert.That(File.ReadAllBytes(PathOf("d.raw")), Is.EqualTo(File.ReadAllBytes(source)));
        Assert.That(QemuTools.ImgStatus("check", image).ExitCode, Is.Zero);
        Assert.That(QemuTools.Img("compare", "-f", "raw", "-F", "qcow2", source, image), Does.Contain("Images are identical."));
    }

    /// <summary>Absolute data file names: qemu-img 7.2 resolves a relative one against its working folder, we against the image's folder.</summary>
    [TestCase("")]
    [TestCase(",data_file_raw=on")]
    public void CreateDataFile_QemuWritesReadsBackAndChecksClean(string raw)
    {
        var image = PathOf("d.qcow2");

        EmuOk("create", "-q", "-f", "qcow2", "-o", $"data_file={PathOf("d.raw")}{raw}", image, "4M");
        QemuTools.Io(image, "write -P 0x33 70000 5000");

        Assert.That(File.Exists(PathOf("d.raw")), Is.True);
        Assert.That(QemuTools.ImgStatus("check", image).ExitCode, Is.Zero);
        Assert.That(EmuOk("map", "--output=json", image), Is.EqualTo(QemuTools.Img("map", "--output=json", image)));
        Assert.That(Json(EmuOk("info", "--output=json", image))["format-specific"]!.ToJsonString(), Is.EqualTo(Json(QemuTools.Img("info", "--output=json", image))["format-specific"]!.ToJsonString()));
        EmuOk("convert", "-O", "raw", image, PathOf("ours.raw"));
        QemuTools.Img("convert", "-O", "raw", image, PathOf("theirs.raw"));
        Assert.That(File.ReadAllBytes(PathOf("ours.raw")), Is.EqualTo(File.ReadAllBytes(PathOf("theirs.raw"))));
    }

    [Test]
    public void CreateDataFile_RelativeName_CreatedAndOpenedBesideTheImage()
    {
        var image = PathOf("r.qcow2");

        EmuOk("create", "-q", "-f", "qcow2", "-o", "data_file=r.data", image, "1M");
        EmuOk("convert", "-n", "-f", "raw", "-O", "qcow2", MixedRaw("src.raw", 1 << 20), image);

        Assert.That(File.ReadAllBytes(PathOf("r.data")).AsSpan(0, 4096).ToArray(), Is.EqualTo(File.ReadAllBytes(PathOf("src.raw")).AsSpan(0, 4096).ToArray()));
        Assert.That(Json(EmuOk("info", "--output=json", image))["format-specific"]!["data"]!["data-file"]!.GetValue<string>(), Is.EqualTo("r.data"));
    }

    [Test]
    public void Open_DataFileMissing_RefusedWithClearMessage()
    {
        var image = PathOf("d.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", $"data_file={PathOf("d.raw")}", image, "1M");
        File.Delete(PathOf("d.raw"));

        var (exit, _, errors) = Emu("map", image);

        Assert.That((exit, errors.Trim()), Is.EqualTo((1, $"emu img: Could not open '{PathOf("d.raw")}': No such file or directory (the external data file of '{image}')")));
    }

    [Test]
    public void Check_CompressedAndFragmentedImage_JsonEqualsQemu()
    {
        var source = PathOf("c.raw");
        File.WriteAllBytes(source, [.. Random(300000, 9), .. new byte[300000]]);
        var image = PathOf("c.qcow2");
        QemuTools.Img("convert", "-c", "-O", "qcow2", "-o", "cluster_size=4096", source, image);

        Assert.That(EmuOk("check", "--output=json", image), Is.EqualTo(QemuTools.Img("check", "--output=json", image)));
    }
}
