namespace Emulator.Cli.Profile;

/// <summary>The requests of one device queue and operation, with a wall and a virtual histogram per phase.</summary>
internal sealed class ProfileGroup(string device, string op)
{
    public string Device { get; } = device;

    public string Op { get; } = op;

    public long Count { get; set; }

    public long Bytes { get; set; }

    public long Failed { get; set; }

    public double FirstStartUs { get; set; } = double.MaxValue;

    public double LastEndUs { get; set; } = double.MinValue;

    public long FirstStartVns { get; set; } = long.MaxValue;

    public long LastEndVns { get; set; } = long.MinValue;

    public LatencyHistogram QueueDepth { get; } = new();

    public LatencyHistogram GuestInstructions { get; } = new();

    /// <summary>Per phase (same order as <see cref="ProfilePhase.All"/>): wall ns and virtual ns.</summary>
    public (LatencyHistogram Wall, LatencyHistogram Virtual)[] Phases { get; } =
        ProfilePhase.All.Select(_ => (new LatencyHistogram(), new LatencyHistogram())).ToArray();

    /// <summary>
    /// Per phase: requests whose phase was not measured because both ends were stamped with one clock
    /// reading (docs/io-tracing.md, "Shared readings"); they are left out of that phase's histograms.
    /// </summary>
    public long[] PhaseOneReading { get; } = new long[ProfilePhase.All.Count];

    /// <summary>Consecutive stages stamped with one clock reading ("decoded = submitted"), with how many requests did so.</summary>
    public SortedDictionary<string, long> SharedReadings { get; } = new(StringComparer.Ordinal);

    /// <summary>Wall latency of each request from its first stage to delivery (µs), for the latency histogram plot.</summary>
    public List<double> ServiceMicros { get; } = [];

    /// <summary>Request start times (µs) and sizes, for the throughput time series.</summary>
    public List<(double StartUs, double EndUs, long Bytes, int QueueDepth)> Timeline { get; } = [];
}
