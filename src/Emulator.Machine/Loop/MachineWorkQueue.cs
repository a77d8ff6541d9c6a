namespace Emulator.Machine.Loop;

/// <summary>Actions posted from other threads (monitor commands, host input, stop requests) for the machine thread's fixed point.</summary>
internal sealed class MachineWorkQueue
{
    private readonly Lock _lock = new();
    private readonly Queue<Action> _work = new();

    public bool HasWork
    {
        get
        {
            lock (_lock)
            {
                return _work.Count > 0;
            }
        }
    }

    public void Post(Action work)
    {
        lock (_lock)
        {
            _work.Enqueue(work);
        }
    }

    public int RunPending()
    {
        var count = 0;
        while (true)
        {
            Action? next;
            lock (_lock)
            {
                if (!_work.TryDequeue(out next))
                {
                    return count;
                }
            }

            next();
            count++;
        }
    }
}
