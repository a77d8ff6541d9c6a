namespace Emulator.Block.Tracing;

/// <summary>
/// Per thread (<see cref="IoTrace"/>'s thread-static state): the reading the last stamp lent to the next one,
/// and a decode waiting for its submit. Both are tied to the session they were made in, so nothing made
/// before a session started is shared into it.
/// </summary>
internal struct IoTraceSharedReading
{
    public long Ticks;
    public long Span;
    public int Node;
    public int Session;
    public IoTraceSharedReadingKind Kind;
    public bool DecodedPending;
    public int DecodedTrack;
    public int DecodedSession;
}
