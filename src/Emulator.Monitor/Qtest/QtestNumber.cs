using System.Globalization;

namespace Emulator.Monitor.Qtest;

/// <summary>Numbers in qtest commands, read as strtoull reads them with base 0: 0x… hex, 0… octal, else decimal.</summary>
internal static class QtestNumber
{
    public static bool TryParse(string text, out ulong value)
    {
        value = 0;
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return text.Length > 2 && ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }

        if (text.Length > 1 && text[0] == '0')
        {
            foreach (var c in text.AsSpan(1))
            {
                if (c is < '0' or > '7')
                {
                    return false;
                }

                value = checked((value * 8) + (ulong)(c - '0'));
            }

            return true;
        }

        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
