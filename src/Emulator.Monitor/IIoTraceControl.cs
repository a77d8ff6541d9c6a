namespace Emulator.Monitor;

/// <summary>
/// The host's I/O tracing (docs/io-tracing.md), for the QMP commands <c>x-emu-io-trace-start</c> and
/// <c>x-emu-io-trace-stop</c>. Registered by a host that can trace; without it the commands do not exist.
/// </summary>
public interface IIoTraceControl
{
    /// <summary>Starts writing a trace to <paramref name="path"/>; null on success, else the error to report.</summary>
    string? Start(string path);

    /// <summary>Ends the session started here and completes its file; returns the requests written, or null when none ran.</summary>
    long? Stop();
}
