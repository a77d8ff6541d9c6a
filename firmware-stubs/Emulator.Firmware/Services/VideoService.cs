using System.Text;
using Emulator.Firmware.Hardware;

namespace Emulator.Firmware.Services;

/// <summary>
/// INT 10h for the colour text modes (modes 2 and 3, 80×25, eight pages): set mode, cursor shape and
/// position, page select, scroll up/down, read/write character and attribute, teletype, get mode,
/// write string, and the VGA identification calls DOS programs make. Graphics modes are not
/// emulated: a request for one keeps the text screen and reports the mode as set.
/// </summary>
internal sealed class VideoService(FirmwareContext context)
{
    private const byte SetModeFunction = 0x00;
    private const byte NoClearBit = 0x80;
    private const byte VgaDisplayCode = 0x08;
    private const byte DisplayCombinationFunction = 0x1A;
    private const byte CharacterHeight = 16;

    public static void SetMode(FirmwareContext context, byte mode)
    {
        var memory = context.Memory;
        memory.WriteByte(Bda.VideoMode, (byte)(mode & ~NoClearBit));
        memory.WriteWord(Bda.VideoColumns, TextConsole.Columns);
        memory.WriteWord(Bda.VideoPageSize, TextConsole.PageBytes);
        memory.WriteWord(Bda.VideoPageStart, 0);
        memory.WriteByte(Bda.ActivePage, 0);
        memory.WriteWord(Bda.CrtcBase, 0x3D4);
        memory.WriteByte(Bda.VideoRows, TextConsole.Rows - 1);
        memory.WriteWord(Bda.CharacterHeight, CharacterHeight);
        if ((mode & NoClearBit) == 0)
        {
            context.Console.Clear();
        }

        context.Console.SelectPage(0);
    }

    public BiosServiceResult Handle(BiosCall call)
    {
        var console = context.Console;
        var memory = context.Memory;
        switch (call.AH)
        {
            case SetModeFunction:
                SetMode(context, call.AL);
                call.AL = 0x30;
                break;
            case 0x01:
                console.SetCursorShape(call.CH, call.CL);
                break;
            case 0x02:
                console.SetCursor(call.BH, call.DH, call.DL);
                break;
            case 0x03:
            {
                var (row, column) = console.GetCursor(call.BH);
                call.DH = (byte)row;
                call.DL = (byte)column;
                call.CX = memory.ReadWord(Bda.CursorShape);
                break;
            }

            case 0x05:
                console.SelectPage(call.AL);
                break;
            case 0x06:
            case 0x07:
            {
                var lines = call.AH == 0x06 ? call.AL : -call.AL;
                console.Scroll(console.ActivePage, call.CH, call.CL, call.DH, call.DL, lines, call.BH);
                break;
            }

            case 0x08:
            {
                var (row, column) = console.GetCursor(call.BH);
                var (character, attribute) = console.ReadCell(call.BH, row, column);
                call.AX = (ushort)((attribute << 8) | character);
                break;
            }

            case 0x09:
            case 0x0A:
                WriteRepeated(call, withAttribute: call.AH == 0x09);
                break;
            case 0x0E:
                console.Teletype(console.ActivePage, call.AL);
                break;
            case 0x0F:
                call.AL = memory.ReadByte(Bda.VideoMode);
                call.AH = (byte)TextConsole.Columns;
                call.BH = (byte)console.ActivePage;
                break;
            case 0x10:
                // Palette calls (AX=1003h blink toggle): nothing to do for a text screen.
                break;
            case 0x12 when call.BL == 0x10:
                call.BH = 0;
                call.BL = 3;
                call.CX = 0x0009;
                break;
            case 0x13:
                WriteString(call);
                break;
            case DisplayCombinationFunction when call.AL == 0:
                call.AL = DisplayCombinationFunction;
                call.BX = VgaDisplayCode;
                break;
        }

        return BiosServiceResult.Done;
    }

    private void WriteRepeated(BiosCall call, bool withAttribute)
    {
        var console = context.Console;
        var page = call.BH;
        var (row, column) = console.GetCursor(page);
        for (var i = 0; i < call.CX; i++)
        {
            var cell = column + i;
            var cellRow = row + (cell / TextConsole.Columns);
            if (cellRow >= TextConsole.Rows)
            {
                break;
            }

            console.WriteCell(page, cellRow, cell % TextConsole.Columns, call.AL, withAttribute ? call.BL : null);
        }
    }

    /// <summary>AH=13h: string at ES:BP of CX characters at DH,DL; AL bit 0 moves the cursor, bit 1 says the string holds attributes.</summary>
    private void WriteString(BiosCall call)
    {
        var console = context.Console;
        var registers = call.Registers;
        var page = call.BH;
        var moveCursor = (call.AL & 1) != 0;
        var withAttributes = (call.AL & 2) != 0;
        var source = registers.GetSegment(Machine.Cpu.SegmentRegister.ES).Base + registers.BP;
        var saved = console.GetCursor(page);
        console.SetCursor(page, call.DH, call.DL);
        for (var i = 0; i < call.CX; i++)
        {
            var character = context.Memory.ReadByte(source++);
            var attribute = withAttributes ? context.Memory.ReadByte(source++) : call.BL;
            if (character is 0x07 or 0x08 or 0x0A or 0x0D)
            {
                console.Teletype(page, character);
            }
            else
            {
                var (row, column) = console.GetCursor(page);
                console.WriteCell(page, row, column, character, attribute);
                console.Teletype(page, character, attribute);
            }
        }

        if (!moveCursor)
        {
            console.SetCursor(page, saved.Row, saved.Column);
        }
    }

    /// <summary>For tests and logs: the text of one screen row.</summary>
    public string RowText(int row)
    {
        var text = new StringBuilder(TextConsole.Columns);
        for (var column = 0; column < TextConsole.Columns; column++)
        {
            text.Append((char)context.Console.ReadCell(context.Console.ActivePage, row, column).Character);
        }

        return text.ToString();
    }
}
