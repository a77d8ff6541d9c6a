using System.Globalization;
using Emulator.Block.Backend;

namespace Emulator.Block.Graph;

/// <summary>Option values as qemu-img reads them: sizes with k/M/G/T/P/E suffixes (powers of 1024) and on/off switches. Bad values throw <see cref="BlockOperationException"/>.</summary>
public static class ImageOptionValues
{
    private const string SizeHint = "Invalid image size specified. You may use k, M, G, T, P or E suffixes for kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.";

    /// <summary>A byte count: a decimal number (fractions allowed: <c>1.5G</c>) with an optional b/k/M/G/T/P/E suffix (powers of 1024), rounded down to a whole byte.</summary>
    /// <exception cref="BlockOperationException">Not a size, or 8 EiB or more.</exception>
    public static long ParseSize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            throw new BlockOperationException(SizeHint);
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
            throw new BlockOperationException(SizeHint);
        }

        try
        {
            return checked((long)(value * (1L << Math.Max(shift, 0))));
        }
        catch (OverflowException)
        {
            throw new BlockOperationException("Image size must be less than 8 EiB!");
        }
    }

    /// <summary>An on/off option (absent = off).</summary>
    public static bool ParseSwitch(string? value, string name) => value switch
    {
        null or "off" or "false" => false,
        "on" or "true" => true,
        _ => throw new BlockOperationException($"Parameter '{name}' expects 'on' or 'off'"),
    };
}
