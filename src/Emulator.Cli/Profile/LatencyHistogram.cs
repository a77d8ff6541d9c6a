namespace Emulator.Cli.Profile;

/// <summary>
/// A log-linear histogram of non-negative values (nanoseconds): exact below 16, then 16 linear buckets
/// per power of two, so any recorded value lies within 1/16 (6.25 %) of its bucket's bounds. Percentiles
/// report the bucket's upper bound (never above the exact maximum), as HdrHistogram does.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 4;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int Octaves = 64 - SubBucketBits;

    private readonly long[] _counts = new long[SubBuckets + (Octaves * SubBuckets)];

    public long Count { get; private set; }

    public long Max { get; private set; }

    public long Min { get; private set; } = long.MaxValue;

    public void Record(long value)
    {
        value = Math.Max(0, value);
        _counts[IndexOf(value)]++;
        Count++;
        Max = Math.Max(Max, value);
        Min = Math.Min(Min, value);
    }

    /// <summary>The smallest bucket bound below which <paramref name="percentile"/> % of the values lie; 0 when empty.</summary>
    public long Percentile(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100.0 * Count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(UpperBound(i), Max);
            }
        }

        return Max;
    }

    internal static int IndexOf(long value)
    {
        if (value < SubBuckets)
        {
            return (int)value;
        }

        var exponent = 63 - (int)long.LeadingZeroCount(value);
        var sub = (int)((value >> (exponent - SubBucketBits)) & (SubBuckets - 1));
        return SubBuckets + ((exponent - SubBucketBits) * SubBuckets) + sub;
    }

    /// <summary>The largest value that falls in bucket <paramref name="index"/>.</summary>
    internal static long UpperBound(int index)
    {
        if (index < SubBuckets)
        {
            return index;
        }

        var octave = (index - SubBuckets) / SubBuckets;
        var sub = (index - SubBuckets) % SubBuckets;
        var exponent = octave + SubBucketBits;
        var width = 1L << (exponent - SubBucketBits);
        var lower = (1L << exponent) + (sub * width);
        return lower + width - 1;
    }
}
