using Emulator.Block.Tracing;
using Emulator.Block.Tracing.Export;

namespace Emulator.Cli.Profile;

/// <summary>
/// An <c>--io-trace FILE</c> session: a Trace Event Format writer on FILE and the collector feeding it. Disposing ends the session and completes the file.
/// </summary>
internal sealed class IoTraceFile : IDisposable
{
    private readonly IoTraceCollector _collector;
    private readonly TraceEventFileWriter _writer;

    private IoTraceFile(IoTraceCollector collector, TraceEventFileWriter writer)
    {
        _collector = collector;
        _writer = writer;
    }

    /// <summary>Requests written (valid after <see cref="Dispose"/>).</summary>
    public long Requests => _writer.SpansWritten;

    /// <summary>Starts tracing into <paramref name="path"/>; a file that cannot be created is reported as a usage error by the caller.</summary>
    public static IoTraceFile Start(string path)
    {
        var writer = TraceEventFileWriter.Create(path);

        // The caller runs the machine loop on this thread: its track in the trace says so. The machine's
        // clocks are the host's to install (EmulatorHost), for this session and any a tool starts.
        Thread.CurrentThread.Name ??= "machine";
        return new IoTraceFile(IoTraceCollector.Start(writer), writer);
    }

    public void Dispose()
    {
        _collector.Dispose();
        _writer.Dispose();
    }
}
