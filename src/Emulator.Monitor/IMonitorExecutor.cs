namespace Emulator.Monitor;

/// <summary>
/// Runs monitor commands on the machine thread (DESIGN.md: device and block-layer state belongs to
/// that thread). The machine loop implements it by running queued work at its fixed point; tools and
/// tests without a running loop run the work on the calling thread (what <c>AddMonitor()</c> registers
/// when the host registers no executor).
/// </summary>
public interface IMonitorExecutor
{
    /// <summary>Runs <paramref name="work"/> on the machine thread (or, with no loop running, on the calling thread, one at a time), waits for it and returns its result; an exception it throws is rethrown here. Any thread.</summary>
    T Invoke<T>(Func<T> work);
}
