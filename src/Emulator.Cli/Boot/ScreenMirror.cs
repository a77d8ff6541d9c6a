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

    /// <summary>
    /// Prints rows that changed. When the screen scrolled since the last look, the rows that merely
    /// moved up are not printed again: the baseline is shifted by the scroll first. Machine thread.
    /// </summary>
    public void Refresh()
    {
        var rows = vga.Rows;
        var now = new string[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            now[i] = rows[i].TrimEnd();
        }

        ShiftForScroll(now);
        for (var i = 0; i < now.Length; i++)
        {
            if (now[i] != (_shown[i] ?? string.Empty))
            {
                _shown[i] = now[i];
                if (now[i].Length > 0)
                {
                    output.WriteLine(now[i]);
                }
            }
        }

        output.Flush();
    }

    /// <summary>
    /// Finds the smallest upward scroll that explains the new screen (each row now equal to the row
    /// that many lines below it before; the last of those may have been completed since, so it only
    /// needs to start the same) and moves the shown rows up by it.
    /// </summary>
    private void ShiftForScroll(string[] now)
    {
        var count = now.Length;
        if (Enumerable.Range(0, count).All(i => now[i] == (_shown[i] ?? string.Empty)))
        {
            return;
        }

        for (var k = 1; k < count; k++)
        {
            var matched = 0;
            var explains = true;
            for (var i = 0; i + k < count && explains; i++)
            {
                var before = _shown[i + k] ?? string.Empty;
                var last = i + k == count - 1;
                explains = now[i] == before || (last && before.Length > 0 && now[i].StartsWith(before, StringComparison.Ordinal));
                matched += before.Length > 0 ? 1 : 0;
            }

            if (explains && matched > 0)
            {
                Array.Copy(_shown, k, _shown, 0, count - k);
                Array.Fill(_shown, string.Empty, count - k, k);
                return;
            }
        }
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
