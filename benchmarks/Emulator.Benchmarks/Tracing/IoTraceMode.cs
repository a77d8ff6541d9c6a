namespace Emulator.Benchmarks.Tracing;

/// <summary>What an I/O-path benchmark runs with.</summary>
public enum IoTraceMode
{
    /// <summary>No session: every stamp site is one branch.</summary>
    Off,

    /// <summary>A session whose records are drained and discarded: the stamps' own cost on the I/O path.</summary>
    Rings,

    /// <summary>The whole <c>--io-trace</c> pipeline, JSON to <see cref="Stream.Null"/>: stamps plus the exporter competing for cores.</summary>
    File,
}
