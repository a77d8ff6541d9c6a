namespace Emulator.Cli.Tests.Img;

/// <summary>
/// <c>emu img snapshot -l/-c/-a/-d</c> against qemu-img: a snapshot we create is listed by
/// <c>qemu-img snapshot -l</c>, passes <c>qemu-img check</c>, keeps its data when qemu-io then
/// writes the active image (our refcounts and cleared COPIED flags make QEMU copy on write), and
/// our list prints what qemu-img prints; deleting and applying snapshots qemu-img made leaves an
/// image qemu-img checks clean, with the guest views it expects.
/// </summary>
public class ImgSnapshotTests : ImgTestBase
{
    [SetUp]
    public void RequireQemu() => QemuTools.Require();

    [TestCase("compat=1.1,cluster_size=65536")]
    [TestCase("compat=0.10,cluster_size=4096")]
    [TestCase("compat=1.1,cluster_size=512,refcount_bits=4")]
    public void Create_ThenQemuWritesActive_SnapshotKeepsOldDataAndCheckClean(string options)
    {
        var image = PathOf("s.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", options, image, "4M");
        QemuTools.Io(image, "write -P 0x11 0 1M", "write -P 0x12 3M 64k", $"write {(options.Contains("refcount_bits=4", StringComparison.Ordinal) ? string.Empty : "-c ")}2M 64k");
        var before = RawView(image, null);

        EmuOk("snapshot", "-c", "s1", image);
        var afterCreate = QemuTools.ImgStatus("check", image);
        QemuTools.Io(image, "write -P 0x22 64k 128k", "write -P 0x23 2M 4k", "write -z 3M 64k");

        Assert.That(afterCreate.ExitCode, Is.Zero, afterCreate.Output);
        Assert.That(QemuTools.Img("snapshot", "-l", image), Does.Contain(" s1 "));
        var check = QemuTools.ImgStatus("check", image);
        Assert.That(check.ExitCode, Is.Zero, check.Output);
        Assert.That(RawView(image, "s1"), Is.EqualTo(before));
        Assert.That(RawView(image, null).AsSpan(64 << 10, 4).ToArray(), Is.EqualTo(new byte[] { 0x22, 0x22, 0x22, 0x22 }));
    }

    [Test]
    public void List_SnapshotsFromBothTools_SameAsQemuImg()
    {
        var image = PathOf("s.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", image, "1M");
        QemuTools.Io(image, "write -P 0x11 0 64k");
        QemuTools.Img("snapshot", "-c", "theirs", image);
        EmuOk("snapshot", "-c", "ours", image);
        QemuTools.Img("snapshot", "-c", "theirs-again", image);

        Assert.That(EmuOk("snapshot", "-l", image), Is.EqualTo(QemuTools.Img("snapshot", "-l", image)));
        Assert.That(QemuTools.ImgStatus("check", image).ExitCode, Is.Zero);
    }

    [Test]
    public void Create_RefcountWouldOverflow_RefusedLikeQemuImageUnchanged()
    {
        // 4-bit refcounts and many compressed 512-byte clusters packed into one host cluster: one more
        // reference per compressed cluster would pass 15 (qemu-img refuses with EINVAL too).
        var image = PathOf("s.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", "cluster_size=512,refcount_bits=4", image, "1M");
        QemuTools.Io(image, "write -c 0 64k");
        var bytes = File.ReadAllBytes(image);

        var (exit, _, errors) = Emu("snapshot", "-c", "s1", image);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors, Does.Contain("Could not create snapshot 's1'"));
        Assert.That(File.ReadAllBytes(image), Is.EqualTo(bytes));
    }

    [TestCase("compat=1.1,cluster_size=65536")]
    [TestCase("compat=0.10,cluster_size=4096")]
    public void Delete_SnapshotMadeByQemu_CheckCleanActiveIntactAndNoLeaks(string options)
    {
        var image = PathOf("s.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", options, image, "4M");
        QemuTools.Io(image, "write -P 0x11 0 1M", "write -c 2M 64k");
        QemuTools.Img("snapshot", "-c", "s1", image);
        QemuTools.Io(image, "write -P 0x22 64k 128k");
        QemuTools.Img("snapshot", "-c", "s2", image);
        QemuTools.Io(image, "write -P 0x33 512k 64k");
        var active = RawView(image, null);
        var s2 = RawView(image, "s2");

        EmuOk("snapshot", "-d", "s1", image);

        var check = QemuTools.ImgStatus("check", image);
        Assert.That(check.ExitCode, Is.Zero, check.Output);
        Assert.That(QemuTools.Img("snapshot", "-l", image), Does.Not.Contain(" s1 ").And.Contain(" s2 "));
        Assert.That(RawView(image, null), Is.EqualTo(active));
        Assert.That(RawView(image, "s2"), Is.EqualTo(s2));
    }

    [Test]
    public void Delete_OnlySnapshotMadeByUs_CopiedFlagsBackAndQemuWritesInPlace()
    {
        var image = PathOf("s.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", image, "1M");
        QemuTools.Io(image, "write -P 0x11 0 256k");
        EmuOk("snapshot", "-c", "s1", image);

        EmuOk("snapshot", "-d", "1", image);
        var length = new FileInfo(image).Length;
        QemuTools.Io(image, "write -P 0x22 0 64k");

        Assert.That(QemuTools.ImgStatus("check", image).ExitCode, Is.Zero);
        Assert.That(QemuTools.Img("snapshot", "-l", image), Is.Empty);
        Assert.That(new FileInfo(image).Length, Is.EqualTo(length), "the write was not in place: COPIED was not restored");
    }

    [TestCase("compat=1.1,cluster_size=65536")]
    [TestCase("compat=0.10,cluster_size=4096")]
    public void Apply_SnapshotMadeByQemu_ActiveEqualsSnapshotCheckClean(string options)
    {
        var image = PathOf("s.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-o", options, image, "4M");
        QemuTools.Io(image, "write -P 0x11 0 1M", "write -c 2M 64k");
        QemuTools.Img("snapshot", "-c", "s1", image);
        var s1 = RawView(image, "s1");
        QemuTools.Io(image, "write -P 0x22 64k 128k", "write -P 0x33 3M 64k", "write -z 2M 64k");

        EmuOk("snapshot", "-a", "s1", image);
        var afterApply = QemuTools.ImgStatus("check", image);
        QemuTools.Io(image, "write -P 0x44 0 4k");

        Assert.That(afterApply.ExitCode, Is.Zero, afterApply.Output);
        Assert.That(QemuTools.ImgStatus("check", image).ExitCode, Is.Zero);
        Assert.That(RawView(image, "s1"), Is.EqualTo(s1), "writing the active image after apply changed the snapshot");
        var active = RawView(image, null);
        Assert.That(active.AsSpan(4096).ToArray(), Is.EqualTo(s1.AsSpan(4096).ToArray()));
    }

    [Test]
    public void Apply_UnknownSnapshot_ClearErrorImageUntouched()
    {
        var image = PathOf("s.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", image, "1M");
        QemuTools.Img("snapshot", "-c", "s1", image);
        var bytes = File.ReadAllBytes(image);

        var (exit, _, errors) = Emu("snapshot", "-a", "nope", image);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors, Does.Contain("Snapshot 'nope' not found"));
        Assert.That(File.ReadAllBytes(image), Is.EqualTo(bytes));
    }

    private byte[] RawView(string image, string? snapshot)
    {
        var raw = PathOf($"view-{Guid.NewGuid():N}.raw");
        QemuTools.Img(snapshot is null ? ["convert", "-O", "raw", image, raw] : ["convert", "-l", snapshot, "-O", "raw", image, raw]);
        var bytes = File.ReadAllBytes(raw);
        File.Delete(raw);
        return bytes;
    }
}
