namespace Emulator.Machine.Platform;

/// <summary>
/// Scan code set 2 (IBM PS/2 Technical Reference, "Scan Code Set 2") for the keys of <see cref="Key"/>,
/// and the 8042's set 2 → set 1 translation built as its inverse. Extended keys use the same base
/// code after the 0xE0 prefix in both sets, so one table indexed by the set 1 code covers them.
/// </summary>
internal static class ScanCodeSet2
{
    /// <summary>Set 2 break prefix.</summary>
    public const byte BreakPrefix = 0xF0;

    private const int TableSize = 256;
    private const byte GetSetReplyTwo = 0x02;
    private const byte GetSetReplyTwoTranslated = 0x41;

    /// <summary>Set 2 make code for set 1 make code 0x00-0x58 (0 where no key exists).</summary>
    private static readonly byte[] FromSet1 =
    [
        0x00, 0x76, 0x16, 0x1E, 0x26, 0x25, 0x2E, 0x36, 0x3D, 0x3E, 0x46, 0x45, 0x4E, 0x55, 0x66, 0x0D,
        0x15, 0x1D, 0x24, 0x2D, 0x2C, 0x35, 0x3C, 0x43, 0x44, 0x4D, 0x54, 0x5B, 0x5A, 0x14, 0x1C, 0x1B,
        0x23, 0x2B, 0x34, 0x33, 0x3B, 0x42, 0x4B, 0x4C, 0x52, 0x0E, 0x12, 0x5D, 0x1A, 0x22, 0x21, 0x2A,
        0x32, 0x31, 0x3A, 0x41, 0x49, 0x4A, 0x59, 0x7C, 0x11, 0x29, 0x58, 0x05, 0x06, 0x04, 0x0C, 0x03,
        0x0B, 0x83, 0x0A, 0x01, 0x09, 0x77, 0x7E, 0x6C, 0x75, 0x7D, 0x7B, 0x6B, 0x73, 0x74, 0x79, 0x69,
        0x72, 0x7A, 0x70, 0x71, 0x00, 0x00, 0x00, 0x78, 0x07,
    ];

    private static readonly byte[] ToSet1 = BuildTranslation();

    /// <summary>The set 2 make code for a set 1 make code (the low byte of a <see cref="Key"/>).</summary>
    public static byte FromSet1Code(byte set1) => set1 < FromSet1.Length ? FromSet1[set1] : (byte)0;

    /// <summary>The 8042 translation of one set 2 byte; bytes with no key (replies, prefixes) pass through.</summary>
    public static byte Translate(byte set2) => ToSet1[set2];

    private static byte[] BuildTranslation()
    {
        var table = new byte[TableSize];
        for (var i = 0; i < TableSize; i++)
        {
            table[i] = (byte)i;
        }

        for (var set1 = 1; set1 < FromSet1.Length; set1++)
        {
            if (FromSet1[set1] != 0)
            {
                table[FromSet1[set1]] = (byte)set1;
            }
        }

        // The "get scan code set" reply 0x02 is not a key code but the 8042 still maps it (to 0x41).
        table[GetSetReplyTwo] = GetSetReplyTwoTranslated;
        return table;
    }
}
