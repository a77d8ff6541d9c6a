using System.Diagnostics;

namespace Emulator.Block.Backend;

/// <summary>
/// Threads that run driver operations which may block in the host kernel (file I/O), so the machine
/// thread never waits on a disk (QEMU's aio=threads). Requests queue on an intrusive list, so
/// submitting allocates nothing. Non-blocking drivers (null-co) and page-cached reads skip the hop.
/// <para>
/// One idle worker at a time polls the queue for <c>pollMicroseconds</c> before sleeping (QEMU's
/// IOThread poll-max-ns idea); a submission wakes a sleeping worker only when nobody polls, so
/// back-to-back requests cost no futex wake-up. More than one spinning worker would starve the
/// machine thread on a small host, hence the single poller.
/// </para>
/// </summary>
internal sealed class BlockIoWorkers : IDisposable
{
    public const int DefaultPollMicroseconds = 50;

    private readonly object _gate = new();
    private readonly Thread[] _threads;
    private readonly long _pollTicks;
    private BlockRequest? _head;
    private BlockRequest? _tail;
    private int _pollers;
    private int _sleepers;
    private volatile bool _stopping;

    /// <param name="threadCount">I/O threads.</param>
    /// <param name="pollMicroseconds">How long an idle worker polls for the next request before it sleeps.</param>
    public BlockIoWorkers(int threadCount, int pollMicroseconds = DefaultPollMicroseconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threadCount, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(pollMicroseconds);
        _pollTicks = (long)(pollMicroseconds * (Stopwatch.Frequency / 1_000_000.0));
        _threads = new Thread[threadCount];
        for (var i = 0; i < threadCount; i++)
        {
            _threads[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"block-io-{i}" };
            _threads[i].Start();
        }
    }

    public int ThreadCount => _threads.Length;

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }

        foreach (var thread in _threads)
        {
            thread.Join();
        }
    }

    internal void Enqueue(BlockRequest request)
    {
        lock (_gate)
        {
            if (_tail is null)
            {
                _head = _tail = request;
            }
            else
            {
                _tail.Next = request;
                _tail = request;
            }

            // A polling worker will see it; only wake a sleeper when nobody polls.
            if (Volatile.Read(ref _pollers) == 0 && _sleepers > 0)
            {
                Monitor.Pulse(_gate);
            }
        }
    }

    private BlockRequest? TryDequeue()
    {
        lock (_gate)
        {
            var request = _head;
            if (request is not null)
            {
                _head = request.Next;
                if (_head is null)
                {
                    _tail = null;
                }

                request.Next = null;
            }

            return request;
        }
    }

    private void WorkerLoop()
    {
        while (!_stopping)
        {
            if (TryDequeue() is { } request)
            {
                request.Backend!.Execute(request);
                continue;
            }

            if (_pollTicks > 0 && Interlocked.CompareExchange(ref _pollers, 1, 0) == 0)
            {
                var deadline = Stopwatch.GetTimestamp() + _pollTicks;
                while (Volatile.Read(ref _head) is null && !_stopping && Stopwatch.GetTimestamp() < deadline)
                {
                    Thread.SpinWait(32);
                }

                Volatile.Write(ref _pollers, 0);
                if (Volatile.Read(ref _head) is not null)
                {
                    continue;
                }
            }

            lock (_gate)
            {
                // Checked under the gate: a request enqueued after the poller gave up is seen here or pulses us.
                if (_head is not null || _stopping)
                {
                    continue;
                }

                _sleepers++;
                Monitor.Wait(_gate);
                _sleepers--;
            }
        }
    }
}
