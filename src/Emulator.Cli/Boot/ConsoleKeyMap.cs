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
}
