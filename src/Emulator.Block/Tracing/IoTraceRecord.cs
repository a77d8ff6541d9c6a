using System.Runtime.InteropServices;

namespace Emulator.Block.Tracing;

/// <summary>
/// One stamp, 64 bytes, written by value into a per-thread ring. Which fields mean something depends on
/// <see cref="Stage"/>: track events fill <see cref="Track"/>; span events fill <see cref="Span"/> (and
/// Submitted the request's description); driver events name the node in <see cref="Name"/>.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct IoTraceRecord
{
    // The stage shares its byte with the shared-reading flag, keeping the record at 64 bytes.
    private const byte StageMask = 0x7F;
    private const byte SharedReadingBit = 0x80;

    /// <summary>Host time, <see cref="System.Diagnostics.Stopwatch"/> ticks.</summary>
    public long HostTicks { get; init; }

    /// <summary>Virtual time in nanoseconds (slice-granular inside a port access).</summary>
    public long VirtualNs { get; init; }

    /// <summary>Guest instructions executed so far (slice-granular inside a port access).</summary>
    public long Instructions { get; init; }

    /// <summary>The span (request) id; 0 for track events and for driver work outside a traced request.</summary>
    public long Span { get; init; }

    public long Offset { get; init; }

    public long Length { get; init; }

    /// <summary>The device queue (<see cref="IoTrace.RegisterTrack"/>); -1 when none.</summary>
    public int Track { get; init; }

    /// <summary>A registered name: the drive for Submitted, the node for driver events; -1 when none.</summary>
    public int Name { get; init; }

    /// <summary>Requests in flight on the backend at submit.</summary>
    public int QueueDepth { get; init; }

    private readonly byte _stage;

    public IoTraceStage Stage
    {
        get => (IoTraceStage)(_stage & StageMask);
        init => _stage = (byte)((_stage & SharedReadingBit) | ((byte)value & StageMask));
    }

    /// <summary>
    /// This record's host time is the previous record's on the same thread: one clock reading stamps
    /// two stages that follow each other in one synchronous call chain (docs/io-tracing.md, "Shared
    /// readings"), so the time between them is not measured, not zero.
    /// </summary>
    public bool SharesPreviousReading
    {
        get => (_stage & SharedReadingBit) != 0;
        init => _stage = (byte)(value ? _stage | SharedReadingBit : _stage & StageMask);
    }

    public IoTraceOp Op { get; init; }

    /// <summary>The block error as a number (0 = success), or <see cref="IoTrace.ResultPending"/>.</summary>
    public short Result { get; init; }
}
