using Emulator.Block.Tracing;
using Emulator.Monitor;

namespace Emulator.Cli.Profile;

/// <summary>
/// QMP's x-emu-io-trace-start/stop over an <see cref="IoTraceFile"/> session. Runs on the machine thread
/// (the monitor executor); a session still running when the host shuts down is completed on dispose.
/// </summary>
internal sealed class IoTraceControl : IIoTraceControl, IDisposable
{
    private IoTraceFile? _session;

    public string? Start(string path)
    {
        if (_session is not null || IoTraceCollector.IsActive)
        {
            return "An I/O trace is already running";
        }

        try
        {
            _session = IoTraceFile.Start(path);
            return null;
        }
        catch (IOException e)
        {
            return $"Could not open '{path}': {e.Message}";
        }
        catch (UnauthorizedAccessException e)
        {
            return $"Could not open '{path}': {e.Message}";
        }
    }

    public long? Stop()
    {
        if (_session is not { } session)
        {
            return null;
        }

        _session = null;
        session.Dispose();
        return session.Requests;
    }

    public void Dispose() => Stop();
}
