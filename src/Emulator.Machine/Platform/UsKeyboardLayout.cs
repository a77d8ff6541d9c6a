namespace Emulator.Machine.Platform;

/// <summary>Maps printable ASCII and a few control characters to the US-layout key and whether Shift is held.</summary>
internal static class UsKeyboardLayout
{
    private const int AsciiCount = 128;
    private const char Escape = '\u001b';

    private static readonly (Key Key, bool Shift, bool Valid)[] Map = Build();

    /// <summary>The key (and Shift) that types <paramref name="c"/>; false for characters the layout cannot type.</summary>
    public static bool TryMap(char c, out Key key, out bool shift)
    {
        if (c < AsciiCount && Map[c].Valid)
        {
            (key, shift, _) = Map[c];
            return true;
        }

        key = default;
        shift = false;
        return false;
    }

    private static (Key, bool, bool)[] Build()
    {
        var map = new (Key, bool, bool)[AsciiCount];
        void Row(string plain, string shifted, Key first)
        {
            for (var i = 0; i < plain.Length; i++)
            {
                map[plain[i]] = ((Key)((int)first + i), false, true);
                map[shifted[i]] = ((Key)((int)first + i), true, true);
            }
        }

        Row("1234567890-=", "!@#$%^&*()_+", Key.D1);
        Row("qwertyuiop[]", "QWERTYUIOP{}", Key.Q);
        Row("asdfghjkl;'`", "ASDFGHJKL:\"~", Key.A);
        Row("\\zxcvbnm,./", "|ZXCVBNM<>?", Key.Backslash);
        map[' '] = (Key.Space, false, true);
        map['\n'] = (Key.Enter, false, true);
        map['\r'] = (Key.Enter, false, true);
        map['\t'] = (Key.Tab, false, true);
        map['\b'] = (Key.Backspace, false, true);
        map[Escape] = (Key.Escape, false, true);
        return map;
    }
}
