using Emulator.Cli.Boot;
using Emulator.Machine.Bus;
using Emulator.Machine.Memory;
using Emulator.Machine.Platform;

namespace Emulator.Cli.Tests.Boot;

/// <summary>What <c>emu boot</c> prints of the guest's text screen: each line once, as the guest finishes it.</summary>
public class ScreenMirrorTests
{
    private const uint TextBuffer = 0xB8000;
    private const ushort CrtcIndex = 0x3D4;
    private const ushort CrtcData = 0x3D5;
    private const byte CursorLocationHigh = 0x0E;
    private const byte CursorLocationLow = 0x0F;
    private const int Columns = 80;

    private GuestMemory _memory = null!;
    private VgaText _vga = null!;
    private StringWriter _output = null!;
    private ScreenMirror _mirror = null!;

    [SetUp]
    public void SetUp()
    {
        _memory = new GuestMemory();
        _vga = new VgaText(_memory);
        _output = new StringWriter();
        _mirror = new ScreenMirror(_vga, _output);
    }

    [TearDown]
    public void TearDown() => _output.Dispose();

    [Test]
    public void Refresh_LineWrittenInTwoPartsWithAPauseBetween_PrintedOnceWhole()
    {
        Type(0, "drive 81h: 4096 x 512 bytes '");
        _mirror.Refresh();
        _mirror.Refresh();
        Type(0, "drive 81h: 4096 x 512 bytes 'label' sum D56Eh");
        MoveCursor(1, 0);
        _mirror.Refresh();

        Assert.That(_output.ToString(), Is.EqualTo("drive 81h: 4096 x 512 bytes 'label' sum D56Eh" + Environment.NewLine));
    }

    [Test]
    public void Refresh_PromptWaitingForInput_ShownWithoutNewline()
    {
        Type(0, "A:\\>");
        _mirror.Refresh();
        _mirror.Refresh();

        Assert.That(_output.ToString(), Is.EqualTo("A:\\>"));
    }

    [Test]
    public void Refresh_CursorRowStillChanging_NotPrintedYet()
    {
        Type(0, "Load");
        _mirror.Refresh();
        Type(0, "Loading");
        _mirror.Refresh();

        Assert.That(_output.ToString(), Is.Empty);
    }

    [Test]
    public void Refresh_Final_EndsTheLineInProgress()
    {
        Type(0, "C:\\>dir");
        _mirror.Refresh(final: true);

        Assert.That(_output.ToString(), Is.EqualTo("C:\\>dir" + Environment.NewLine));
    }

    private void Type(int row, string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            _memory.WriteByte(TextBuffer + (uint)(((row * Columns) + i) * 2), (byte)text[i]);
            _memory.WriteByte(TextBuffer + (uint)(((row * Columns) + i) * 2) + 1, 0x07);
        }

        MoveCursor(row, text.Length);
    }

    private void MoveCursor(int row, int column)
    {
        var location = (row * Columns) + column;
        _vga.Write(CrtcIndex, PortWidth.Byte, CursorLocationHigh);
        _vga.Write(CrtcData, PortWidth.Byte, (uint)(location >> 8));
        _vga.Write(CrtcIndex, PortWidth.Byte, CursorLocationLow);
        _vga.Write(CrtcData, PortWidth.Byte, (uint)(location & 0xFF));
    }
}
