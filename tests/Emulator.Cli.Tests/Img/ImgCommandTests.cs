namespace Emulator.Cli.Tests.Img;

/// <summary>Command-line handling that needs no QEMU: errors are one line and a non-zero exit.</summary>
public class ImgCommandTests : ImgTestBase
{
    [Test]
    public void Info_MissingFile_OneLineErrorExit1()
    {
        var (exit, _, errors) = Emu("info", PathOf("nope.qcow2"));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors.TrimEnd().Split('\n'), Has.Length.EqualTo(1).And.All.StartsWith("emu img: Could not open"));
    }

    [Test]
    public void UnknownCommand_Exit1()
    {
        Assert.That(Emu("frobnicate").ExitCode, Is.EqualTo(1));
    }

    [Test]
    public void Create_InvalidClusterSize_Refused()
    {
        var (exit, _, errors) = Emu("create", "-f", "qcow2", "-o", "cluster_size=3000", PathOf("x.qcow2"), "1M");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors, Does.Contain("Cluster size must be a power of two"));
    }

    [Test]
    public void Resize_ShrinkWithoutFlag_RefusedWithQemuMessage()
    {
        var image = PathOf("r.qcow2");
        EmuOk("create", "-q", "-f", "qcow2", image, "2M");

        var (exit, _, errors) = Emu("resize", image, "1M");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors.TrimEnd(), Is.EqualTo("emu img: Use the --shrink option to perform a shrink operation."));
    }

    [Test]
    public void Compare_SameContentDifferentFormats_Identical()
    {
        File.WriteAllBytes(PathOf("a.raw"), Random(1 << 20, 3));
        EmuOk("convert", "-f", "raw", "-O", "qcow2", PathOf("a.raw"), PathOf("a.qcow2"));

        Assert.That(Emu("compare", PathOf("a.raw"), PathOf("a.qcow2")), Is.EqualTo((0, "Images are identical.\n", string.Empty)));
    }

    [Test]
    public void Check_OwnImageAfterWrites_Clean()
    {
        File.WriteAllBytes(PathOf("a.raw"), Random(3 << 20, 4));
        EmuOk("convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=4096", PathOf("a.raw"), PathOf("a.qcow2"));

        var (exit, output, _) = Emu("check", PathOf("a.qcow2"));

        Assert.That(exit, Is.Zero);
        Assert.That(output, Does.StartWith("No errors were found on the image."));
    }

    [TestCase("1.5M", 1572864L)]
    [TestCase("64k", 65536L)]
    [TestCase("4096", 4096L)]
    [TestCase("2G", 2147483648L)]
    public void SizeParse_Suffixes_Bytes(string text, long expected)
    {
        Assert.That(Emulator.Cli.Img.ImgSize.Parse(text), Is.EqualTo(expected));
    }
}
