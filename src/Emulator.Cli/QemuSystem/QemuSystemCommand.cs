using System.Globalization;
using System.Text.Json.Nodes;
using Emulator.Block.Backend;
using Emulator.Board;
using Emulator.Cli.Hosting;
using Emulator.Cli.Profile;
using Emulator.Machine.Loop;
using Emulator.Monitor;
using Emulator.Monitor.Commands;
using Emulator.Monitor.Qmp;
using Emulator.Monitor.Qtest;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Cli.QemuSystem;

/// <summary>
/// <c>emu system …</c>, which the build's <c>bin/emu-system-x86_64</c> launcher runs: the QEMU option
/// forms device-model suites use (-machine pc, -m, -accel, -qtest, -chardev/-mon, -qmp, -drive,
/// -blockdev, -device, -global, -cdrom/-fda/-hda, -boot, -S, -nodefaults, -nographic …). With
/// -accel qtest the CPU does not run and time moves only through qtest. Nothing is written to stdout
/// in qtest mode. SIGTERM, SIGINT and SIGHUP exit with status 0; every way out drains, flushes and closes every node (<see cref="EmulatorHost.Shutdown"/>). Errors are one line,
/// "emu-system-x86_64: …", and exit status 1.
/// </summary>
internal static class QemuSystemCommand
{
    private const string Prefix = "emu-system-x86_64";

    private static readonly string[] IntegerKeys = ["size", "offset", "errno", "sector", "latency-ns", "align", "max-transfer", "reconnect-delay", "open-timeout"];

    private static readonly string[] BooleanKeys = ["read-only", "read-zeroes", "once", "immediately", "auto-read-only", "force-share", "direct", "no-flush"];

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        try
        {
            return RunChecked(QemuOptions.Parse(args), output, error);
        }
        catch (QemuOptionException e)
        {
            error.WriteLine($"{Prefix}: {e.Message}");
            return 1;
        }
        catch (BlockOperationException e)
        {
            error.WriteLine($"{Prefix}: {e.Message}");
            return 1;
        }
        catch (QmpException e)
        {
            error.WriteLine($"{Prefix}: {e.Message}");
            return 1;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            error.WriteLine($"{Prefix}: socket: {e.Message}");
            return 1;
        }
    }

    private static int RunChecked(QemuOptions options, TextWriter output, TextWriter error)
    {
        if (options.AcceleratorHelp)
        {
            // QEMU lists the accelerators a user may choose; qtest is the harness's and is not listed.
            output.WriteLine("Accelerators supported in QEMU binary:");
            output.WriteLine("tcg");
            return 0;
        }

        var emptyBoard = options.Machine == "none";
        if (!emptyBoard && (!options.Machine.StartsWith("pc", StringComparison.Ordinal) || options.Machine.StartsWith("pc-q35", StringComparison.Ordinal)))
        {
            throw new QemuOptionException($"-machine {options.Machine}: unsupported machine type (this emulator builds 'pc' and 'none')");
        }

        var accelerator = options.Accelerators.Count == 0 ? "tcg" : options.Accelerators.FirstOrDefault(a => a is "tcg" or "qtest")
            ?? throw new QemuOptionException("-accel: no accelerator found (kvm is not available; use tcg or qtest)");
        var qtestMode = options.Qtest is not null;
        using var serialFile = options.Serial is { } serial && serial.StartsWith("file:", StringComparison.Ordinal)
            ? OpenSerialFile(serial["file:".Length..])
            : null;
        var description = new BoardDescription
        {
            EmptyBoard = emptyBoard,
            BootOrder = options.BootOrder,
            BootOnce = options.BootOnce,
            BootMenu = options.BootMenu,
            SplashTime = options.SplashTime,
            RebootTimeout = options.RebootTimeout,
            Uuid = options.Uuid,
            CheckFloppySignature = options.CheckFloppySignature,
            Machine = new PcMachineOptions
        {
            RamSize = options.MemoryBytes,
            RunCpu = accelerator != "qtest",
            NoReboot = options.NoReboot,
            RtcStartTime = options.RtcBase ?? DateTime.UtcNow,
            SerialOutput = b =>
            {
                if (serialFile is not null)
                {
                    serialFile.WriteByte(b);
                    serialFile.Flush();
                }
                else if (options.Serial == "stdio" && !qtestMode)
                {
                    output.Write((char)b);
                    output.Flush();
                }
            },
        },
        };
        using var host = new EmulatorHost(description);
        var machine = host.Machine;

        // Signals before any socket: a harness may send SIGTERM as soon as either answers. QEMU exits 0.
        host.ExitOnTerminationSignals(_ => 0);
        var layer = host.Layer;

        host.DriveParser = items => Drive(host.Layer, options, items);
        CheckDriveIds(options);
        Populate(host, description with { Drives = [.. options.Drives.Select(items => Drive(host.Layer, options, items))] });
        AddBlockdevs(host.Services, layer, options);
        if (emptyBoard && options.Devices.Count > 0)
        {
            var driver = options.Devices[0].First().Value;
            throw new QemuOptionException($"-device {Describe(options.Devices[0], "driver")}: {EmptyBoardHotplug.NoBus(driver)}");
        }

        QemuDevices.Attach(host, options.Devices, options.Globals);

        machine.Start();
        if (options.StartPaused)
        {
            machine.RequestPause();
        }

        StartMonitors(host, options);
        using var qtest = options.Qtest is { } endpoint ? StartQtest(machine, host.Executor, endpoint, options.QtestLog) : null;
        using (StartIoTrace(options, machine))
        {
            machine.Run(new RunLimits());
        }

        foreach (var problem in host.Shutdown())
        {
            error.WriteLine($"{Prefix}: {problem}");
        }

        return machine.ExitStatus ?? 0;
    }

    private static FileStream OpenSerialFile(string path) =>
        HostFile.TryOpen(path, file => new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.Read), out var stream, out var problem)
            ? stream!
            : throw new QemuOptionException($"-serial file:{path}: could not open '{path}': {problem}");

    /// <summary>-drive ids are QemuOpts ids: a second -drive with the same id is refused before anything opens.</summary>
    private static void CheckDriveIds(QemuOptions options)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var items in options.Drives)
        {
            if (items.LastOrDefault(kv => kv.Key == "id").Value is { } id && !seen.Add(id))
            {
                throw new QemuOptionException($"-drive {Describe(items, null)}: Duplicate ID '{id}' for drive");
            }
        }
    }

    /// <summary>Places and opens the -drive options and applies -boot; the board's refusals are command-line errors.</summary>
    private static void Populate(EmulatorHost host, BoardDescription description)
    {
        try
        {
            host.Board.Populate(description);
        }
        catch (BoardException e)
        {
            throw new QemuOptionException(e.Message);
        }
    }

    /// <summary>
    /// One -drive for the board: its interface, index or bus/unit and identity, opened when the board places it.
    /// On an empty board (-machine none) an explicit if=ide/floppy/virtio is refused with QEMU's wording, while
    /// a drive without if= (-cdrom, say) is opened and left unclaimed, as QEMU 7.2 leaves it.
    /// </summary>
    private static BoardDrive Drive(BlockLayer layer, QemuOptions options, List<KeyValuePair<string, string>> items)
    {
        var drive = QemuDrive.Parse(items);
        var label = $"-drive {Describe(items, null)}";
        var cdrom = drive.Get("media") == "cdrom";
        return new BoardDrive
        {
            Interface = drive.Interface,
            InterfaceGiven = drive.Get("if") is not (null or "none"),
            CdRom = cdrom,
            Index = drive.Number(label, "index"),
            Bus = drive.Number(label, "bus"),
            Unit = drive.Number(label, "unit"),
            Id = drive.Id,
            Label = label,
            Open = name => OpenDrive(layer, options, drive, name),
            IdeIdentity = name => QemuDevices.IdeOptions(cdrom ? "ide-cd" : "ide-hd", [], options.Globals, name),
        };
    }

    /// <summary>An option's value as QEMU quotes it in errors: the implied first key (-device's driver; -drive has none) bare.</summary>
    private static string Describe(List<KeyValuePair<string, string>> items, string? implied) =>
        string.Join(',', items.Select((kv, i) => i == 0 && kv.Key == implied ? kv.Value : $"{kv.Key}={kv.Value}"));

    /// <summary>Opens one -drive's backend: a snapshot overlay, an image file, or the node tree its options describe (empty for a CD with no file).</summary>
    private static BlockBackend OpenDrive(BlockLayer layer, QemuOptions options, QemuDrive drive, string name)
    {
        var snapshot = options.Snapshot || (drive.Get("snapshot") is { } flag && KeyValueList.IsOn("-drive", "snapshot", flag));
        var root = drive.RootOptions(out var plainFile);
        var cache = drive.Direct ? Block.Drivers.File.FileCacheMode.None : Block.Drivers.File.FileCacheMode.Writeback;
        if (snapshot && !drive.IsReadOnly && (plainFile ?? drive.Get("file")) is { } image && root is null or Block.Drivers.Raw.RawNodeOptions { File.Inline: Block.Drivers.File.FileNodeOptions })
        {
            // Writes go to a temporary qcow2 overlay; the image is opened read-only.
            return layer.OpenImageSnapshot(drive.BackendOptions(name), image, drive.Get("format"), cache);
        }

        return plainFile is not null
            ? layer.OpenImage(drive.BackendOptions(name), plainFile, drive.Get("format"), cache)
            : layer.CreateBackend(drive.BackendOptions(name), root);
    }

    /// <summary>-blockdev: QEMU's dotted keys become the same JSON blockdev-add takes, typed as its schema types them.</summary>
    private static void AddBlockdevs(IServiceProvider services, BlockLayer layer, QemuOptions options)
    {
        var parser = services.GetRequiredService<BlockdevOptionsParser>();
        foreach (var items in options.Blockdevs)
        {
            var json = new JsonObject();
            foreach (var (key, value) in items)
            {
                var path = key.Split('.');
                var target = json;
                foreach (var part in path[..^1])
                {
                    target = target[part] as JsonObject ?? (JsonObject)(target[part] = new JsonObject());
                }

                var leaf = path[^1];
                target[leaf] = IntegerKeys.Contains(leaf) && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number
                    : BooleanKeys.Contains(leaf) ? KeyValueList.IsOn("-blockdev", key, value)
                    : (JsonNode)value;
            }

            layer.AddNode(parser.Parse(json));
        }
    }

    private static void StartMonitors(EmulatorHost host, QemuOptions options)
    {
        foreach (var mon in options.Monitors)
        {
            var id = mon.FirstOrDefault(kv => kv.Key == "chardev").Value;
            if (mon.FirstOrDefault(kv => kv.Key == "mode").Value is { } mode && mode != "control")
            {
                throw new QemuOptionException($"-mon mode={mode}: only mode=control (QMP) is served");
            }

            if (id is null || !options.Chardevs.TryGetValue(id, out var chardev))
            {
                throw new QemuOptionException($"-mon: chardev '{id}' not found");
            }

            var path = chardev.FirstOrDefault(kv => kv.Key == "path").Value ?? throw new QemuOptionException($"-chardev {id}: only socket,path=… is supported");
            Serve(host, $"unix:{path}", IsServer(chardev));
        }

        foreach (var qmp in options.Qmp)
        {
            Serve(host, qmp.First().Value, IsServer(qmp));
        }
    }

    private static bool IsServer(List<KeyValuePair<string, string>> items) =>
        items.FirstOrDefault(kv => kv.Key == "server").Value is { } server && KeyValueList.IsOn("-chardev", "server", server);

    private static void Serve(EmulatorHost host, string endpoint, bool listen)
    {
        if (!host.ServeQmp(endpoint, listen))
        {
            throw new QemuOptionException($"-qmp {endpoint}: use unix:PATH or tcp:127.0.0.1:PORT,server=on");
        }
    }

    /// <summary>-io-trace FILE: a file that cannot be created is a command-line error, reported before the guest runs.</summary>
    private static IoTraceFile? StartIoTrace(QemuOptions options, PcMachine machine) =>
        HostFile.TryOpen(options.IoTrace, path => IoTraceFile.Start(path, machine), out var trace, out var problem)
            ? trace
            : throw new QemuOptionException($"-io-trace {options.IoTrace}: {problem}");

    /// <summary>
    /// The qtest endpoint, logging to <paramref name="logPath"/> when given ("none" turns logging off, as
    /// in QEMU). Without -qtest-log QEMU logs to stderr; this emulator logs nowhere, because a harness
    /// that redirects stderr and never reads it would otherwise stall the emulator on a full pipe.
    /// </summary>
    private static QtestServer StartQtest(PcMachine machine, IMonitorExecutor executor, string endpoint, string? logPath)
    {
        var items = KeyValueList.Parse(endpoint, "endpoint");
        var target = items.First().Value;
        if (!target.StartsWith("unix:", StringComparison.Ordinal))
        {
            throw new QemuOptionException($"-qtest {target}: only unix:PATH is supported");
        }

        if (!HostFile.TryOpen(logPath is "none" ? null : logPath, QtestLog.Open, out var log, out var problem))
        {
            throw new QemuOptionException($"-qtest-log {logPath}: {problem}");
        }

        var qtest = new QtestServer(machine, executor, log);
        if (IsServer(items))
        {
            qtest.ListenUnix(target["unix:".Length..]);
        }
        else
        {
            qtest.ConnectUnix(target["unix:".Length..]);
        }

        return qtest;
    }
}
