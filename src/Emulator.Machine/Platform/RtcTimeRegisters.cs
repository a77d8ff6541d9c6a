namespace Emulator.Machine.Platform;

/// <summary>
/// The MC146818 time and calendar bytes (seconds, minutes, hours, day of week, day of month,
/// month, year, and the PC century byte) as a set: filling them from an instant, and reading an
/// instant back from whatever the guest stored while the clock was stopped. Impossible values
/// roll over the way C's mktime does (day 31 of February is 2 or 3 March, second 60 is the next
/// minute), which is what QEMU's RTC does when the clock restarts.
/// </summary>
internal static class RtcTimeRegisters
{
    private const int YearsPerCentury = 100;

    /// <summary>
    /// Composed years are kept where every rollover (up to 255 months, days, hours … in binary
    /// mode, or month and day 0) stays inside <see cref="DateTime"/>'s range.
    /// </summary>
    private const int MinComposedYear = 2;

    private const int MaxComposedYear = 9970;

    private static readonly CmosOffset[] Fields =
    [
        CmosOffset.Seconds, CmosOffset.Minutes, CmosOffset.Hours, CmosOffset.DayOfWeek,
        CmosOffset.DayOfMonth, CmosOffset.Month, CmosOffset.Year, CmosOffset.Century,
    ];

    public static bool IsTimeRegister(CmosOffset offset) => offset is CmosOffset.Seconds or CmosOffset.Minutes
        or CmosOffset.Hours or CmosOffset.DayOfWeek or CmosOffset.DayOfMonth or CmosOffset.Month
        or CmosOffset.Year or CmosOffset.Century;

    /// <summary>One time register's value for <paramref name="time"/> in the given encoding.</summary>
    public static byte Encode(CmosOffset field, DateTime time, RtcEncoding format) => field switch
    {
        CmosOffset.Seconds => format.Encode(time.Second),
        CmosOffset.Minutes => format.Encode(time.Minute),
        CmosOffset.Hours => format.EncodeHour(time.Hour),
        CmosOffset.DayOfWeek => format.Encode((int)time.DayOfWeek + 1),
        CmosOffset.DayOfMonth => format.Encode(time.Day),
        CmosOffset.Month => format.Encode(time.Month),
        CmosOffset.Year => format.Encode(time.Year % YearsPerCentury),
        _ => format.Encode(time.Year / YearsPerCentury),
    };

    /// <summary>Stores every time register of <paramref name="time"/> into <paramref name="ram"/>.</summary>
    public static void Fill(Span<byte> ram, DateTime time, RtcEncoding format)
    {
        foreach (var field in Fields)
        {
            ram[(int)field] = Encode(field, time, format);
        }
    }

    /// <summary>
    /// The instant the time registers in <paramref name="ram"/> name, with out-of-range fields
    /// rolled over into the next larger unit; the day of week is ignored.
    /// </summary>
    public static DateTime Compose(ReadOnlySpan<byte> ram, RtcEncoding format)
    {
        var year = (format.Decode(ram[(int)CmosOffset.Century]) * YearsPerCentury) + format.Decode(ram[(int)CmosOffset.Year]);
        var start = new DateTime(Math.Clamp(year, MinComposedYear, MaxComposedYear), 1, 1, 0, 0, 0, DateTimeKind.Utc);
        return start
            .AddMonths(format.Decode(ram[(int)CmosOffset.Month]) - 1)
            .AddDays(format.Decode(ram[(int)CmosOffset.DayOfMonth]) - 1)
            .AddHours(format.DecodeHour(ram[(int)CmosOffset.Hours]))
            .AddMinutes(format.Decode(ram[(int)CmosOffset.Minutes]))
            .AddSeconds(format.Decode(ram[(int)CmosOffset.Seconds]));
    }
}
