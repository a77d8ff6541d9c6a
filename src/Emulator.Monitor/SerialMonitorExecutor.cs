namespace Emulator.Monitor;

/// <summary>Runs each command on the calling thread, one at a time: the stand-in for a machine thread when no loop runs.</summary>
internal sealed class SerialMonitorExecutor : IMonitorExecutor
{
    private readonly Lock _lock = new();

    public T Invoke<T>(Func<T> work)
    {
        lock (_lock)
        {
            return work();
        }
    }
}
