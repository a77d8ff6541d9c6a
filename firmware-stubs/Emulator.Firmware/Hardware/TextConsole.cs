using Emulator.Machine.Bus;
using Emulator.Machine.Memory;

namespace Emulator.Firmware.Hardware;

/// <summary>
/// The colour text screen as the video BIOS drives it: characters and attributes in guest memory at
/// B8000h (4 KiB per page), the cursor position and shape in the BDA and in the CRTC registers
/// (index 3D4h, data 3D5h). 80×25, eight pages.
/// </summary>
internal sealed class TextConsole(GuestMemory memory, IoPortBus ports)
{
    public const int Columns = 80;
    public const int Rows = 25;
    public const int Pages = 8;
    public const uint TextBase = 0xB8000;
    public const int PageBytes = 0x1000;
    public const byte DefaultAttribute = 0x07;
    private const byte Bell = 0x07;
    private const byte Backspace = 0x08;
    private const byte LineFeed = 0x0A;
    private const byte CarriageReturn = 0x0D;
    private const ushort CrtcIndex = 0x3D4;
    private const ushort CrtcData = 0x3D5;
    private const byte CrtcCursorStart = 0x0A;
    private const byte CrtcCursorEnd = 0x0B;
    private const byte CrtcStartHigh = 0x0C;
    private const byte CrtcStartLow = 0x0D;
    private const byte CrtcCursorHigh = 0x0E;
    private const byte CrtcCursorLow = 0x0F;

    public int ActivePage => memory.ReadByte(Bda.ActivePage) % Pages;

    public (int Row, int Column) GetCursor(int page)
    {
        var position = memory.ReadWord(Bda.CursorPositions + ((uint)(page % Pages) * 2));
        return (position >> 8, position & 0xFF);
    }

    public void SetCursor(int page, int row, int column)
    {
        page %= Pages;
        memory.WriteWord(Bda.CursorPositions + ((uint)page * 2), (ushort)((row << 8) | column));
        if (page == ActivePage)
        {
            var location = (page * PageBytes / 2) + (row * Columns) + column;
            WriteCrtc(CrtcCursorHigh, (byte)(location >> 8));
            WriteCrtc(CrtcCursorLow, (byte)location);
        }
    }

    public void SetCursorShape(byte start, byte end)
    {
        memory.WriteWord(Bda.CursorShape, (ushort)((start << 8) | end));
        WriteCrtc(CrtcCursorStart, start);
        WriteCrtc(CrtcCursorEnd, end);
    }

    public void SelectPage(int page)
    {
        page %= Pages;
        memory.WriteByte(Bda.ActivePage, (byte)page);
        memory.WriteWord(Bda.VideoPageStart, (ushort)(page * PageBytes));
        var start = page * PageBytes / 2;
        WriteCrtc(CrtcStartHigh, (byte)(start >> 8));
        WriteCrtc(CrtcStartLow, (byte)start);
        var (row, column) = GetCursor(page);
        SetCursor(page, row, column);
    }

    public (byte Character, byte Attribute) ReadCell(int page, int row, int column)
    {
        var word = memory.ReadWord(CellAddress(page, row, column));
        return ((byte)word, (byte)(word >> 8));
    }

    public void WriteCell(int page, int row, int column, byte character, byte? attribute)
    {
        var address = CellAddress(page, row, column);
        memory.WriteByte(address, character);
        if (attribute is { } a)
        {
            memory.WriteByte(address + 1, a);
        }
    }

    /// <summary>Scrolls the window up (<paramref name="lines"/> &gt; 0) or down (&lt; 0); 0 clears it. New lines get <paramref name="attribute"/>.</summary>
    public void Scroll(int page, int top, int left, int bottom, int right, int lines, byte attribute)
    {
        bottom = Math.Min(bottom, Rows - 1);
        right = Math.Min(right, Columns - 1);
        if (top > bottom || left > right)
        {
            return;
        }

        var height = bottom - top + 1;
        var count = lines == 0 || Math.Abs(lines) >= height ? height : Math.Abs(lines);
        for (var i = 0; i < height; i++)
        {
            var row = lines >= 0 ? top + i : bottom - i;
            var source = lines >= 0 ? row + count : row - count;
            var inside = lines >= 0 ? source <= bottom : source >= top;
            for (var column = left; column <= right; column++)
            {
                var (character, cellAttribute) = inside ? ReadCell(page, source, column) : ((byte)' ', attribute);
                WriteCell(page, row, column, character, cellAttribute);
            }
        }
    }

    /// <summary>Teletype output: BEL, BS, LF and CR act, other characters are written and advance the cursor, scrolling at the bottom.</summary>
    public void Teletype(int page, byte character, byte? attribute = null)
    {
        var (row, column) = GetCursor(page);
        switch (character)
        {
            case Bell:
                return;
            case Backspace:
                column = Math.Max(0, column - 1);
                break;
            case LineFeed:
                row++;
                break;
            case CarriageReturn:
                column = 0;
                break;
            default:
                WriteCell(page, row, column, character, attribute);
                if (++column >= Columns)
                {
                    column = 0;
                    row++;
                }

                break;
        }

        if (row >= Rows)
        {
            // The new bottom line keeps the attribute of the line it scrolls in under, as the IBM BIOS does.
            var keep = ReadCell(page, Rows - 1, 0).Attribute;
            Scroll(page, 0, 0, Rows - 1, Columns - 1, 1, keep == 0 ? DefaultAttribute : keep);
            row = Rows - 1;
        }

        SetCursor(page, row, column);
    }

    public void Clear()
    {
        for (var page = 0; page < Pages; page++)
        {
            Scroll(page, 0, 0, Rows - 1, Columns - 1, 0, DefaultAttribute);
            SetCursor(page, 0, 0);
        }
    }

    private static uint CellAddress(int page, int row, int column) =>
        TextBase + (uint)((page % Pages) * PageBytes) + (uint)(((row * Columns) + column) * 2);

    private void WriteCrtc(byte index, byte value)
    {
        ports.WriteByte(CrtcIndex, index);
        ports.WriteByte(CrtcData, value);
    }
}
