using System.Diagnostics;
using System.Net.Sockets;

namespace Emulator.TestSupport;

/// <summary>
/// emu-system-x86_64 under qtest, started as libqtest starts QEMU (-qtest unix:…, -accel qtest): the
/// test listens, the emulator connects, and <see cref="Qtest"/> drives ports, memory and the clock.
/// Killed on dispose.
/// </summary>
internal sealed class QtestMachine : IDisposable
{
    private readonly Process _process;
    private readonly Socket _socket;

    public QtestMachine(string dir, params string[] args)
        : this(Launcher.Path(), dir, args)
    {
    }

    /// <summary>Starts <paramref name="binary"/> (ours or a reference qemu-system-x86_64) the same way; <paramref name="noDefaults"/> false leaves QEMU's default devices.</summary>
    public QtestMachine(string binary, string dir, string[] args, bool noDefaults = true)
    {
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var path = Path.Combine(dir, "qtest.sock");
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        // As libqtest: the test's arguments first, then -accel qtest (an earlier usable -accel wins).
        _process = Launcher.StartBinary(binary, ["-qtest", $"unix:{path}", "-display", "none", .. (noDefaults ? ["-nodefaults"] : Array.Empty<string>()), .. args, "-accel", "qtest"]);
        if (!listener.Poll(TimeSpan.FromSeconds(30), SelectMode.SelectRead))
        {
            _process.Kill();
            throw new IOException($"{Path.GetFileName(binary)} did not connect: {_process.StandardError.ReadToEnd()}");
        }

        _socket = listener.Accept();
        Qtest = new LineChannel(_socket);
    }

    public LineChannel Qtest { get; }

    /// <summary>Waits for the emulator to exit on its own (after QMP quit: its images are flushed and closed only then).</summary>
    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    public void Dispose()
    {
        Qtest.Dispose();
        _socket.Dispose();
        _process.Kill();
        _process.WaitForExit(30_000);
        _process.Dispose();
    }
}
