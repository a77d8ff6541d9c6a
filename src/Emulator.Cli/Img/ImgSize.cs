using System.Globalization;
using Emulator.Block.Graph;

namespace Emulator.Cli.Img;

/// <summary>Sizes as qemu-img reads and prints them: a number with an optional k/M/G/T/P/E suffix (powers of 1024; bytes without one).</summary>
internal static class ImgSize
{
    public static long Parse(string text) => ImageOptionValues.ParseSize(text);

    /// <summary>QEMU's size_to_str: three significant digits, switching to the next binary unit at 1000 ("2 MiB", "196 KiB", "1.5 GiB").</summary>
    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        var unit = bytes <= 0 ? 0 : (int)Math.Floor(Math.Log2(bytes * 1.024)) / 10;
        var value = bytes / Math.Pow(1024, unit);
        return $"{value.ToString("G3", CultureInfo.InvariantCulture)} {units[unit]}";
    }
}
