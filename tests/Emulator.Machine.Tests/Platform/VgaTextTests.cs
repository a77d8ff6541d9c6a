using System.Text;
using Emulator.Machine.Bus;
using Emulator.Machine.Platform;
using Emulator.Machine.Tests.Support;

namespace Emulator.Machine.Tests.Platform;

public class VgaTextTests
{
    private const int TextBuffer = 0xB8000;
    private const ushort CrtcIndex = 0x3D4;
    private const ushort CrtcData = 0x3D5;
    private const ushort InputStatus1 = 0x3DA;
    private const ushort AttributeIndex = 0x3C0;
    private const ushort AttributeRead = 0x3C1;
    private const byte CursorStart = 0x0A;
    private const byte StartAddressLow = 0x0D;
    private const byte CursorHigh = 0x0E;
    private const byte CursorLow = 0x0F;

    private ByteArrayMemory _memory = null!;
    private VgaText _vga = null!;
    private IoPortBus _bus = null!;

    [SetUp]
    public void SetUp()
    {
        _memory = new ByteArrayMemory(0x100000);
        _vga = new VgaText(_memory);
        _bus = new IoPortBus();
        _vga.RegisterPorts(_bus);
        _bus.Freeze();
    }

    private void Poke(int row, int column, string text)
    {
        var at = TextBuffer + (((row * 80) + column) * 2);
        foreach (var b in Encoding.ASCII.GetBytes(text))
        {
            _memory.Bytes[at] = b;
            _memory.Bytes[at + 1] = 0x07;
            at += 2;
        }
    }

    private void WriteCrtc(byte index, byte value)
    {
        _bus.WriteByte(CrtcIndex, index);
        _bus.WriteByte(CrtcData, value);
    }

    [Test]
    public void Rows_TextInBuffer_AppearsAtRowAndColumn()
    {
        Poke(2, 5, "Hello");

        Assert.That(_vga.Rows[2].Substring(5, 5), Is.EqualTo("Hello"));
    }

    [Test]
    public void Rows_Always25RowsOf80()
    {
        Assert.That(_vga.Rows, Has.Length.EqualTo(25).And.All.Length.EqualTo(80));
    }

    [Test]
    public void ScreenDump_TrimsTrailingBlanksAndRows()
    {
        Poke(0, 0, "A:\\>");
        Poke(1, 0, "dir");

        Assert.That(_vga.ScreenDump(), Is.EqualTo("A:\\>\ndir"));
    }

    [Test]
    public void Rows_BoxDrawingByte_MapsToCodePage437()
    {
        _memory.Bytes[TextBuffer] = 0xC9;

        Assert.That(_vga.Rows[0][0], Is.EqualTo('╔'));
    }

    [Test]
    public void CodePage437_Has256Glyphs()
    {
        Assert.That(CodePage437.Length, Is.EqualTo(256));
    }

    [Test]
    public void StartAddress_OneRow_ScrollsView()
    {
        Poke(1, 0, "second");

        WriteCrtc(StartAddressLow, 80);

        Assert.That(_vga.Rows[0].TrimEnd(), Is.EqualTo("second"));
    }

    [Test]
    public void CursorLocation_Programmed_GivesRowAndColumn()
    {
        WriteCrtc(CursorHigh, 0x01);
        WriteCrtc(CursorLow, 0x90);

        Assert.Multiple(() =>
        {
            Assert.That(_vga.CursorRow, Is.EqualTo(5));
            Assert.That(_vga.CursorColumn, Is.EqualTo(0));
        });
    }

    [Test]
    public void CursorStart_DisableBit_HidesCursor()
    {
        WriteCrtc(CursorStart, 0x20);

        Assert.That(_vga.CursorVisible, Is.False);
    }

    [Test]
    public void CrtcRegister_Written_ReadsBack()
    {
        WriteCrtc(CursorLow, 0x42);

        _bus.WriteByte(CrtcIndex, CursorLow);

        Assert.That(_bus.ReadByte(CrtcData), Is.EqualTo(0x42));
    }

    [Test]
    public void InputStatus1_ConsecutiveReads_RetraceBitAlternates()
    {
        var first = _bus.ReadByte(InputStatus1) & 0x08;

        var second = _bus.ReadByte(InputStatus1) & 0x08;

        Assert.That(second, Is.Not.EqualTo(first));
    }

    [Test]
    public void AttributeController_InputStatusReadResetsFlipFlop_NextWriteIsIndex()
    {
        _bus.WriteByte(AttributeIndex, 0x10);
        _bus.ReadByte(InputStatus1);

        _bus.WriteByte(AttributeIndex, 0x31);
        _bus.WriteByte(AttributeIndex, 0x0C);
        _bus.WriteByte(AttributeIndex, 0x11);

        Assert.That(_bus.ReadByte(AttributeRead), Is.EqualTo(0x0C));
    }
}
