using Emulator.Machine.Platform;

namespace Emulator.Cli.Boot;

/// <summary>Host keys without a character (cursor, editing and function keys) as PC keyboard keys.</summary>
internal static class ConsoleKeyMap
{
    public static Key? Special(ConsoleKey key) => key switch
    {
        ConsoleKey.UpArrow => Key.Up,
        ConsoleKey.DownArrow => Key.Down,
        ConsoleKey.LeftArrow => Key.Left,
        ConsoleKey.RightArrow => Key.Right,
        ConsoleKey.Home => Key.Home,
        ConsoleKey.End => Key.End,
        ConsoleKey.PageUp => Key.PageUp,
        ConsoleKey.PageDown => Key.PageDown,
        ConsoleKey.Insert => Key.Insert,
        ConsoleKey.Delete => Key.Delete,
        ConsoleKey.Escape => Key.Escape,
        ConsoleKey.Enter => Key.Enter,
        ConsoleKey.Backspace => Key.Backspace,
        ConsoleKey.Tab => Key.Tab,
        ConsoleKey.F1 => Key.F1,
        ConsoleKey.F2 => Key.F2,
        ConsoleKey.F3 => Key.F3,
        ConsoleKey.F4 => Key.F4,
        ConsoleKey.F5 => Key.F5,
        ConsoleKey.F6 => Key.F6,
        ConsoleKey.F7 => Key.F7,
        ConsoleKey.F8 => Key.F8,
        ConsoleKey.F9 => Key.F9,
        ConsoleKey.F10 => Key.F10,
        ConsoleKey.F11 => Key.F11,
        ConsoleKey.F12 => Key.F12,
        _ => null,
    };

    /// <summary>
    /// The key an ANSI/VT100 escape sequence in redirected input names (<c>ESC [ A</c>-<c>D</c> arrows,
    /// <c>ESC [ H</c>/<c>F</c> Home/End, <c>ESC O P</c>-<c>S</c> F1-F4), with how many characters it used;
    /// a lone ESC is the Escape key.
    /// </summary>
    public static (Key Key, int Length) FromEscape(ReadOnlySpan<char> text)
    {
        if (text.Length >= 3 && text[1] is '[' or 'O')
        {
            Key? key = text[2] switch
            {
                'A' => Key.Up,
                'B' => Key.Down,
                'C' => Key.Right,
                'D' => Key.Left,
                'H' => Key.Home,
                'F' => Key.End,
                'P' when text[1] == 'O' => Key.F1,
                'Q' when text[1] == 'O' => Key.F2,
                'R' when text[1] == 'O' => Key.F3,
                'S' when text[1] == 'O' => Key.F4,
                _ => null,
            };
            if (key is { } found)
            {
                return (found, 3);
            }
        }

        return (Key.Escape, 1);
    }
}
