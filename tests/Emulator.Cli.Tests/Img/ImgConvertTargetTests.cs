namespace Emulator.Cli.Tests.Img;

/// <summary>
/// <c>emu img convert -B backing_file</c> (a qcow2 target over a backing file, only clusters that
/// differ from it written) and <c>-n</c> (an existing target written as it is), checked against
/// qemu-img doing the same conversion: same guest view, <c>qemu-img check</c> clean, and for -B
/// no more allocated in the target's top layer than the clusters the source changed.
/// </summary>
public class ImgConvertTargetTests : ImgTestBase
{
    private const int Cluster = 65536;

    [SetUp]
    public void RequireQemu() => QemuTools.Require();

    [Test]
    public void ConvertWithBacking_OverlayOfBase_OnlyChangedClustersAllocated()
    {
        var (source, _) = OverlayOverBase();
        var target = PathOf("t.qcow2");

        EmuOk("convert", "-O", "qcow2", "-B", "base.qcow2", "-F", "qcow2", source, target);

        var top = Json(QemuTools.Img("map", "--output=json", target)).AsArray()
            .Where(e => e!["depth"]!.GetValue<int>() == 0 && e["present"]!.GetValue<bool>())
            .Select(e => (e!["start"]!.GetValue<long>(), e["length"]!.GetValue<long>(), e["data"]!.GetValue<bool>()))
            .ToArray();
        Assert.That(top, Is.EqualTo(new[] { (4L * Cluster, (long)Cluster, true), (8L * Cluster, (long)Cluster, false) }));
        Assert.That(Json(QemuTools.Img("info", "--output=json", target))["backing-filename"]!.GetValue<string>(), Is.EqualTo("base.qcow2"));
        Assert.That(QemuTools.ImgStatus("check", target).ExitCode, Is.Zero);
        Assert.That(QemuTools.ImgStatus("compare", source, target).ExitCode, Is.Zero);
    }

    [Test]
    public void ConvertWithBacking_SameAsQemuImg_GuestViewsEqual()
    {
        var (source, _) = OverlayOverBase();
        var ours = PathOf("ours.qcow2");
        var theirs = PathOf("theirs.qcow2");

        EmuOk("convert", "-O", "qcow2", "-B", "base.qcow2", "-F", "qcow2", source, ours);
        QemuTools.Img("convert", "-O", "qcow2", "-B", "base.qcow2", "-F", "qcow2", source, theirs);

        Assert.That(QemuTools.ImgStatus("compare", ours, theirs).ExitCode, Is.Zero);
    }

    [Test]
    public void ConvertExistingTarget_DashN_OverwritesDataAndZeroesLikeQemuImg()
    {
        var source = PathOf("s.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", source, "1M");
        QemuTools.Io(source, "write -P 0x33 0 64k");
        var ours = PathOf("ours.raw");
        var theirs = PathOf("theirs.raw");
        var filled = Enumerable.Repeat((byte)0xFF, 1 << 20).ToArray();
        File.WriteAllBytes(ours, filled);
        File.WriteAllBytes(theirs, filled);

        EmuOk("convert", "-n", "-O", "raw", source, ours);
        QemuTools.Img("convert", "-n", "-O", "raw", source, theirs);

        Assert.That(File.ReadAllBytes(ours), Is.EqualTo(File.ReadAllBytes(theirs)));
        Assert.That(QemuTools.ImgStatus("compare", "-F", "raw", source, ours).ExitCode, Is.Zero);
    }

    [Test]
    public void ConvertWithBacking_RawTarget_ClearError()
    {
        var (source, _) = OverlayOverBase();

        var (exit, _, errors) = Emu("convert", "-O", "raw", "-B", "base.qcow2", source, PathOf("t.raw"));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors, Does.Contain("Backing file not supported for file format 'raw'"));
    }

    /// <summary>A 1 MiB base full of 0x11 and an overlay that rewrites cluster 4, zeroes cluster 8 and rewrites cluster 12 with the base's own bytes.</summary>
    private (string Source, string Base) OverlayOverBase()
    {
        var baseImage = PathOf("base.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", baseImage, "1M");
        QemuTools.Io(baseImage, "write -P 0x11 0 1M");
        var source = PathOf("s.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", source, "1M");
        QemuTools.Io(source, $"write -P 0x22 {4 * Cluster} 64k", $"write -z {8 * Cluster} 64k", $"write -P 0x11 {12 * Cluster} 64k");
        return (source, baseImage);
    }
}
