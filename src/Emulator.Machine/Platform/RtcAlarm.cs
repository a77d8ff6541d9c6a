namespace Emulator.Machine.Platform;

/// <summary>
/// MC146818 alarm comparison (datasheet, "Alarm"): the seconds, minutes and hours alarm bytes
/// (0x01, 0x03, 0x05) compare as stored with the time bytes in the current encoding, so in
/// 12-hour mode the PM bit counts; a byte with its two top bits set (0xC0-0xFF) is "don't care".
/// </summary>
internal static class RtcAlarm
{
    private const byte DontCare = 0xC0;
    private const int SecondsPerMinute = 60;
    private const int MinutesPerHour = 60;
    private const int HoursPerDay = 24;

    /// <summary>True when the alarm matches the time bytes of <paramref name="time"/>.</summary>
    public static bool Matches(ReadOnlySpan<byte> ram, DateTime time, RtcEncoding format) =>
        FieldMatches(ram, CmosOffset.SecondsAlarm, CmosOffset.Seconds, time, format)
        && FieldMatches(ram, CmosOffset.MinutesAlarm, CmosOffset.Minutes, time, format)
        && FieldMatches(ram, CmosOffset.HoursAlarm, CmosOffset.Hours, time, format);

    /// <summary>
    /// Whole seconds from the second of <paramref name="now"/> to the next second the alarm matches
    /// (1 … 86400), or null when a byte can never match (a value no time byte takes).
    /// </summary>
    public static long? SecondsToNext(ReadOnlySpan<byte> ram, DateTime now, RtcEncoding format)
    {
        if (!CanMatch(ram[(int)CmosOffset.SecondsAlarm], SecondsPerMinute, hours: false, format)
            || !CanMatch(ram[(int)CmosOffset.MinutesAlarm], MinutesPerHour, hours: false, format)
            || !CanMatch(ram[(int)CmosOffset.HoursAlarm], HoursPerDay, hours: true, format))
        {
            return null;
        }

        var second = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        var candidate = second.AddSeconds(1);
        var limit = second.AddDays(1);

        // Every byte can match, so whole hours and minutes are skipped: at most ~150 steps.
        while (candidate <= limit)
        {
            if (!FieldMatches(ram, CmosOffset.HoursAlarm, CmosOffset.Hours, candidate, format))
            {
                candidate = candidate.AddTicks(-(candidate.Ticks % TimeSpan.TicksPerHour)).AddHours(1);
            }
            else if (!FieldMatches(ram, CmosOffset.MinutesAlarm, CmosOffset.Minutes, candidate, format))
            {
                candidate = candidate.AddTicks(-(candidate.Ticks % TimeSpan.TicksPerMinute)).AddMinutes(1);
            }
            else if (!FieldMatches(ram, CmosOffset.SecondsAlarm, CmosOffset.Seconds, candidate, format))
            {
                candidate = candidate.AddSeconds(1);
            }
            else
            {
                return (candidate - second).Ticks / TimeSpan.TicksPerSecond;
            }
        }

        return null;
    }

    private static bool FieldMatches(ReadOnlySpan<byte> ram, CmosOffset alarm, CmosOffset field, DateTime time, RtcEncoding format)
    {
        var value = ram[(int)alarm];
        return (value & DontCare) == DontCare || value == RtcTimeRegisters.Encode(field, time, format);
    }

    /// <summary>True when the alarm byte is "don't care" or equals the encoding of some value of its field.</summary>
    private static bool CanMatch(byte value, int fieldValues, bool hours, RtcEncoding format)
    {
        if ((value & DontCare) == DontCare)
        {
            return true;
        }

        for (var v = 0; v < fieldValues; v++)
        {
            if ((hours ? format.EncodeHour(v) : format.Encode(v)) == value)
            {
                return true;
            }
        }

        return false;
    }
}
