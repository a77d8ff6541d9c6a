namespace Emulator.Block.Tracing;

/// <summary>Where a session's records go (a trace file, the EventSource …). Called on the collector's thread only.</summary>
internal interface IIoTraceSink
{
    /// <summary>Records in host-time order (within the collector's reorder window).</summary>
    void OnEntries(ReadOnlySpan<IoTraceEntry> entries);

    /// <summary>The session ended; <paramref name="dropped"/> records were lost to full rings.</summary>
    void Complete(long dropped);
}
