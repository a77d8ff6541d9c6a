namespace Emulator.Cli.Tests.Img;

/// <summary>
/// <c>emu img map --image-opts driver=raw,offset=,size=,file.filename=</c>: a raw node's window
/// into its file is mapped as qemu-img maps it (guest starts from 0, host offsets shifted by the
/// window, data and holes only inside the window). The 2 MiB sparse file has data at 700 KiB.
/// </summary>
public class ImgMapWindowTests : ImgTestBase
{
    [SetUp]
    public void RequireQemu() => QemuTools.Require();

    [TestCase("--output=json", "offset=524288,size=1048576")]
    [TestCase("--output=json", "offset=716800,size=4096")]
    [TestCase("--output=human", "offset=512k,size=1M")]
    [TestCase("--output=json", "size=1M")]
    public void MapImageOpts_RawWindow_EqualsQemu(string output, string window)
    {
        var file = PathOf("w.raw");
        using (var stream = new FileStream(file, FileMode.Create, FileAccess.Write))
        {
            stream.SetLength(2 << 20);
            stream.Position = 700 << 10;
            stream.Write(Random(8, 1));
        }

        var spec = $"driver=raw,{window},file.filename={file}";

        Assert.That(EmuOk("map", output, "--image-opts", spec), Is.EqualTo(QemuTools.Img("map", output, "--image-opts", spec)));
    }

    [Test]
    public void MapImageOpts_WindowPastFile_ClearError()
    {
        var file = PathOf("w.raw");
        File.WriteAllBytes(file, new byte[4096]);

        var (exit, _, errors) = Emu("map", "--image-opts", $"driver=raw,offset=4096,size=4096,file.filename={file}");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors, Does.Contain("The sum of offset (4096) and size (4096) has to be smaller or equal to the actual size of the containing file (4096)"));
    }
}
