namespace Emulator.Monitor;

/// <summary>
/// Runs monitor commands on the machine thread (DESIGN.md: device and block-layer state belongs to
/// that thread). The machine loop implements it by running queued work at its fixed point; tools and
/// tests without a running loop use <see cref="SerialMonitorExecutor"/>.
/// </summary>
public interface IMonitorExecutor
{
    T Invoke<T>(Func<T> work);
}
