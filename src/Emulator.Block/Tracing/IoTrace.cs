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

    private static int s_session;
    private static IIoTraceClock? s_clock;

    /// <summary><see cref="TakeReading"/>: an offer from any node of the span will do.</summary>
    private const int AnyNode = int.MinValue;

    [ThreadStatic]
    private static IoTraceRing? t_ring;

    [ThreadStatic]
    private static long t_currentSpan;

    [ThreadStatic]
    private static IoTraceSharedReading t_shared;

    /// <summary>True while a session records. The only thing a stamp site reads when tracing is off.</summary>
    public static bool Enabled
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => s_enabled;
    }

    /// <summary>
    /// The machine's clocks; null stamps zero virtual time and instructions. The host installs them with the
    /// machine, not with a session, so a session a tool starts (dotnet-trace, dotnet-counters) has them too.
    /// </summary>
    public static IIoTraceClock? Clock
    {
        get => Volatile.Read(ref s_clock);
        set => Volatile.Write(ref s_clock, value);
    }

    /// <summary>Uninstalls <paramref name="clock"/> if it is still the one installed (a host that goes away; another may have replaced it).</summary>
    public static void ReleaseClock(IIoTraceClock clock) => Interlocked.CompareExchange(ref s_clock, null, clock);

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

    /// <summary>
    /// The device decoded a request of <paramref name="track"/> (PRD table or chain walked) and is about to
    /// submit it. Machine thread. The record waits for the <c>BlockBackend.Submit</c> that follows on this
    /// thread and takes its clock reading (docs/io-tracing.md, "Shared readings"); any other stamp first
    /// writes a decode still waiting with a reading of its own, so none is lost.
    /// </summary>
    public static void Decoded(int track)
    {
        if (s_enabled)
        {
            ref var shared = ref t_shared;
            if (shared.DecodedPending)
            {
                FlushDecoded(ref shared);
            }

            shared.DecodedPending = true;
            shared.DecodedTrack = track;
            shared.DecodedSession = s_session;
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

            // Readings and decodes a thread kept from an earlier session are never shared into this one.
            Interlocked.Increment(ref s_session);
        }

        s_enabled = enabled;
    }

    /// <summary>
    /// Opens the span of <paramref name="request"/> (backend submit), at <paramref name="hostTicks"/>: the
    /// reading the backend took for its own accounting. A decode of the request's track waiting on this
    /// thread (<see cref="Decoded"/>) is written first with the same reading. Caller checked <see cref="Enabled"/>.
    /// </summary>
    internal static void Submitted(BlockRequest request, int drive, int queueDepth, long hostTicks)
    {
        var span = Interlocked.Increment(ref s_nextSpan);
        request.TraceSpan = span;
        ref var shared = ref t_shared;
        var decoded = shared.DecodedPending && shared.DecodedTrack == request.TraceTrack && shared.DecodedSession == s_session;
        if (decoded)
        {
            shared.DecodedPending = false;
            Write(hostTicks, false, IoTraceStage.Decoded, 0, request.TraceTrack, -1);
        }

        Write(hostTicks, decoded, IoTraceStage.Submitted, span, request.TraceTrack, drive, OpOf(request.Kind), request.Offset, request.Length, queueDepth);
    }

    /// <summary>
    /// The completion of <paramref name="span"/> was queued for the machine thread. When the end of the
    /// backend's root node (<paramref name="rootNode"/>) was the previous stamp on this thread — the driver
    /// finished inline and the backend posted at once — that reading is shared. Caller checked <see cref="Enabled"/>.
    /// </summary>
    internal static void Queued(long span, int rootNode)
    {
        if (span != 0)
        {
            var reuse = TakeReading(IoTraceSharedReadingKind.End, span, rootNode, out var ticks);
            Write(ticks, reuse, IoTraceStage.Queued, span, -1, -1);
        }
    }

    /// <summary>The completion of <paramref name="span"/> was delivered at <paramref name="hostTicks"/> (the backend's accounting reading). Caller checked <see cref="Enabled"/>.</summary>
    internal static void Delivered(long span, short result, long hostTicks)
    {
        if (span != 0)
        {
            Write(hostTicks, false, IoTraceStage.Delivered, span, -1, -1, result: result);
        }
    }

    /// <summary>The span that driver stamps on this thread belong to (set by the backend around a driver call).</summary>
    internal static long CurrentSpan
    {
        get => t_currentSpan;
        set => t_currentSpan = value;
    }

    /// <summary>
    /// Node <paramref name="node"/> starts <paramref name="op"/>. A node that hands every request straight to
    /// its child (<paramref name="forwards"/>, raw) leaves its reading for the child's start, the next stamp
    /// on this thread; a start that follows such a parent's takes it. Caller checked <see cref="Enabled"/>.
    /// </summary>
    internal static void DriverBegin(int node, IoTraceOp op, long offset, long length, bool forwards = false)
    {
        var span = t_currentSpan;
        var reuse = TakeReading(IoTraceSharedReadingKind.Begin, span, AnyNode, out var ticks);
        Write(ticks, reuse, IoTraceStage.DriverBegin, span, -1, node, op, offset, length);
        if (forwards)
        {
            Offer(IoTraceSharedReadingKind.Begin, span, node, ticks);
        }
    }

    /// <summary>
    /// Node <paramref name="node"/> ends <paramref name="op"/> with <paramref name="result"/>. A forwarding
    /// node's end takes the reading of its child's end (the previous stamp on this thread); an end that
    /// finished (not <see cref="ResultPending"/>) leaves its reading for the next stamp, which takes it only
    /// if it is a forwarding parent's end or the backend's queued stamp for this root node. Caller checked <see cref="Enabled"/>.
    /// </summary>
    internal static void DriverEnd(int node, IoTraceOp op, short result, bool forwards = false)
    {
        var span = t_currentSpan;
        long ticks;
        var reuse = false;
        if (forwards)
        {
            reuse = TakeReading(IoTraceSharedReadingKind.End, span, AnyNode, out ticks);
        }
        else
        {
            ticks = ReadClock();
        }

        Write(ticks, reuse, IoTraceStage.DriverEnd, span, -1, node, op, result: result);
        if (result != ResultPending)
        {
            Offer(IoTraceSharedReadingKind.End, span, node, ticks);
        }
    }

    /// <summary>
    /// Stamps the end of a node operation: the result if it finished inline (handed back as a plain value,
    /// since a source-backed ValueTask may be consumed only once), <see cref="ResultPending"/> otherwise.
    /// </summary>
    internal static ValueTask<BlockError> DriverEnd(int node, IoTraceOp op, ValueTask<BlockError> operation, bool forwards = false)
    {
        if (!operation.IsCompleted)
        {
            DriverEnd(node, op, ResultPending, forwards);
            return operation;
        }

        var result = operation.Result;
        DriverEnd(node, op, (short)result, forwards);
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

    private static void TrackEvent(IoTraceStage stage, int track) => Write(ReadClock(), false, stage, 0, track, -1);

    /// <summary>The host clock (Stopwatch ticks); the one costly part of a stamp (docs/io-tracing.md, "What it costs").</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long ReadClock() => Stopwatch.GetTimestamp();

    /// <summary>
    /// Takes the reading the previous stamp on this thread left, when it was offered for a stamp of this kind
    /// (begin/end) of this span by <paramref name="node"/> (or by any, <see cref="AnyNode"/>), in this session;
    /// otherwise reads the clock. Either way the offer is spent: a reading is shared with the next stamp only.
    /// </summary>
    private static bool TakeReading(IoTraceSharedReadingKind kind, long span, int node, out long ticks)
    {
        ref var shared = ref t_shared;
        var offered = shared.Kind;
        shared.Kind = IoTraceSharedReadingKind.None;
        if (offered == kind && shared.Span == span && span != 0 && (node == AnyNode || shared.Node == node) && shared.Session == s_session)
        {
            ticks = shared.Ticks;
            return true;
        }

        ticks = ReadClock();
        return false;
    }

    private static void Offer(IoTraceSharedReadingKind kind, long span, int node, long ticks)
    {
        ref var shared = ref t_shared;
        shared.Kind = kind;
        shared.Span = span;
        shared.Node = node;
        shared.Ticks = ticks;
        shared.Session = s_session;
    }

    /// <summary>
    /// Fills in the machine's clocks and writes the record into this thread's ring: host time is the
    /// caller's reading (<see cref="ReadClock"/>, or one shared with the previous stamp). A decode still
    /// waiting for its submit (<see cref="Decoded"/>) goes first, so the ring stays in time order.
    /// </summary>
    private static void Write(long hostTicks, bool sharesPrevious, IoTraceStage stage, long span, int track, int name, IoTraceOp op = IoTraceOp.None, long offset = 0, long length = 0, int queueDepth = 0, short result = 0)
    {
        // Whatever this stamp took, an offer lives for one stamp only.
        ref var shared = ref t_shared;
        shared.Kind = IoTraceSharedReadingKind.None;
        if (shared.DecodedPending && stage != IoTraceStage.Decoded)
        {
            FlushDecoded(ref shared);
        }

        var clock = Clock;
        var record = new IoTraceRecord
        {
            HostTicks = hostTicks,
            SharesPreviousReading = sharesPrevious,
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

    /// <summary>A decode whose submit never came (or came with tracing off): written with a reading of its own.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FlushDecoded(ref IoTraceSharedReading shared)
    {
        var track = shared.DecodedTrack;
        shared.DecodedPending = false;
        if (shared.DecodedSession == s_session)
        {
            Write(ReadClock(), false, IoTraceStage.Decoded, 0, track, -1);
        }
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
