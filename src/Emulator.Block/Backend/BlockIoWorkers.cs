using System.Diagnostics;

namespace Emulator.Block.Backend;

/// <summary>
/// Threads that run driver operations which may block in the host kernel (file I/O), so the machine
/// thread never waits on a disk (QEMU's aio=threads). Requests queue on an intrusive list, so
/// submitting allocates nothing. Non-blocking drivers (null-co) skip the hop and run inline.
/// </summary>
public sealed class BlockIoWorkers : IDisposable
{
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _available = new(0);
    public const int DefaultPollMicroseconds = 50;

    private readonly Thread[] _threads;
    private readonly long _pollTicks;
    private int _pollerActive;
    private BlockRequest? _head;
    private BlockRequest? _tail;
    private volatile bool _stopping;

    /// <param name="threadCount">I/O threads.</param>
    /// <param name="pollMicroseconds">
    /// How long an idle worker keeps polling for the next request before it sleeps (QEMU's IOThread
    /// poll-max-ns idea): a guest issuing requests back to back then pays no wake-up latency.
    /// </param>
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
        _available.Release(_threads.Length);
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        _available.Dispose();
    }

    internal void Enqueue(BlockRequest request)
    {
        lock (_lock)
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
        }

        _available.Release();
    }

    private void WaitForWork()
    {
        if (_available.Wait(0))
        {
            return;
        }

        // One poller at a time: on a small host, several spinning workers would starve the machine thread.
        if (_pollTicks > 0 && Interlocked.CompareExchange(ref _pollerActive, 1, 0) == 0)
        {
            try
            {
                var deadline = Stopwatch.GetTimestamp() + _pollTicks;
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    Thread.SpinWait(32);
                    if (_available.Wait(0))
                    {
                        return;
                    }
                }
            }
            finally
            {
                Volatile.Write(ref _pollerActive, 0);
            }
        }

        _available.Wait();
    }

    private void WorkerLoop()
    {
        while (true)
        {
            WaitForWork();
            if (_stopping)
            {
                return;
            }

            BlockRequest? request;
            lock (_lock)
            {
                request = _head;
                if (request is not null)
                {
                    _head = request.Next;
                    if (_head is null)
                    {
                        _tail = null;
                    }

                    request.Next = null;
                }
            }

            request?.Backend!.Execute(request);
        }
    }
}
