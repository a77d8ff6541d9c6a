using System.Diagnostics;
using System.Runtime.CompilerServices;
using Emulator.Block.Backend;

namespace Emulator.Block.Tracing;

/// <summary>
/// The one interface through which devices, the backend and drivers stamp the stages of a guest request
/// (docs/io-tracing.md). Every stamp site checks <see cref="Enabled"/> first, so tracing off costs one
/// predictable branch and allocates nothing; on, a stamp writes one 64-byte record into the calling
/// thread's ring. Process-wide, like an EventSource: one session at a time (<see cref="IoTraceCollector"/>).
/// Device-side stamps are <em>track events</em> (a device knows its queue, not which backend operation a
/// doorbell becomes); the span assembler attributes them to spans by their order on the track.
/// </summary>
public static class IoTrace
{
    /// <summary>DriverEnd result of an operation that went asynchronous (its end is the span's Queued stamp).</summary>
    public const short ResultPending = -1;

    /// <summary>DriverEnd result of a no-wait attempt that could not complete without blocking.</summary>
    public const short ResultNotDone = -2;

    private static readonly Lock RegistryLock = new();
    private static readonly List<string> NameTable = [];
    private static readonly Dictionary<string, int> NameIndex = new(StringComparer.Ordinal);
    private static readonly List<IoTraceRing> RingList = [];
    private static volatile bool s_enabled;
    private static bool[] s_interruptOutstanding = new bool[16];
    private static long s_nextSpan;

    [ThreadStatic]
    private static IoTraceRing? t_ring;

    [ThreadStatic]
    private static long t_currentSpan;

    /// <summary>True while a session records. The only thing a stamp site reads when tracing is off.</summary>
    public static bool Enabled
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => s_enabled;
    }

    /// <summary>The machine's clocks; null stamps zero virtual time and instructions.</summary>
    public static IIoTraceClock? Clock { get; set; }

    /// <summary>Registers a device queue ("ide0", "virtio-blk0/q1" …) once, when the device is built; returns its id.</summary>
    public static int RegisterTrack(string name)
    {
        Export.IoTraceObservers.Register();
        var id = RegisterName(name);
        lock (RegistryLock)
        {
            if (id >= s_interruptOutstanding.Length)
            {
                var grown = new bool[Math.Max(id + 1, s_interruptOutstanding.Length * 2)];
                s_interruptOutstanding.CopyTo(grown, 0);
                s_interruptOutstanding = grown;
            }
        }

        return id;
    }

    /// <summary>Interns a name (track, drive, node) once, off the I/O path; returns its id.</summary>
    public static int RegisterName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (RegistryLock)
        {
            if (!NameIndex.TryGetValue(name, out var id))
            {
                id = NameTable.Count;
                NameTable.Add(name);
                NameIndex.Add(name, id);
            }

            return id;
        }
    }

    /// <summary>The name registered as <paramref name="id"/>, or "" for -1 or an unknown id.</summary>
    public static string NameOf(int id)
    {
        lock (RegistryLock)
        {
            return id >= 0 && id < NameTable.Count ? NameTable[id] : string.Empty;
        }
    }

    /// <summary>The guest rang the doorbell of <paramref name="track"/>. Machine thread.</summary>
    public static void Doorbell(int track)
    {
        if (s_enabled)
        {
            TrackEvent(IoTraceStage.Doorbell, track);
        }
    }

    /// <summary>The device decoded a request of <paramref name="track"/> (PRD table or chain walked). Machine thread.</summary>
    public static void Decoded(int track)
    {
        if (s_enabled)
        {
            TrackEvent(IoTraceStage.Decoded, track);
        }
    }

    /// <summary>The device raised its interrupt for <paramref name="track"/>. Machine thread.</summary>
    public static void Interrupt(int track)
    {
        if (s_enabled)
        {
            s_interruptOutstanding[track] = true;
            TrackEvent(IoTraceStage.Interrupt, track);
        }
    }

    /// <summary>The guest acknowledged: recorded only while an interrupt of <paramref name="track"/> is outstanding, so polling does not flood the ring.</summary>
    public static void Acknowledge(int track)
    {
        if (s_enabled && s_interruptOutstanding[track])
        {
            s_interruptOutstanding[track] = false;
            TrackEvent(IoTraceStage.Acknowledged, track);
        }
    }

    internal static IReadOnlyList<IoTraceRing> Rings
    {
        get
        {
            lock (RegistryLock)
            {
                return RingList.ToArray();
            }
        }
    }

    /// <summary>Turns recording on or off (the collector's job); starting discards what the rings still hold.</summary>
    internal static void SetEnabled(bool enabled)
    {
        if (enabled)
        {
            lock (RegistryLock)
            {
                foreach (var ring in RingList)
                {
                    ring.Discard();
                }

                Array.Clear(s_interruptOutstanding);
            }
        }

        s_enabled = enabled;
    }

    /// <summary>Opens the span of <paramref name="request"/> (backend submit). Caller checked <see cref="Enabled"/>.</summary>
    internal static void Submitted(BlockRequest request, int drive, int queueDepth)
    {
        var span = Interlocked.Increment(ref s_nextSpan);
        request.TraceSpan = span;
        Write(IoTraceStage.Submitted, span, request.TraceTrack, drive, OpOf(request.Kind), request.Offset, request.Length, queueDepth);
    }

    /// <summary>A span event (Queued, Delivered). Caller checked <see cref="Enabled"/>.</summary>
    internal static void SpanEvent(IoTraceStage stage, long span, short result = 0)
    {
        if (span != 0)
        {
            Write(stage, span, -1, -1, result: result);
        }
    }

    /// <summary>The span that driver stamps on this thread belong to (set by the backend around a driver call).</summary>
    internal static long CurrentSpan
    {
        get => t_currentSpan;
        set => t_currentSpan = value;
    }

    /// <summary>Node <paramref name="node"/> starts <paramref name="op"/>. Caller checked <see cref="Enabled"/>.</summary>
    internal static void DriverBegin(int node, IoTraceOp op, long offset, long length) =>
        Write(IoTraceStage.DriverBegin, t_currentSpan, -1, node, op, offset, length);

    /// <summary>Node <paramref name="node"/> ends <paramref name="op"/> with <paramref name="result"/>. Caller checked <see cref="Enabled"/>.</summary>
    internal static void DriverEnd(int node, IoTraceOp op, short result) =>
        Write(IoTraceStage.DriverEnd, t_currentSpan, -1, node, op, result: result);

    /// <summary>
    /// Stamps the end of a node operation: the result if it finished inline (handed back as a plain value,
    /// since a source-backed ValueTask may be consumed only once), <see cref="ResultPending"/> otherwise.
    /// </summary>
    internal static ValueTask<BlockError> DriverEnd(int node, IoTraceOp op, ValueTask<BlockError> operation)
    {
        if (!operation.IsCompleted)
        {
            DriverEnd(node, op, ResultPending);
            return operation;
        }

        var result = operation.Result;
        DriverEnd(node, op, (short)result);
        return new ValueTask<BlockError>(result);
    }

    internal static IoTraceOp OpOf(BlockRequestKind kind) => kind switch
    {
        BlockRequestKind.Read => IoTraceOp.Read,
        BlockRequestKind.Write => IoTraceOp.Write,
        BlockRequestKind.Flush => IoTraceOp.Flush,
        BlockRequestKind.Discard => IoTraceOp.Discard,
        _ => IoTraceOp.WriteZeroes,
    };

    private static void TrackEvent(IoTraceStage stage, int track) => Write(stage, 0, track, -1);

    /// <summary>
    /// Fills in the clocks and writes the record into this thread's ring. The record is built once and passed
    /// by reference; the host clock read dominates the cost (Stopwatch ticks: ~20 ns with a vDSO clock,
    /// ~170 ns measured in this project's Firecracker VMs, where clock_gettime is a system call).
    /// </summary>
    private static void Write(IoTraceStage stage, long span, int track, int name, IoTraceOp op = IoTraceOp.None, long offset = 0, long length = 0, int queueDepth = 0, short result = 0)
    {
        var clock = Clock;
        var record = new IoTraceRecord
        {
            HostTicks = Stopwatch.GetTimestamp(),
            VirtualNs = clock?.VirtualNanoseconds ?? 0,
            Instructions = clock?.GuestInstructions ?? 0,
            Stage = stage,
            Span = span,
            Track = track,
            Name = name,
            Op = op,
            Offset = offset,
            Length = length,
            QueueDepth = queueDepth,
            Result = result,
        };
        (t_ring ?? AttachRing()).Write(in record);
    }

    /// <summary>This thread's first stamp: its ring, allocated once and kept for the life of the thread.</summary>
    private static IoTraceRing AttachRing()
    {
        lock (RegistryLock)
        {
            var thread = Thread.CurrentThread;
            var ring = new IoTraceRing(RingList.Count, thread.Name ?? $"thread {thread.ManagedThreadId}");
            RingList.Add(ring);
            t_ring = ring;
            return ring;
        }
    }
}
