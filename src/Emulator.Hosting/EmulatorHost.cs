using System.Net;
using System.Runtime.InteropServices;
using Emulator.Block;
using Emulator.Block.Backend;
using Emulator.Block.Tracing;
using Emulator.Board;
using Emulator.Machine.Loop;
using Emulator.Monitor;
using Emulator.Monitor.Machine;
using Emulator.Monitor.Qmp;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Hosting;

/// <summary>
/// The host both front ends (<c>emu boot</c>, <c>emu system</c>) share around the board
/// (<see cref="PcBoard"/>: BIOS, storage controllers, block completions and stop policy): the block
/// layer and its drivers, the monitor over the machine (with device_add/device_del), termination signals
/// and the one way out.
/// </summary>
public sealed class EmulatorHost : IDisposable
{
    /// <summary>How long shutdown waits for requests in flight before it flushes and closes anyway.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    private readonly ServiceProvider _services;
    private readonly List<PosixSignalRegistration> _signals = [];
    private readonly MachineTraceClock _traceClock;
    private int _signalsSeen;

    /// <summary>A host over a new machine built as <paramref name="description"/> says; <see cref="PcBoard.Populate"/> then adds its drives.</summary>
    /// <param name="description">The board to build.</param>
    public EmulatorHost(BoardDescription description)
        : this(new PcMachine(description.Machine), description.EmptyBoard, description.DeterministicIo, bios: description.Bios)
    {
    }

    /// <summary>As <see cref="EmulatorHost(BoardDescription)"/>, with I/O tracing for QMP's x-emu-io-trace-start/stop.</summary>
    /// <param name="description">The board to build.</param>
    /// <param name="ioTrace">Makes the host's I/O tracing over the machine.</param>
    public EmulatorHost(BoardDescription description, Func<PcMachine, IIoTraceControl> ioTrace)
        : this(new PcMachine(description.Machine), description.EmptyBoard, description.DeterministicIo, ioTrace, description.Bios)
    {
    }

    /// <param name="machine">The machine the host drives.</param>
    /// <param name="emptyBoard">-machine none: device_add finds no bus to plug into.</param>
    /// <param name="deterministicIo">Block completions delivered in submission order once the host finished them all (<see cref="BlockLoopSource"/>).</param>
    /// <param name="ioTrace">Makes the host's I/O tracing for QMP's x-emu-io-trace-start/stop; without it those commands do not exist.</param>
    /// <param name="bios">A BIOS image instead of the built-in firmware (-bios), or null.</param>
    public EmulatorHost(PcMachine machine, bool emptyBoard = false, bool deterministicIo = false, Func<PcMachine, IIoTraceControl>? ioTrace = null, byte[]? bios = null)
    {
        Machine = machine;

        // The I/O tracer's virtual time and instruction count, for every session: --io-trace, QMP, or one a
        // tool starts through the EventSource or the meter (docs/io-tracing.md).
        _traceClock = new MachineTraceClock(machine);
        IoTrace.Clock = _traceClock;
        var services = new ServiceCollection()
            .AddBlockLayer()
            .AddStandardBlockDrivers()
            .AddMonitor()
            .AddSingleton(machine)
            .AddSingleton<IMachineControl, MachineControl>()
            .AddSingleton<IMonitorExecutor, MachineMonitorExecutor>()
            .AddSingleton<IDeviceHotplug>(sp => emptyBoard ? new EmptyBoardHotplug() : new DeviceHotplug(this, sp.GetRequiredService<MonitorEvents>()))
            .AddSingleton<IDriveHotplug>(_ => new QemuSystem.DriveHotplug(this));
        if (ioTrace is not null)
        {
            services.AddSingleton<IIoTraceControl>(_ => ioTrace(machine));
        }

        _services = services.BuildServiceProvider();
        Layer = _services.GetRequiredService<BlockLayer>();
        Board = new PcBoard(machine, Layer, emptyBoard, deterministicIo, bios);

        // Created now so STOP/RESUME/RESET reach every QMP client from the first state change.
        _services.GetRequiredService<IMachineControl>();

        // Created now so a guest's eject reaches the devices even before a QMP client asks for anything.
        _services.GetRequiredService<IDeviceHotplug>();
    }

    /// <summary>The machine the host runs; its loop belongs to the front end (run it on one thread, stop it before <see cref="Shutdown"/>).</summary>
    public PcMachine Machine { get; }

    /// <summary>The block layer every drive, <c>-blockdev</c> node and QMP block command works on; closed by <see cref="Shutdown"/>.</summary>
    public BlockLayer Layer { get; }

    /// <summary>The board: BIOS, storage controllers, drives and boot order.</summary>
    public PcBoard Board { get; }

    /// <summary>The IDE, floppy and virtio-blk controllers drives attach to.</summary>
    public StorageDevices Devices => Board.Devices;

    /// <summary>QOM paths of the devices -device, -drive if=virtio and device_add created (query-block's qdev).</summary>
    internal QemuSystem.PeripheralPaths Peripherals { get; } = new();

    /// <summary>The host's services (monitor, QMP server, hotplug, machine control), created on first use and disposed with the host.</summary>
    public IServiceProvider Services => _services;

    /// <summary>The monitor's view of the machine (run state, events, the guest's name).</summary>
    public MachineControl MachineControl => (MachineControl)_services.GetRequiredService<IMachineControl>();

    /// <summary>How HMP drive_add reads its options: <c>emu system</c>'s -drive parser (null in <c>emu boot</c>, which has no -drive).</summary>
    public Func<List<KeyValuePair<string, string>>, BoardDrive>? DriveParser { get; set; }

    /// <summary>Runs monitor commands (QMP, HMP, qtest's own) against this host; the commands that touch the machine are marshalled to its loop.</summary>
    public IMonitorExecutor Executor => _services.GetRequiredService<IMonitorExecutor>();

    /// <summary>
    /// Serves QMP on <c>unix:PATH</c> (listening, or connecting when <paramref name="listen"/> is false)
    /// or <c>tcp:HOST:PORT</c> on loopback (listening only). False when the endpoint is not one of those.
    /// </summary>
    public bool ServeQmp(string endpoint, bool listen)
    {
        var server = _services.GetRequiredService<QmpServer>();
        if (endpoint.StartsWith("unix:", StringComparison.Ordinal))
        {
            var path = endpoint["unix:".Length..];
            if (listen)
            {
                server.ListenUnix(path);
            }
            else
            {
                server.ConnectUnix(path);
            }

            return true;
        }

        if (!endpoint.StartsWith("tcp:", StringComparison.Ordinal) || !listen)
        {
            return false;
        }

        var hostPort = endpoint["tcp:".Length..];
        var colon = hostPort.LastIndexOf(':');
        var host = colon <= 0 || hostPort[..colon] == "localhost" ? "127.0.0.1" : hostPort[..colon];
        if (colon < 0 || !IPAddress.TryParse(host, out var address) || !IPAddress.IsLoopback(address)
            || !ushort.TryParse(hostPort[(colon + 1)..], out var port))
        {
            return false;
        }

        server.ListenTcp(new IPEndPoint(address, port));
        return true;
    }

    /// <summary>
    /// SIGTERM, SIGINT and SIGHUP end the run as QMP quit does (QEMU's termsig handler): the machine exits
    /// with <paramref name="status"/> of the signal, and the front end then runs <see cref="Shutdown"/>.
    /// A second signal while the first is being handled takes the default action (terminate at once).
    /// </summary>
    public void ExitOnTerminationSignals(Func<PosixSignal, int> status)
    {
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP })
        {
            _signals.Add(PosixSignalRegistration.Create(signal, context =>
            {
                if (Interlocked.Increment(ref _signalsSeen) > 1)
                {
                    return;
                }

                context.Cancel = true;
                var code = status(context.Signal);
                Machine.Post(() => Machine.Exit(code));
            }));
        }
    }

    /// <summary>
    /// The one way out for both front ends, whatever ended the run (guest exit, quit, a signal, --until,
    /// --timeout, a fault): the block layer drains, flushes and closes every node. The machine loop must
    /// have returned. Idempotent; <see cref="Dispose"/> runs it too. Returns the problems, one line each.
    /// </summary>
    public IReadOnlyList<string> Shutdown() => Layer.DrainFlushCloseAll(DrainTimeout);

    /// <summary>
    /// Shuts the block layer down (as <see cref="Shutdown"/>) unless the machine loop is still running, removes
    /// the signal handlers and disposes the services. Call after the loop returned.
    /// </summary>
    public void Dispose()
    {
        if (!Machine.IsLooping)
        {
            Shutdown();
        }

        foreach (var registration in _signals)
        {
            registration.Dispose();
        }

        _services.Dispose();
        IoTrace.ReleaseClock(_traceClock);
    }
}
