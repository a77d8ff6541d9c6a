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
    private readonly string[] _previous = new string[VgaText.RowCount];
    private int _partialRow = -1;
    private string _partialText = string.Empty;
    private readonly StringBuilder _serial = new();
    private readonly Lock _lock = new();

    /// <summary>
    /// Prints rows that changed. When the screen scrolled since the last look, the rows that merely
    /// moved up are not printed again: the baseline is shifted by the scroll first. The row the
    /// cursor is on may still be being written, so it is printed only once it held still between two
    /// looks, and then only what was added since (no newline) — a line the guest writes in pieces
    /// (a prompt, a line waiting on disk I/O) appears once, completed in place. <paramref name="final"/>
    /// ends that line too. Machine thread.
    /// </summary>
    public void Refresh(bool final = false)
    {
        var rows = vga.Rows;
        var now = new string[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            now[i] = rows[i].TrimEnd();
        }

        ShiftForScroll(now);
        var cursor = final ? -1 : vga.CursorRow;
        for (var i = 0; i < now.Length; i++)
        {
            if (i == cursor)
            {
                ShowCursorRow(i, now[i]);
            }
            else if (now[i] != (_shown[i] ?? string.Empty))
            {
                ShowFinishedRow(i, now[i]);
            }
        }

        Array.Copy(now, _previous, now.Length);
        output.Flush();
    }

    /// <summary>The cursor's row: once it held still since the last look, what was added to it is printed, without a newline.</summary>
    private void ShowCursorRow(int row, string text)
    {
        if (text == (_shown[row] ?? string.Empty) || text.Length == 0 || text != _previous[row])
        {
            return;
        }

        if (_partialRow == row && text.StartsWith(_partialText, StringComparison.Ordinal))
        {
            output.Write(text[_partialText.Length..]);
        }
        else
        {
            EndPartialLine();
            output.Write(text);
        }

        _partialRow = row;
        _partialText = text;
    }

    /// <summary>A row the cursor is not on: printed whole, or, when it is the line printed in part, completed.</summary>
    private void ShowFinishedRow(int row, string text)
    {
        if (_partialRow == row && text.StartsWith(_partialText, StringComparison.Ordinal))
        {
            output.WriteLine(text[_partialText.Length..]);
            _partialRow = -1;
        }
        else
        {
            EndPartialLine();
            if (text.Length > 0)
            {
                output.WriteLine(text);
            }
        }

        _shown[row] = text;
    }

    /// <summary>Ends a line printed in part (it was rewritten rather than continued).</summary>
    private void EndPartialLine()
    {
        if (_partialRow >= 0)
        {
            output.WriteLine();
            _partialRow = -1;
        }
    }

    /// <summary>
    /// Finds the smallest upward scroll that explains the new screen (each row now equal to the row
    /// that many lines below it before, as the terminal shows it; the last of those may have been
    /// completed since, so it only needs to start the same) and moves the shown rows up by it.
    /// </summary>
    private void ShiftForScroll(string[] now)
    {
        var count = now.Length;
        var seen = new string[count];
        for (var i = 0; i < count; i++)
        {
            seen[i] = i == _partialRow ? _partialText : _shown[i] ?? string.Empty;
        }

        if (Enumerable.Range(0, count).All(i => now[i] == seen[i]))
        {
            return;
        }

        for (var k = 1; k < count; k++)
        {
            var matched = 0;
            var explains = true;
            for (var i = 0; i + k < count && explains; i++)
            {
                var before = seen[i + k];
                var last = i + k == count - 1;
                explains = now[i] == before || (last && before.Length > 0 && now[i].StartsWith(before, StringComparison.Ordinal));
                matched += before.Length > 0 ? 1 : 0;
            }

            if (explains && matched > 0)
            {
                Shift(_shown, k);
                Shift(_previous, k);
                _partialRow = _partialRow >= k ? _partialRow - k : -1;
                return;
            }
        }
    }

    private static void Shift(string[] rows, int by)
    {
        Array.Copy(rows, by, rows, 0, rows.Length - by);
        Array.Fill(rows, string.Empty, rows.Length - by, by);
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
