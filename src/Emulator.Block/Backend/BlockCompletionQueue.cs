using System.Diagnostics;
using Emulator.Block.Tracing;

namespace Emulator.Block.Backend;

/// <summary>
/// Where finished requests wait for the machine thread (the role of QEMU's AioContext bottom halves).
/// Any thread may post; the machine loop calls <see cref="RunPending"/> at one fixed point per
/// iteration, which is the only place device completion handlers run. Inline completions take the
/// same route, so a handler never runs before the submitting call returns and ordering is deterministic.
/// The queue is an intrusive list through <see cref="BlockRequest"/>, so posting allocates nothing.
/// </summary>
public sealed class BlockCompletionQueue
{
    private readonly Lock _lock = new();
    private readonly ManualResetEventSlim _pendingSignal = new(false);
    private BlockRequest? _head;
    private BlockRequest? _tail;
    private int _sleepers;
    private int _queued;
    private IBlockCompletionPoller[] _pollers = [];
    private int _eventFd = -1;
    private int _pollSleepers;

    /// <summary>Pollers a waiter serves at once (descriptors polled together); more are left to their own threads.</summary>
    private const int MaxPolled = 16;

    /// <summary>How long a waiter polls before it sleeps: 20 µs.</summary>
    private static readonly long PollTicks = Stopwatch.Frequency / 50_000;

    /// <summary>Called after each post, from the posting thread: the machine loop installs its wake-up here.</summary>
    public Action? Posted { get; set; }

    /// <summary>True when completions are waiting.</summary>
    public bool HasPending
    {
        get
        {
            lock (_lock)
            {
                return _head is not null;
            }
        }
    }

    /// <summary>Called first by <see cref="RunPending"/>: the block layer publishes drivers' queued events here, before the completions of the requests that raised them.</summary>
    internal Action? Draining { get; set; }

    /// <summary>Runs every completion queued so far, in posting order. Machine thread only. Returns how many ran.</summary>
    public int RunPending()
    {
        var batch = TakeBatch();

        return batch is null ? 0 : DeliverPlugged(batch);
    }

    /// <summary>
    /// Delivers a batch with the pollers plugged: the requests the handlers submit go out together, one system
    /// call per batch instead of one per request, and the server gets them as one burst.
    /// </summary>
    private int DeliverPlugged(BlockRequest? batch)
    {
        var pollers = Volatile.Read(ref _pollers);
        foreach (var poller in pollers)
        {
            poller.Plug();
        }

        try
        {
            return Deliver(batch);
        }
        finally
        {
            foreach (var poller in pollers)
            {
                poller.Unplug();
            }
        }
    }

    /// <summary>Publishes the drivers' queued events, then takes every queued completion off the queue, in posting order.</summary>
    private BlockRequest? TakeBatch()
    {
        Draining?.Invoke();
        lock (_lock)
        {
            var batch = _head;
            _head = _tail = null;
            _queued = 0;
            return batch;
        }
    }

    private static int Deliver(BlockRequest? batch)
    {
        var count = 0;
        while (batch is not null)
        {
            var next = batch.Next;
            batch.Next = null;
            batch.Backend!.Deliver(batch);
            batch = next;
            count++;
        }

        return count;
    }

    /// <summary>
    /// Blocks until a completion is queued or the timeout passes (a halted machine sleeps here). Returns true if one is queued.
    /// With a poller registered (<see cref="RegisterPoller"/>) the waiting thread reads its replies itself, asleep
    /// in poll(2) on the pollers' sockets and an eventfd other posters signal; otherwise it sleeps on an event.
    /// </summary>
    public bool WaitForPending(TimeSpan timeout)
    {
        var pollers = Volatile.Read(ref _pollers);
        return pollers.Length > 0 ? WaitPolling(pollers, timeout) : WaitOnEvent(timeout);
    }

    private bool WaitOnEvent(TimeSpan timeout)
    {
        // Poll briefly before sleeping (QEMU's aio_poll does the same): a completion that is
        // microseconds away is then picked up without a futex wake-up on each side.
        var pollUntil = Stopwatch.GetTimestamp() + Math.Min(PollTicks, timeout.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond);
        while (Stopwatch.GetTimestamp() < pollUntil)
        {
            if (Volatile.Read(ref _head) is not null)
            {
                return true;
            }

            Thread.SpinWait(16);
        }

        lock (_lock)
        {
            if (_head is not null)
            {
                return true;
            }

            // Posters only touch the event while someone sleeps on it, which keeps posting cheap.
            _sleepers++;
            _pendingSignal.Reset();
        }

        try
        {
            return _pendingSignal.Wait(timeout);
        }
        finally
        {
            lock (_lock)
            {
                _sleepers--;
            }
        }
    }

    /// <summary>
    /// The waiter as its drivers' reader (QEMU's aio_poll over fd handlers): completes what has arrived, and
    /// when nothing has, sleeps in one poll(2) on every socket it holds and the eventfd, then completes what
    /// woke it. No spinning and no hand-off between threads: measured with <c>emu img bench</c> over nbd://,
    /// this halves the client's CPU time (the spin and the receive thread's wake-ups were most of it).
    /// </summary>
    private unsafe bool WaitPolling(IBlockCompletionPoller[] pollers, TimeSpan timeout)
    {
        var count = Math.Min(pollers.Length, MaxPolled);
        var fds = stackalloc LinuxEvents.PollFd[count + 1];
        var held = stackalloc int[count];
        var polled = 0;
        try
        {
            for (var i = 0; i < count; i++)
            {
                var fd = pollers[i].BeginPoll();
                if (fd >= 0)
                {
                    held[polled] = i;
                    fds[polled++] = new LinuxEvents.PollFd { Fd = fd, Events = LinuxEvents.PollIn };
                }
            }

            if (Volatile.Read(ref _head) is not null)
            {
                return true;
            }

            if (polled == 0)
            {
                // Every driver's own thread is inside a read (or nothing is in flight): they post and wake us.
                return WaitOnEvent(timeout);
            }

            fds[polled] = new LinuxEvents.PollFd { Fd = _eventFd, Events = LinuxEvents.PollIn };
            lock (_lock)
            {
                if (_head is not null)
                {
                    return true;
                }

                _pollSleepers++;
            }

            var milliseconds = timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Ceiling(timeout.TotalMilliseconds);
            try
            {
                LinuxEvents.Poll(fds, (nuint)(polled + 1), milliseconds);
            }
            finally
            {
                lock (_lock)
                {
                    _pollSleepers--;
                }
            }

            if (fds[polled].Returned != 0)
            {
                LinuxEvents.Clear(_eventFd);
            }
        }
        finally
        {
            for (var i = 0; i < polled; i++)
            {
                pollers[held[i]].EndPoll(fds[i].Returned != 0);
            }
        }

        return Volatile.Read(ref _head) is not null;
    }

    /// <summary>Lets waiters read <paramref name="poller"/>'s completions themselves (see <see cref="WaitForPending"/>).</summary>
    internal void RegisterPoller(IBlockCompletionPoller poller)
    {
        lock (_lock)
        {
            if (_eventFd < 0)
            {
                // Kept for the queue's lifetime: a poster may signal it at any time after this.
                _eventFd = LinuxEvents.EventFd(0, LinuxEvents.EventFlags);
                if (_eventFd < 0)
                {
                    return;
                }
            }

            _pollers = [.. _pollers, poller];
        }
    }

    /// <summary>Sends what the pollers hold for a batch still running: its thread is about to block on a request.</summary>
    internal void SendHeld()
    {
        foreach (var poller in Volatile.Read(ref _pollers))
        {
            poller.SendHeld();
        }
    }

    /// <summary>Wakes a waiter without posting (a poller's own thread gave the socket up, so the waiter can take it).</summary>
    internal void Wake()
    {
        lock (_lock)
        {
            if (_sleepers > 0)
            {
                _pendingSignal.Set();
            }

            if (_pollSleepers > 0)
            {
                LinuxEvents.Signal(_eventFd);
            }
        }
    }

    internal void UnregisterPoller(IBlockCompletionPoller poller)
    {
        lock (_lock)
        {
            _pollers = Array.FindAll(_pollers, p => p != poller);
        }
    }

    /// <summary>Completions posted and not yet run.</summary>
    public int Queued
    {
        get
        {
            lock (_lock)
            {
                return _queued;
            }
        }
    }

    /// <summary>
    /// Runs every completion queued so far in the order the requests were submitted, whatever order the
    /// I/O threads finished them in (deterministic delivery). Machine thread only. Returns how many ran.
    /// </summary>
    public int RunPendingInSubmissionOrder()
    {
        var batch = TakeBatch();

        // Insertion sort on the intrusive list: the batch is a handful of requests, and nothing is allocated.
        BlockRequest? sorted = null;
        while (batch is not null)
        {
            var next = batch.Next;
            if (sorted is null || batch.Sequence < sorted.Sequence)
            {
                batch.Next = sorted;
                sorted = batch;
            }
            else
            {
                var at = sorted;
                while (at.Next is not null && at.Next.Sequence < batch.Sequence)
                {
                    at = at.Next;
                }

                batch.Next = at.Next;
                at.Next = batch;
            }

            batch = next;
        }

        return DeliverPlugged(sorted);
    }

    internal void Post(BlockRequest request)
    {
        if (IoTrace.Enabled)
        {
            IoTrace.Queued(request.TraceSpan, request.Backend?.TraceRootName ?? -1);
        }

        lock (_lock)
        {
            _queued++;
            if (_tail is null)
            {
                _head = _tail = request;
            }
            else
            {
                _tail.Next = request;
                _tail = request;
            }

            if (_sleepers > 0)
            {
                _pendingSignal.Set();
            }

            if (_pollSleepers > 0)
            {
                LinuxEvents.Signal(_eventFd);
            }
        }

        Posted?.Invoke();
    }
}
