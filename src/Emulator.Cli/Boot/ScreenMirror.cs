using System.Text;
using Emulator.Machine.Platform;

namespace Emulator.Cli.Boot;

/// <summary>
/// Shows the guest's text screen on the terminal: each row that changed since the last look is
/// printed once, as plain text; serial output is printed as it comes. Keeps everything seen so far
/// so <c>--until</c> can look for text that has already scrolled away.
/// </summary>
internal sealed class ScreenMirror(VgaText vga, TextWriter output)
{
    private readonly string[] _shown = new string[VgaText.RowCount];
    private readonly StringBuilder _serial = new();
    private readonly Lock _lock = new();

    /// <summary>Prints rows that changed. Machine thread.</summary>
    public void Refresh()
    {
        var rows = vga.Rows;
        for (var i = 0; i < rows.Length; i++)
        {
            var text = rows[i].TrimEnd();
            if (text != (_shown[i] ?? string.Empty))
            {
                _shown[i] = text;
                if (text.Length > 0)
                {
                    output.WriteLine(text);
                }
            }
        }

        output.Flush();
    }

    public void Serial(byte value)
    {
        lock (_lock)
        {
            _serial.Append((char)value);
        }

        output.Write((char)value);
    }

    /// <summary>True when <paramref name="text"/> is on the screen now or was sent on the serial port.</summary>
    public bool Contains(string text)
    {
        if (vga.Rows.Any(r => r.Contains(text, StringComparison.Ordinal)) || vga.ScreenDump().Contains(text, StringComparison.Ordinal))
        {
            return true;
        }

        lock (_lock)
        {
            return _serial.ToString().Contains(text, StringComparison.Ordinal);
        }
    }

    public void Dump()
    {
        output.WriteLine("---- screen ----");
        output.WriteLine(vga.ScreenDump());
        output.WriteLine("----------------");
        output.Flush();
    }
}
