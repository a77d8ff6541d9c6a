using System.Globalization;

namespace Emulator.Cli.Img;

/// <summary>Sizes as qemu-img reads and prints them: a number with an optional k/M/G/T/P/E suffix (powers of 1024; bytes without one).</summary>
internal static class ImgSize
{
    public static long Parse(string text)
    {
        if (text.Length == 0)
        {
            throw new ImgUsageException("Invalid image size specified. You may use k, M, G, T, P or E suffixes for kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
        }

        var shift = char.ToLowerInvariant(text[^1]) switch
        {
            'b' => 0,
            'k' => 10,
            'm' => 20,
            'g' => 30,
            't' => 40,
            'p' => 50,
            'e' => 60,
            _ => -1,
        };
        var number = shift < 0 ? text : text[..^1];
        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            throw new ImgUsageException("Invalid image size specified. You may use k, M, G, T, P or E suffixes for kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
        }

        try
        {
            return checked((long)(value * (1L << Math.Max(shift, 0))));
        }
        catch (OverflowException)
        {
            throw new ImgUsageException("Image size must be less than 8 EiB!");
        }
    }

    /// <summary>QEMU's size_to_str: three significant digits, switching to the next binary unit at 1000 ("2 MiB", "196 KiB", "1.5 GiB").</summary>
    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        var unit = bytes <= 0 ? 0 : (int)Math.Floor(Math.Log2(bytes * 1.024)) / 10;
        var value = bytes / Math.Pow(1024, unit);
        return $"{value.ToString("G3", CultureInfo.InvariantCulture)} {units[unit]}";
    }
}
