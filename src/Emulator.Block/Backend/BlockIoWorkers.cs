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
    private readonly Thread[] _threads;
    private BlockRequest? _head;
    private BlockRequest? _tail;
    private volatile bool _stopping;

    public BlockIoWorkers(int threadCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threadCount, 1);
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

    private void WorkerLoop()
    {
        while (true)
        {
            _available.Wait();
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
