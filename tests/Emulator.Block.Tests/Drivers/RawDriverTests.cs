using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Raw;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Drivers;

public class RawDriverTests
{
    private BlockHarness _h = null!;
    private string _image = null!;

    [SetUp]
    public void SetUp()
    {
        _h = new BlockHarness();
        _image = _h.CreateImage(64 * 1024);
    }

    [TearDown]
    public void TearDown() => _h.Dispose();

    private BlockBackend Window(long offset, long? size) =>
        _h.Layer.CreateBackend(new BlockBackendOptions(), new RawNodeOptions(new FileNodeOptions(_image)) { Offset = offset, Size = size });

    [Test]
    public void Window_Length_IsSize()
    {
        Assert.That(Window(4096, 8192).Length, Is.EqualTo(8192));
    }

    [Test]
    public void Window_NoSize_RunsToEndOfFile()
    {
        Assert.That(Window(4096, null).Length, Is.EqualTo(60 * 1024));
    }

    [Test]
    public void Window_Read_IsShiftedByOffset()
    {
        var backend = Window(4096, 8192);
        var buffer = new byte[16];

        backend.Read(10, buffer);

        Assert.That(buffer[0], Is.EqualTo(BlockHarness.Pattern(4106)));
    }

    [Test]
    public void Window_Write_LandsAtOffsetInFile()
    {
        var backend = Window(4096, 8192);

        backend.Write(0, new byte[] { 0xEE });
        backend.Unref();

        Assert.That(File.ReadAllBytes(_image)[4096], Is.EqualTo(0xEE));
    }

    [Test]
    public void Window_ReadPastWindow_OutOfRange()
    {
        var backend = Window(4096, 8192);

        Assert.That(backend.Read(8192 - 8, new byte[16]), Is.EqualTo(BlockError.OutOfRange));
    }

    [Test]
    public void Window_LargerThanFile_RefusedWithQemuMessage()
    {
        Assert.That(() => Window(60 * 1024, 8192), Throws.TypeOf<BlockOperationException>().With.Message.EqualTo(
            "The sum of offset (61440) and size (8192) has to be smaller or equal to the actual size of the containing file (65536)"));
    }

    [Test]
    public void Window_NegativeOffset_Refused()
    {
        Assert.That(() => Window(-1, null), Throws.TypeOf<BlockOperationException>());
    }

    [Test]
    public void Window_Truncate_Unsupported()
    {
        Assert.That(Window(512, null).Truncate(4096), Is.EqualTo(BlockError.Unsupported));
    }
}
