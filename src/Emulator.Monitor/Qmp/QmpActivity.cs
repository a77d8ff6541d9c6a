namespace Emulator.Monitor.Qmp;

/// <summary>
/// Counts commands between arrival and their written reply, so a server shutting down (after
/// <c>quit</c>, say) can let those replies go out first, as QEMU sends quit's reply before exiting.
/// </summary>
internal sealed class QmpActivity
{
    private int _busy;

    public void Enter() => Interlocked.Increment(ref _busy);

    public void Exit() => Interlocked.Decrement(ref _busy);

    /// <summary>Waits until no reply is pending, or the timeout passes.</summary>
    public bool WaitIdle(TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Volatile.Read(ref _busy) > 0)
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }

            Thread.Sleep(1);
        }

        return true;
    }
}
