using System.Diagnostics;
using System.Globalization;

namespace Emulator.Monitor.Qtest;

/// <summary>
/// <c>-qtest-log FILE</c> in QEMU's format (system/qtest.c): <c>[I +T] OPENED</c> when a harness
/// connects, <c>[R +T] words…</c> for each command received, <c>[S +T] line</c> for each line sent
/// (replies and asynchronous <c>IRQ</c> lines alike), <c>[I +T] CLOSED</c>; T is seconds since the
/// connection opened, with microseconds. Lines from the session and machine threads are serialised.
/// </summary>
public sealed class QtestLog : IDisposable
{
    private readonly TextWriter _writer;
    private readonly Lock _lock = new();
    private long _opened = Stopwatch.GetTimestamp();

    /// <summary>A log written to <paramref name="writer"/>, which the log owns and disposes.</summary>
    public QtestLog(TextWriter writer) => _writer = writer;

    /// <summary>Opens FILE for writing (truncated, as QEMU's fopen "w+"), line-flushed so a crash loses nothing.</summary>
    public static QtestLog Open(string path) =>
        new(new StreamWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true });

    /// <summary>A harness connected: restarts the clock and logs <c>OPENED</c>.</summary>
    public void Opened()
    {
        lock (_lock)
        {
            _opened = Stopwatch.GetTimestamp();
            Line("I", "OPENED");
        }
    }

    /// <summary>The harness disconnected: logs <c>CLOSED</c>.</summary>
    public void Closed() => Write("I", "CLOSED");

    /// <summary>A received command (QEMU logs its space-separated words, each after one space: the line itself).</summary>
    public void Received(string line) => Write("R", line);

    /// <summary>A line sent to the harness (a reply or an <c>IRQ</c> notice), without its newline.</summary>
    public void Sent(string line) => Write("S", line);

    /// <summary>Closes the underlying writer.</summary>
    public void Dispose() => _writer.Dispose();

    private void Write(string kind, string text)
    {
        lock (_lock)
        {
            Line(kind, text);
        }
    }

    private void Line(string kind, string text)
    {
        var seconds = Stopwatch.GetElapsedTime(_opened).TotalSeconds;
        try
        {
            _writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{kind} +{seconds:F6}] {text}"));
        }
        catch (IOException)
        {
            // A full disk or a closed pipe must not stop the qtest session; QEMU ignores fprintf's result too.
        }
        catch (ObjectDisposedException)
        {
            // The emulator is shutting down.
        }
    }
}
