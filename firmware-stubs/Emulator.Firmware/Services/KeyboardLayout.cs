namespace Emulator.Firmware.Services;

/// <summary>
/// Scan code set 1 → ASCII for a US keyboard, as the IBM BIOS keyboard tables give it: unshifted and
/// shifted characters for the typing keys (0 where the key has no character).
/// </summary>
internal static class KeyboardLayout
{
    public const byte LeftShift = 0x2A;
    public const byte RightShift = 0x36;
    public const byte Control = 0x1D;
    public const byte Alt = 0x38;
    public const byte CapsLock = 0x3A;
    public const byte NumLock = 0x45;
    public const byte ScrollLock = 0x46;
    public const byte ExtendedPrefix = 0xE0;
    public const byte ReleaseBit = 0x80;

    public const string Normal = "\0\u001b1234567890-=\b\tqwertyuiop[]\r\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
    public const string Shifted = "\0\u001b!@#$%^&*()_+\b\tQWERTYUIOP{}\r\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";

    public static char Character(byte scanCode, bool shifted) =>
        scanCode < Normal.Length ? (shifted ? Shifted : Normal)[scanCode] : '\0';
}
