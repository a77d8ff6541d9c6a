using Emulator.Machine.Loop;

namespace Emulator.Devices.Lifecycle;

/// <summary>
/// A device's subscription to the machine's resume (run state back to running from paused or io-error),
/// where requests the <c>stop</c> policy parked are retried (<see cref="StopPolicy"/>). Disposing it
/// unsubscribes, so a removed device leaves no handler on the machine.
/// </summary>
public sealed class ResumeHook : IDisposable
{
    private readonly PcMachine _machine;
    private readonly Action _resumed;
    private bool _disposed;

    /// <param name="machine">The machine whose run state is watched.</param>
    /// <param name="resumed">Runs on the machine thread each time the machine resumes.</param>
    public ResumeHook(PcMachine machine, Action resumed)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(resumed);
        _machine = machine;
        _resumed = resumed;
        machine.StateChanged += OnStateChanged;
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _machine.StateChanged -= OnStateChanged;
        }
    }

    private void OnStateChanged(MachineRunState old, MachineRunState now)
    {
        if (now == MachineRunState.Running && old is MachineRunState.Paused or MachineRunState.IoError)
        {
            _resumed();
        }
    }
}
