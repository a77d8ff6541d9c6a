using Emulator.Cli.Profile;

namespace Emulator.Cli.Tests.Profile;

public class LatencyHistogramTests
{
    [TestCase(50, 500_000)]
    [TestCase(90, 900_000)]
    [TestCase(99, 990_000)]
    public void Percentile_Uniform1To1M_WithinOneSixteenth(double percentile, long exact)
    {
        var histogram = new LatencyHistogram();
        for (long v = 1; v <= 1_000_000; v++)
        {
            histogram.Record(v);
        }

        var reported = histogram.Percentile(percentile);

        Assert.That(reported, Is.InRange(exact, exact + (exact / 16)));
    }

    [Test]
    public void Percentile_SmallValues_Exact()
    {
        var histogram = new LatencyHistogram();
        foreach (var v in new long[] { 3, 1, 2, 9, 4 })
        {
            histogram.Record(v);
        }

        Assert.That(new[] { histogram.Percentile(20), histogram.Percentile(60), histogram.Percentile(100) }, Is.EqualTo(new long[] { 1, 3, 9 }));
    }

    [Test]
    public void Percentile_Max_NeverAboveTheExactMaximum()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(1_000_001);

        Assert.That(histogram.Percentile(100), Is.EqualTo(1_000_001));
        Assert.That(histogram.Max, Is.EqualTo(1_000_001));
    }

    [TestCase(0L)]
    [TestCase(15L)]
    [TestCase(16L)]
    [TestCase(12_345_678L)]
    [TestCase(long.MaxValue)]
    public void Buckets_EveryValue_FallsAtOrBelowItsBucketsUpperBound(long value)
    {
        var index = LatencyHistogram.IndexOf(value);

        Assert.That(LatencyHistogram.UpperBound(index), Is.GreaterThanOrEqualTo(value));
        Assert.That(index == 0 || LatencyHistogram.UpperBound(index - 1) < value, Is.True);
    }
}
