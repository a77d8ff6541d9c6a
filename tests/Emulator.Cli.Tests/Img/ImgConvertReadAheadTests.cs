namespace Emulator.Cli.Tests.Img;

/// <summary>
/// <c>emu img convert -m N</c>: N source chunks (2 MiB) read ahead, as qemu-img's coroutines; the copy is the
/// same whatever N (chunks are written in order), and N outside 1-16 is refused with qemu-img's message.
/// </summary>
public class ImgConvertReadAheadTests : ImgTestBase
{
    [TestCase("1")]
    [TestCase("3")]
    [TestCase("16")]
    public void Convert_ChunksInFlight_SameBytesAsSource(string depth)
    {
        // Five chunks and a bit, with a zero run crossing a chunk boundary (skipped, so the target reads zeroes there).
        var data = Random((10 << 20) + 12288, seed: 7);
        Array.Clear(data, (2 << 20) - 8192, 16384);
        var source = PathOf("s.raw");
        File.WriteAllBytes(source, data);

        EmuOk("convert", "-m", depth, "-f", "raw", "-O", "raw", source, PathOf("t.raw"));

        Assert.That(File.ReadAllBytes(PathOf("t.raw")), Is.EqualTo(data));
    }

    [TestCase("0")]
    [TestCase("17")]
    [TestCase("x")]
    public void Convert_CoroutinesOutOfRange_RefusedLikeQemuImg(string depth)
    {
        File.WriteAllBytes(PathOf("s.raw"), new byte[4096]);

        var (exit, _, errors) = Emu("convert", "-m", depth, "-f", "raw", "-O", "raw", PathOf("s.raw"), PathOf("t.raw"));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors, Does.Contain("Invalid number of coroutines. Allowed number of coroutines is between 1 and 16"));
    }
}
