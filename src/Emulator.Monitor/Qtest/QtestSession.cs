using System.Text;
using Emulator.Machine.Loop;

namespace Emulator.Monitor.Qtest;

/// <summary>
/// One qtest connection (QEMU's docs/devel/qtest.rst): a line per command, a line per reply, and
/// asynchronous <c>IRQ raise N</c>/<c>IRQ lower N</c> lines for intercepted interrupt lines. Commands
/// run on the machine thread through <see cref="QtestCommands"/>, the command set the in-process harness
/// uses too; an IRQ change a command causes is written before that command's reply. Bad input gets
/// <c>FAIL …</c> or <c>ERR …</c>, never a dropped connection.
/// </summary>
internal sealed class QtestSession
{
    /// <summary>Largest single memory transfer a command may ask for (<see cref="QtestCommands.MaxTransfer"/>).</summary>
    public const ulong MaxTransfer = QtestCommands.MaxTransfer;

    private readonly Stream _stream;
    private readonly IMonitorExecutor _executor;
    private readonly QtestLog? _log;
    private readonly QtestCommands _commands;
    private readonly Lock _writeLock = new();
    private bool _broken;

    public QtestSession(Stream stream, PcMachine machine, IMonitorExecutor executor, QtestLog? log = null)
    {
        _stream = stream;
        _executor = executor;
        _log = log;
        _commands = new QtestCommands(machine, OnIrq);
    }

    /// <summary>
    /// Serves the connection on the calling thread with blocking reads until it closes. A qtest
    /// harness sends one command and waits for its reply, so a dedicated thread answers faster than
    /// an async read that resumes on the thread pool.
    /// </summary>
    public void Run()
    {
        using var reader = new StreamReader(_stream, new UTF8Encoding(false), false, 4096, leaveOpen: true);
        _log?.Opened();
        try
        {
            while (reader.ReadLine() is { } line)
            {
                _log?.Received(line);
                var reply = _executor.Invoke(() => Execute(line));
                Write(reply);
            }
        }
        catch (IOException)
        {
            // The test harness went away.
        }
        catch (ObjectDisposedException)
        {
            // The server shut down.
        }
        finally
        {
            // Event removal is thread-safe; delivery settings stay as the session left them, as before.
            _commands.Dispose();
            _log?.Closed();
        }
    }

    /// <summary>Runs one command line on the machine thread and returns the reply line.</summary>
    public string Execute(string line) => _commands.Execute(line);

    private void OnIrq(int input, bool level) => Write(level ? $"IRQ raise {input}" : $"IRQ lower {input}");

    private void Write(string line)
    {
        var bytes = Encoding.ASCII.GetBytes(line + "\n");
        lock (_writeLock)
        {
            if (_broken)
            {
                return;
            }

            _log?.Sent(line);
            try
            {
                _stream.Write(bytes);
                _stream.Flush();
            }
            catch (IOException)
            {
                _broken = true;
            }
            catch (ObjectDisposedException)
            {
                _broken = true;
            }
        }
    }
}
