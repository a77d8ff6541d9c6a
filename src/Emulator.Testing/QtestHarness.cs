using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Emulator.Hosting;
using Emulator.Hosting.QemuSystem;
using Emulator.Machine.Bus;
using Emulator.Machine.Loop;
using Emulator.Monitor;
using Emulator.Monitor.Commands;
using Emulator.Monitor.Qmp;
using Emulator.Monitor.Qtest;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Testing;

/// <summary>
/// libqtest in process: a pc machine built from <c>emu system</c>'s (QEMU's) options through the same parser
/// and board builder (<see cref="QemuSystemBoard"/>), its loop running on a thread of its own as under
/// <c>-accel qtest</c>, driven through the same qtest command set (<see cref="QtestCommands"/>) and QMP
/// command table as the sockets, so every reply is the one a socket client gets. Dispose ends the run the
/// way QMP quit does: the loop stops, then every node is drained, flushed and closed.
/// </summary>
public sealed class QtestHarness : IQtest, IDisposable
{
    private static readonly TimeSpan LoopExit = TimeSpan.FromSeconds(30);

    private readonly EmulatorHost _host;
    private readonly QtestCommands _qtest;
    private readonly QmpCommandTable _qmp;
    private readonly MonitorEvents _events;
    private readonly Thread _loop;
    private readonly object _lock = new();
    private readonly List<string> _irqLines = [];
    private readonly bool[] _irqLevels = new bool[MaxIrqLines];
    private readonly List<JsonObject> _pendingEvents = [];
    private readonly MemoryStream _serial = new();
    private int _disposed;

    /// <summary>Interrupt lines a harness tracks (the I/O APIC's 24).</summary>
    public const int MaxIrqLines = 24;

    private QtestHarness(QemuOptions options)
    {
        if (options.Qtest is not null || options.Qmp.Count > 0 || options.Monitors.Count > 0 || options.IoTrace is not null)
        {
            throw new QemuOptionException("-qtest, -qmp, -mon and -io-trace are not served in process: use the harness's Command, Qmp and events");
        }

        var description = QemuSystemBoard.Describe(options, OnSerial);
        _host = new EmulatorHost(description);
        var started = false;
        try
        {
            QemuSystemBoard.Populate(_host, options, description);
            _qtest = new QtestCommands(_host.Machine, OnIrq);
            _qmp = _host.Services.GetRequiredService<QmpCommandTable>();
            _events = _host.Services.GetRequiredService<MonitorEvents>();
            _events.Subscribe(OnEvent);

            // Block events (BLOCK_IO_ERROR, DEVICE_TRAY_MOVED…) reach the bus once the bridge exists, as with a QMP server.
            _host.Services.GetRequiredService<BlockEventBridge>();
            QemuSystemBoard.Start(_host, options);

            _loop = new Thread(() => Machine.Run(new RunLimits())) { IsBackground = true, Name = "machine" };
            _loop.Start();
            SpinWait.SpinUntil(() => Machine.IsLooping || !_loop.IsAlive);
            started = true;
        }
        finally
        {
            if (!started)
            {
                _host.Dispose();
            }
        }
    }

    /// <summary>The machine, for what qtest cannot reach (device models, the CPU).</summary>
    public PcMachine Machine => _host.Machine;

    /// <summary>The host: block layer, board, services.</summary>
    public EmulatorHost Host => _host;

    /// <summary>
    /// Starts a machine as libqtest starts QEMU: <paramref name="args"/> are qemu-system-x86_64 options (as
    /// <c>emu system</c> takes them) followed by <c>-accel qtest</c>, so an earlier usable <c>-accel</c> wins.
    /// A bad option or image is a <see cref="QemuOptionException"/> or <see cref="Block.Backend.BlockOperationException"/>
    /// with <c>emu system</c>'s message.
    /// </summary>
    public static QtestHarness Start(params string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return new QtestHarness(QemuOptions.Parse([.. args, "-accel", "qtest"]));
    }

    /// <summary><see cref="Start(string[])"/> with the options in one string split at spaces (as qtest_init takes them; no quoting).</summary>
    public static QtestHarness StartCommandLine(string commandLine)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        return Start(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>
    /// One qtest protocol line, answered as the socket answers it (<c>OK …</c>, <c>FAIL …</c>, <c>ERR …</c>);
    /// <c>IRQ raise/lower N</c> lines it causes are appended to <see cref="IrqLines"/> first.
    /// </summary>
    public string Command(string line) => OnMachine(() => _qtest.Execute(line));

    /// <summary>The asynchronous <c>IRQ raise N</c>/<c>IRQ lower N</c> lines so far, as the socket would have sent them.</summary>
    public IReadOnlyList<string> IrqLines
    {
        get
        {
            lock (_lock)
            {
                return [.. _irqLines];
            }
        }
    }

    /// <summary>What the guest wrote to COM1 so far.</summary>
    public string SerialOutput
    {
        get
        {
            lock (_lock)
            {
                return Encoding.Latin1.GetString(_serial.GetBuffer(), 0, (int)_serial.Length);
            }
        }
    }

    /// <inheritdoc/>
    public uint In(ushort port, PortWidth width) => OnMachine(() => _qtest.In(port, width));

    /// <inheritdoc/>
    public void Out(ushort port, PortWidth width, uint value) => OnMachine(() =>
    {
        _qtest.Out(port, width, value);
        return true;
    });

    /// <inheritdoc/>
    public void Read(ulong address, Span<byte> data)
    {
        var buffer = new byte[data.Length];
        OnMachine(() =>
        {
            _qtest.Read(address, buffer);
            return true;
        });
        buffer.CopyTo(data);
    }

    /// <inheritdoc/>
    public void Write(ulong address, ReadOnlySpan<byte> data)
    {
        var buffer = data.ToArray();
        OnMachine(() =>
        {
            _qtest.Write(address, buffer);
            return true;
        });
    }

    /// <inheritdoc/>
    public void Memset(ulong address, int size, byte value) => OnMachine(() =>
    {
        _qtest.Memset(address, size, value);
        return true;
    });

    /// <inheritdoc/>
    public long ClockStep(ulong nanoseconds) => OnMachine(() => _qtest.ClockStep(nanoseconds)!.Value);

    /// <inheritdoc/>
    public long? ClockStepToNextDeadline() => OnMachine(() => _qtest.ClockStep());

    /// <inheritdoc/>
    public long ClockSet(ulong time)
    {
        var (ok, now) = OnMachine(() => (_qtest.ClockSet(time, out var t), t));
        return ok ? now : throw new InvalidOperationException($"clock_set {time}: the clock is already at {now.ToString(CultureInfo.InvariantCulture)} ns");
    }

    /// <inheritdoc/>
    public void InterceptIrqIn(string path) => Intercept(path, output: false);

    /// <inheritdoc/>
    public void InterceptIrqOut(string path) => Intercept(path, output: true);

    /// <inheritdoc/>
    public bool GetIrq(int line)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(line);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(line, MaxIrqLines);
        lock (_lock)
        {
            return _irqLevels[line];
        }
    }

    /// <summary>
    /// Runs a QMP command as a negotiated client's <c>{"execute": …, "arguments": …}</c> and returns the reply object:
    /// <c>{"return": …}</c> or <c>{"error": {"class", "desc"}}</c>, the socket's reply without the id. The arguments
    /// go through JSON text first, so they are typed as a socket client's parsed request is (a C# <c>int</c> is a JSON number).
    /// </summary>
    public JsonObject Qmp(string command, JsonObject? arguments = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parsed = arguments is null ? [] : (JsonObject)JsonNode.Parse(arguments.ToJsonString())!;
        return QmpJsonWriter.AsSent(_qmp.Execute(command, parsed, _host.Executor));
    }

    /// <summary>Runs a QMP command and returns its <c>return</c> value; an error reply is a <see cref="QmpErrorException"/>.</summary>
    public JsonNode QmpReturn(string command, JsonObject? arguments = null)
    {
        var reply = Qmp(command, arguments);
        return reply["return"] ?? throw new QmpErrorException(command, (string?)reply["error"]?["class"] ?? "", (string?)reply["error"]?["desc"] ?? "");
    }

    /// <summary>The QMP events published so far and not yet taken, oldest first (<c>{"event", "data", "timestamp"}</c>).</summary>
    public IReadOnlyList<JsonObject> PendingEvents
    {
        get
        {
            lock (_lock)
            {
                return [.. _pendingEvents];
            }
        }
    }

    /// <summary>
    /// libqtest's <c>qtest_qmp_eventwait</c>: takes the oldest pending event named <paramref name="name"/>, waiting
    /// up to <paramref name="timeout"/> of host time for it (events from I/O completions arrive on the loop's time).
    /// Null when none came.
    /// </summary>
    public JsonObject? WaitEvent(string name, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_lock)
        {
            while (true)
            {
                var index = _pendingEvents.FindIndex(e => (string?)e["event"] == name);
                if (index >= 0)
                {
                    var found = _pendingEvents[index];
                    _pendingEvents.RemoveAt(index);
                    return found;
                }

                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    return null;
                }

                System.Threading.Monitor.Wait(_lock, left);
            }
        }
    }

    /// <summary>Stops the loop (as QMP quit), then drains, flushes and closes every node. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _events.Unsubscribe(OnEvent);
        Machine.Post(() => Machine.Exit(0));
        if (!_loop.Join(LoopExit))
        {
            throw new InvalidOperationException("the machine loop did not stop within 30 s");
        }

        _qtest.Dispose();
        _host.Dispose();
        _serial.Dispose();
    }

    private T OnMachine<T>(Func<T> work)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _host.Executor.Invoke(work);
    }

    private void Intercept(string path, bool output)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OnMachine(() => _qtest.Intercept(path, output)) is { } failure)
        {
            throw new InvalidOperationException($"irq_intercept_{(output ? "out" : "in")} {path}: {failure}");
        }
    }

    private void OnIrq(int line, bool level)
    {
        lock (_lock)
        {
            _irqLines.Add(level ? $"IRQ raise {line}" : $"IRQ lower {line}");
            if (line < MaxIrqLines)
            {
                _irqLevels[line] = level;
            }
        }
    }

    private void OnEvent(JsonObject message)
    {
        lock (_lock)
        {
            _pendingEvents.Add(QmpJsonWriter.AsSent(message));
            System.Threading.Monitor.PulseAll(_lock);
        }
    }

    private void OnSerial(byte value)
    {
        lock (_lock)
        {
            _serial.WriteByte(value);
        }
    }
}
