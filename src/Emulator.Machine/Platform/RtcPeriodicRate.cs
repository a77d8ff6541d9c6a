using Emulator.Machine.Timers;

namespace Emulator.Machine.Platform;

/// <summary>
/// MC146818 periodic interrupt rates (datasheet, "Periodic Interrupt Rate" table) and the
/// 32.768 kHz time base they count in, with exact conversions to and from virtual nanoseconds
/// (a period such as 32 cycles, 976 562.5 ns, is not a whole number of nanoseconds).
/// </summary>
internal static class RtcPeriodicRate
{
    public const long BaseHz = 32_768;

    private const long NsPerSecond = VirtualClock.NanosecondsPerSecond;
    private const int RateBelowEightShift = 7;
    private const int SmallRateLimit = 2;

    /// <summary>The period of register A's rate select in 32.768 kHz cycles, or 0 when it is 0 (off).</summary>
    public static int Clocks(byte statusA)
    {
        var rate = statusA & (int)RtcStatusA.RateMask;
        if (rate == 0)
        {
            return 0;
        }

        // Rates 1 and 2 repeat rates 8 and 9, as with a 32.768 kHz time base.
        var shift = rate <= SmallRateLimit ? rate + RateBelowEightShift : rate;
        return 1 << (shift - 1);
    }

    /// <summary>Whole 32.768 kHz cycles in <paramref name="ns"/> (rounded down).</summary>
    public static long NsToClocks(long ns) =>
        ((ns / NsPerSecond) * BaseHz) + ((ns % NsPerSecond) * BaseHz / NsPerSecond);

    /// <summary>Nanoseconds in <paramref name="clocks"/> 32.768 kHz cycles (rounded down).</summary>
    public static long ClocksToNs(long clocks) =>
        ((clocks / BaseHz) * NsPerSecond) + ((clocks % BaseHz) * NsPerSecond / BaseHz);
}
