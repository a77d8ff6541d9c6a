using Emulator.Machine.Bus;
using Emulator.Machine.Lifecycle;
using Emulator.Machine.Memory;

namespace Emulator.Machine.Platform;

/// <summary>
/// VGA in 80x25 colour text mode, enough for a BIOS and DOS console: reads the character/attribute
/// cells from guest memory at 0xB8000 (the machine maps that RAM; this class only reads it through
/// <see cref="IDmaMemory"/>) and exposes <see cref="Rows"/> and <see cref="ScreenDump"/> in code page
/// 437. Ports: the CRT controller at 0x3D4/0x3D5 (all 25 registers stored; cursor shape 0x0A/0x0B,
/// start address 0x0C/0x0D and cursor location 0x0E/0x0F interpreted), input status 1 at 0x3DA
/// (display-enable and vertical-retrace bits alternate on each read, so retrace polling loops end,
/// and the read resets the attribute flip-flop), and minimal register files at 0x3C0-0x3CF:
/// attribute controller with its index/data flip-flop, misc output, sequencer, graphics controller
/// and the DAC (pixel mask, read/write index, 256 RGB triplets).
/// Limitations: no graphics modes, no font or mode changes take effect, no 0x3B4/0x3BA mono aliases,
/// no rendering beyond text.
/// </summary>
public sealed class VgaText : IPortDevice, IResettable
{
    /// <summary>Physical address of the colour text buffer.</summary>
    public const ulong TextBufferAddress = 0xB8000;
    /// <summary>Characters per row.</summary>
    public const int Columns = 80;
    /// <summary>Rows on the screen.</summary>
    public const int RowCount = 25;

    private const int CellBytes = 2;
    private const int CrtcRegisterCount = 0x19;
    private const int SequencerRegisterCount = 5;
    private const int GraphicsRegisterCount = 9;
    private const int AttributeRegisterCount = 0x15;
    private const int DacEntries = 256;
    private const int DacComponents = 3;
    private const byte DacComponentMask = 0x3F;
    private const byte AttributeIndexMask = 0x1F;
    private const byte AttributePaletteSource = 0x20;
    private const byte CursorDisabled = 0x20;
    private const byte CursorScanLineMask = 0x1F;
    private const int ByteBits = 8;

    /// <summary>Input status 1: bit 0 display disabled (horizontal or vertical blank), bit 3 vertical retrace.</summary>
    private const byte InputStatusRetrace = 0x09;

    /// <summary>Misc output after the BIOS sets mode 3: colour I/O at 0x3Dx, RAM enabled, 28 MHz clock, sync polarities.</summary>
    private const byte DefaultMiscOutput = 0x67;

    /// <summary>Cursor lines 13-14 of a 16-line cell: the BIOS's underline cursor in mode 3.</summary>
    private const byte DefaultCursorStart = 0x0D;
    private const byte DefaultCursorEnd = 0x0E;

    private readonly IDmaMemory _memory;
    private readonly byte[] _crtc = new byte[CrtcRegisterCount];
    private readonly byte[] _sequencer = new byte[SequencerRegisterCount];
    private readonly byte[] _graphics = new byte[GraphicsRegisterCount];
    private readonly byte[] _attribute = new byte[AttributeRegisterCount];
    private readonly byte[] _dac = new byte[DacEntries * DacComponents];
    private readonly byte[] _screen = new byte[Columns * RowCount * CellBytes];

    private byte _crtcIndex;
    private byte _sequencerIndex;
    private byte _graphicsIndex;
    private byte _attributeIndex;
    private bool _attributeExpectsData;
    private byte _miscOutput;
    private byte _pixelMask;
    private int _dacReadIndex;
    private int _dacWriteIndex;
    private bool _retracePhase;
    private byte _videoEnable;

    /// <summary>A VGA with power-on registers, reading text cells through <paramref name="memory"/>.</summary>
    public VgaText(IDmaMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _memory = memory;
        Reset();
    }

    /// <summary>
    /// Registers back to their power-on values (text mode 3's misc output and cursor shape, everything
    /// else zero, palette black); the text in video memory is guest RAM and stays.
    /// </summary>
    public void Reset()
    {
        Array.Clear(_crtc);
        Array.Clear(_sequencer);
        Array.Clear(_graphics);
        Array.Clear(_attribute);
        Array.Clear(_dac);
        _crtc[(int)VgaCrtcRegister.CursorStart] = DefaultCursorStart;
        _crtc[(int)VgaCrtcRegister.CursorEnd] = DefaultCursorEnd;
        _crtcIndex = 0;
        _sequencerIndex = 0;
        _graphicsIndex = 0;
        _attributeIndex = 0;
        _attributeExpectsData = false;
        _miscOutput = DefaultMiscOutput;
        _pixelMask = byte.MaxValue;
        _dacReadIndex = 0;
        _dacWriteIndex = 0;
        _retracePhase = false;
        _videoEnable = 1;
    }

    /// <summary>Character offset of the top-left cell from 0xB8000 (CRTC 0x0C/0x0D).</summary>
    public int StartAddress => (_crtc[(int)VgaCrtcRegister.StartAddressHigh] << ByteBits) | _crtc[(int)VgaCrtcRegister.StartAddressLow];

    /// <summary>Cursor location in characters from 0xB8000 (CRTC 0x0E/0x0F).</summary>
    public int CursorLocation => (_crtc[(int)VgaCrtcRegister.CursorLocationHigh] << ByteBits) | _crtc[(int)VgaCrtcRegister.CursorLocationLow];

    /// <summary>Cursor row relative to the start address; outside 0-24 when the cursor is off screen.</summary>
    public int CursorRow => (CursorLocation - StartAddress) / Columns;

    /// <summary>Cursor column relative to the start address.</summary>
    public int CursorColumn => (CursorLocation - StartAddress) % Columns;

    /// <summary>False when the cursor-start register's disable bit (bit 5) is set.</summary>
    public bool CursorVisible => (_crtc[(int)VgaCrtcRegister.CursorStart] & CursorDisabled) == 0;

    /// <summary>First scan line of the cursor block (CRTC 0x0A, bits 4-0).</summary>
    public int CursorStartLine => _crtc[(int)VgaCrtcRegister.CursorStart] & CursorScanLineMask;

    /// <summary>Last scan line of the cursor block (CRTC 0x0B, bits 4-0).</summary>
    public int CursorEndLine => _crtc[(int)VgaCrtcRegister.CursorEnd] & CursorScanLineMask;

    /// <summary>The 25 rows of 80 characters as currently in guest memory.</summary>
    public string[] Rows
    {
        get
        {
            var rows = new string[RowCount];
            if (!_memory.TryRead(TextBufferAddress + ((ulong)StartAddress * CellBytes), _screen))
            {
                Array.Clear(_screen);
            }

            Span<char> line = stackalloc char[Columns];
            for (var r = 0; r < RowCount; r++)
            {
                for (var c = 0; c < Columns; c++)
                {
                    line[c] = CodePage437.ToChar(_screen[((r * Columns) + c) * CellBytes]);
                }

                rows[r] = new string(line);
            }

            return rows;
        }
    }

    /// <summary>The screen as text: rows with trailing blanks removed, joined by newlines, trailing empty rows dropped.</summary>
    public string ScreenDump() => string.Join('\n', Rows.Select(r => r.TrimEnd())).TrimEnd('\n');

    /// <summary>The attribute byte of a cell (foreground in bits 3-0, background 6-4, blink 7).</summary>
    public byte AttributeAt(int row, int column)
    {
        Span<byte> cell = stackalloc byte[CellBytes];
        var address = TextBufferAddress + (ulong)((StartAddress + (row * Columns) + column) * CellBytes);
        return _memory.TryRead(address, cell) ? cell[1] : (byte)0;
    }

    /// <inheritdoc/>
    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, (ushort)VgaPort.AttributeIndexData, (int)VgaPort.GraphicsData - (int)VgaPort.AttributeIndexData + 1);
        bus.Register(this, (ushort)VgaPort.CrtcIndex, 2);
        bus.Register(this, (ushort)VgaPort.InputStatus1, 1);
    }

    /// <inheritdoc/>
    public uint Read(ushort port, PortWidth width)
    {
        switch ((VgaPort)port)
        {
            case VgaPort.AttributeIndexData:
                return _attributeIndex;
            case VgaPort.AttributeDataRead:
                return At(_attribute, _attributeIndex & AttributeIndexMask);
            case VgaPort.MiscOutputWriteInputStatus0:
                return 0;
            case VgaPort.VideoSubsystemEnable:
                return _videoEnable;
            case VgaPort.SequencerIndex:
                return _sequencerIndex;
            case VgaPort.SequencerData:
                return At(_sequencer, _sequencerIndex);
            case VgaPort.DacPixelMask:
                return _pixelMask;
            case VgaPort.DacWriteIndex:
                return (uint)(_dacWriteIndex / DacComponents);
            case VgaPort.DacData:
                var value = _dac[_dacReadIndex];
                _dacReadIndex = (_dacReadIndex + 1) % _dac.Length;
                return value;
            case VgaPort.MiscOutputRead:
                return _miscOutput;
            case VgaPort.GraphicsIndex:
                return _graphicsIndex;
            case VgaPort.GraphicsData:
                return At(_graphics, _graphicsIndex);
            case VgaPort.CrtcIndex:
                return _crtcIndex;
            case VgaPort.CrtcData:
                return At(_crtc, _crtcIndex);
            case VgaPort.InputStatus1:
                _attributeExpectsData = false;
                _retracePhase = !_retracePhase;
                return _retracePhase ? InputStatusRetrace : 0u;
            default:
                return 0;
        }
    }

    /// <inheritdoc/>
    public void Write(ushort port, PortWidth width, uint value)
    {
        var b = (byte)value;
        switch ((VgaPort)port)
        {
            case VgaPort.AttributeIndexData:
                if (_attributeExpectsData)
                {
                    Store(_attribute, _attributeIndex & AttributeIndexMask, b);
                }
                else
                {
                    _attributeIndex = (byte)(b & (AttributeIndexMask | AttributePaletteSource));
                }

                _attributeExpectsData = !_attributeExpectsData;
                break;
            case VgaPort.MiscOutputWriteInputStatus0:
                _miscOutput = b;
                break;
            case VgaPort.VideoSubsystemEnable:
                _videoEnable = b;
                break;
            case VgaPort.SequencerIndex:
                _sequencerIndex = b;
                break;
            case VgaPort.SequencerData:
                Store(_sequencer, _sequencerIndex, b);
                break;
            case VgaPort.DacPixelMask:
                _pixelMask = b;
                break;
            case VgaPort.DacReadIndexState:
                _dacReadIndex = b * DacComponents;
                break;
            case VgaPort.DacWriteIndex:
                _dacWriteIndex = b * DacComponents;
                break;
            case VgaPort.DacData:
                _dac[_dacWriteIndex] = (byte)(b & DacComponentMask);
                _dacWriteIndex = (_dacWriteIndex + 1) % _dac.Length;
                break;
            case VgaPort.GraphicsIndex:
                _graphicsIndex = b;
                break;
            case VgaPort.GraphicsData:
                Store(_graphics, _graphicsIndex, b);
                break;
            case VgaPort.CrtcIndex:
                _crtcIndex = b;
                break;
            case VgaPort.CrtcData:
                Store(_crtc, _crtcIndex, b);
                break;
            default:
                break;
        }
    }

    private static byte At(byte[] registers, int index) => index < registers.Length ? registers[index] : (byte)0;

    private static void Store(byte[] registers, int index, byte value)
    {
        if (index < registers.Length)
        {
            registers[index] = value;
        }
    }
}
