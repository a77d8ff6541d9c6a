namespace Emulator.Machine.Platform;

/// <summary>IBM PC code page 437 as the VGA text-mode character generator draws it, for screen dumps.</summary>
internal static class CodePage437
{
    // 0x00 and 0xFF draw as blanks; the rest are the glyphs of the original PC ROM font.
    private const string Glyphs =
        " ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼" +
        " !\"#$%&'()*+,-./0123456789:;<=>?" +
        "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_" +
        "`abcdefghijklmnopqrstuvwxyz{|}~⌂" +
        "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒ" +
        "áíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐" +
        "└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀" +
        "αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■ ";

    public const int CharacterCount = 256;

    public static char ToChar(byte code) => Glyphs[code];

    internal static int Length => Glyphs.Length;
}
