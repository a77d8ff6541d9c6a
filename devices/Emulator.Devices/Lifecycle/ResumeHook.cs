using Emulator.Machine.Loop;

namespace Emulator.Devices.Lifecycle;

/// <summary>
/// A device's subscription to the machine's resume (run state back to running from paused or io-error),
/// where requests the <c>stop</c> policy parked are retried (<see cref="StopPolicy"/>). Disposing it
/// unsubscribes, so a removed device leaves no handler on the machine.
/// </summary>
internal sealed class ResumeHook : IDisposable
{
    private readonly Action _resumed;
    private PcMachine? _machine;

    private ResumeHook(Action resumed) => _resumed = resumed;

    /// <summary>Runs <paramref name="resumed"/> on the machine thread each time <paramref name="machine"/> resumes, until disposed.</summary>
    public static ResumeHook Subscribe(PcMachine machine, Action resumed)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(resumed);
        var hook = new ResumeHook(resumed) { _machine = machine };
        machine.StateChanged += hook.OnStateChanged;
        return hook;
    }

    public void Dispose()
    {
        if (_machine is { } machine)
        {
            _machine = null;
            machine.StateChanged -= OnStateChanged;
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
