using Emulator.Cli.Tests.Img;

namespace Emulator.Cli.Tests.Nbd;

/// <summary>
/// <c>emu img convert -t cache</c>: qemu-img's cache modes for the target, <c>unsafe</c> by default. Unsafe only
/// stops syncing a host file; a flush still reaches an nbd:// target, as qemu-img sends it (nbdkit's log filter
/// shows each tool's requests).
/// </summary>
public class NbdConvertCacheTests : ImgTestBase
{
    private NbdPeers _peers = null!;

    [SetUp]
    public void SetUpPeers()
    {
        NbdPeers.Require("qemu-img", "nbdkit");
        _peers = new NbdPeers(Dir);
    }

    [TearDown]
    public void TearDownPeers() => _peers.Dispose();

    [TestCase(null)]
    [TestCase("unsafe")]
    [TestCase("writeback")]
    public void Convert_ToNbdTarget_FlushesAsQemuImgDoes(string? cache)
    {
        var source = PathOf("s.raw");
        File.WriteAllBytes(source, Random(1 << 20, seed: 3));
        string[] mode = cache is null ? [] : ["-t", cache];

        var ours = FlushesSeenByNbdkit("emu", uri => EmuOk(["convert", .. mode, "-n", "-f", "raw", "-O", "raw", source, uri]));
        var theirs = FlushesSeenByNbdkit("qemu", uri => _peers.RunOk("qemu-img", ["convert", .. mode, "-n", "-f", "raw", "-O", "raw", source, uri]));

        Assert.That((ours, theirs), Is.EqualTo((1, 1)));
    }

    [TestCase("unsafe")]
    [TestCase("writeback")]
    [TestCase("writethrough")]
    [TestCase("none")]
    [TestCase("directsync")]
    public void Convert_CacheMode_SameBytesAsSource(string cache)
    {
        var data = Random((3 << 20) + 4096, seed: 11);
        File.WriteAllBytes(PathOf("s.raw"), data);

        EmuOk("convert", "-t", cache, "-f", "raw", "-O", "raw", PathOf("s.raw"), PathOf("t.raw"));

        Assert.That(File.ReadAllBytes(PathOf("t.raw")), Is.EqualTo(data));
    }

    [Test]
    public void Convert_UnknownCacheMode_RefusedLikeQemuImg()
    {
        File.WriteAllBytes(PathOf("s.raw"), new byte[4096]);

        var (exit, _, errors) = Emu("convert", "-t", "bogus", "-f", "raw", "-O", "raw", PathOf("s.raw"), PathOf("t.raw"));

        Assert.That((exit, errors), Is.EqualTo((1, "emu img: Invalid cache option: bogus" + Environment.NewLine)));
    }

    /// <summary>Runs <paramref name="convert"/> against a fresh nbdkit memory export and counts the NBD_CMD_FLUSHes it logged.</summary>
    private int FlushesSeenByNbdkit(string name, Action<string> convert) =>
        _peers.LoggedByNbdkit(name, "1M", convert).Count(line => line.Contains(" Flush id=", StringComparison.Ordinal));
}
