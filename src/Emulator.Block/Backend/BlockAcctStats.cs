using System.Diagnostics;

namespace Emulator.Block.Backend;

/// <summary>
/// Per-backend I/O accounting (QEMU's <c>BlockAcctStats</c>). The backend accounts every
/// asynchronous request when it delivers the completion, on the machine thread, so no counter is
/// shared between threads. Devices add merged counts themselves (<see cref="AccountMerged"/>).
/// </summary>
public sealed class BlockAcctStats
{
    private const int Classes = 4;
    private readonly long[] _bytes = new long[Classes];
    private readonly long[] _operations = new long[Classes];
    private readonly long[] _failed = new long[Classes];
    private readonly long[] _invalid = new long[Classes];
    private readonly long[] _merged = new long[Classes];
    private readonly long[] _totalTimeNs = new long[Classes];
    private long _lastAccessTimestamp = -1;

    /// <summary>The highest byte offset written so far (end of the furthest write), <c>wr_highest_offset</c>.</summary>
    public long WriteHighestOffset { get; private set; }

    /// <summary>A snapshot of the counters of one request class (copied, so later requests do not change it). Machine thread.</summary>
    public BlockAcctCounters this[BlockAcctType type]
    {
        get
        {
            var i = (int)type;
            return new BlockAcctCounters(_bytes[i], _operations[i], _failed[i], _invalid[i], _merged[i], _totalTimeNs[i]);
        }
    }

    /// <summary>Nanoseconds since the last completed access, or null if there was none (<c>idle_time_ns</c> is then omitted).</summary>
    public long? IdleTimeNs => _lastAccessTimestamp < 0
        ? null
        : (long)Stopwatch.GetElapsedTime(_lastAccessTimestamp).TotalNanoseconds;

    /// <summary>Adds <paramref name="count"/> requests that a device merged into others.</summary>
    public void AccountMerged(BlockAcctType type, long count) => _merged[(int)type] += count;

    /// <summary>Counts a request the device refused before submitting it (bad range or alignment: QEMU's block_acct_invalid).</summary>
    public void AccountInvalid(BlockAcctType type) => Invalid(type);

    internal void Done(BlockAcctType type, long bytes, long startTimestamp, long endTimestamp)
    {
        var i = (int)type;
        _bytes[i] += bytes;
        _operations[i]++;
        _totalTimeNs[i] += ElapsedNs(startTimestamp, endTimestamp);
        _lastAccessTimestamp = endTimestamp;
    }

    internal void Failed(BlockAcctType type, long startTimestamp, long endTimestamp)
    {
        var i = (int)type;
        _failed[i]++;
        _totalTimeNs[i] += ElapsedNs(startTimestamp, endTimestamp);
        _lastAccessTimestamp = endTimestamp;
    }

    internal void Invalid(BlockAcctType type) => _invalid[(int)type]++;

    internal void WroteUpTo(long end)
    {
        if (end > WriteHighestOffset)
        {
            WriteHighestOffset = end;
        }
    }

    private static long ElapsedNs(long start, long end) =>
        (long)((end - start) * (1_000_000_000.0 / Stopwatch.Frequency));
}
