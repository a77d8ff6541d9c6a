using System.Diagnostics;
using System.Runtime.InteropServices;
using Emulator.Block.Backend;
using Emulator.Board;
using Emulator.Cli.Hosting;
using Emulator.Hosting;
using Emulator.Cli.Profile;
using Emulator.Firmware.Demo;
using Emulator.Machine.Cpu;
using Emulator.Machine.Loop;

namespace Emulator.Cli.Boot;

/// <summary>
/// <c>emu boot</c>: builds a PC (machine, chipset, BIOS), opens the drives through the block layer,
/// and runs the guest with its screen and COM1 on the terminal and stdin as the keyboard. With no
/// drive it boots the embedded demo guest, which exits through isa-debug-exit.
/// Exit status: the guest's isa-debug-exit status; 0 when --until matched; 124 on --timeout;
/// 1 when the guest stopped for good (halted with interrupts off), a drive could not be opened or
/// an image could not be flushed at the end; 2 for a bad command line; 128 + N after signal N
/// (SIGHUP, SIGINT, SIGTERM). Every way out drains, flushes and closes the images first.
/// </summary>
internal static class BootCommand
{
    public const int TimeoutStatus = 124;

    /// <summary>A run ended by SIGHUP, SIGINT or SIGTERM exits 128 + the signal's number, as a shell reports it.</summary>
    public const int SignalStatusBase = 128;

    /// <summary>Interpreted mnemonics listed by <c>--stats</c> with the translating tier.</summary>
    private const int TopInterpreted = 16;
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(50);
    private const char Escape = '\u001b';
    private static readonly TimeSpan KeyInterval = TimeSpan.FromMilliseconds(15);

    public const string Usage = """
        usage: emu boot [options]
          --fda FILE, --fdb FILE      floppy images (drive A:, B:)
          --hda FILE, --hdb FILE      hard disk images (IDE primary master/slave)
          --cdrom FILE                CD-ROM image (IDE secondary master)
          --drive file=F[,if=ide|floppy|virtio][,media=disk|cdrom][,format=raw][,readonly=on][,snapshot=on][,index=N]
          --boot a|c|d                boot order (default: cad)
          --memory SIZE               guest RAM, e.g. 32M (default 32M)
          --until TEXT                exit 0 as soon as TEXT is on the screen or serial
          --timeout SECONDS           give up after SECONDS (exit 124, with a screen dump)
          --screen-dump               print the whole screen at the end
          --stats                     print wall time, guest instructions and virtual time at the end
          --rtc-base DATE             start the RTC at DATE (UTC) instead of now: repeatable runs
          --qmp unix:PATH|tcp:HOST:PORT  serve QMP there; the run then lasts until 'quit'
          --cpu interp|jit|jit-sync   the interpreter alone (default) or with the translating tier (docs/translating-cpu.md);
                                      jit compiles blocks on a background thread, jit-sync on the machine thread
          --cpu-log FILE              log every processor exception and shutdown to FILE (like QEMU's -d int,cpu_reset)
          --no-reboot                 a guest reset (triple fault, keyboard controller, port 92h/CF9h) ends the run with status 0
          --deterministic             every disk completion reaches the guest at the same instruction count on every run
                                      (the machine waits for the host); with --rtc-base, a guest runs the same way twice
          --io-trace FILE             trace every guest I/O request into FILE (Perfetto / chrome://tracing
                                      JSON; summarise it with 'emu profile FILE')
        With no drive, the embedded demo guest runs and exits through isa-debug-exit.
        """;

    public static int Run(IReadOnlyList<string> args, TextReader input, TextWriter output, TextWriter error)
    {
        if (args.Count > 0 && args[0] is "-h" or "--help")
        {
            output.WriteLine(Usage);
            return 0;
        }

        BootOptions options;
        try
        {
            options = BootOptions.Parse(args);
        }
        catch (UsageException e)
        {
            error.WriteLine($"emu boot: {e.Message}");
            return 2;
        }

        ScreenMirror? mirror = null;
        using var demo = options.Drives.Count == 0 ? DemoDisks.Create() : null;
        var description = new BoardDescription
        {
            DeterministicIo = options.Deterministic,
            Machine = new PcMachineOptions
            {
                RamSize = options.MemoryBytes,
                RtcStartTime = options.RtcBase ?? DateTime.UtcNow,
                SerialOutput = b => mirror?.Serial(b),
                NoReboot = options.NoReboot,
            },

            // The demo tour: its own four disks, and the boot sector from fw_cfg with no disk tried first.
            BootOrder = demo is null ? options.BootOrder : string.Empty,
            FirmwareBootSector = demo is null ? null : DemoGuest.Build(),
        };
        using var host = new EmulatorHost(description, _ => new IoTraceControl());
        var machine = host.Machine;
        machine.Cpu.Tier = options.Cpu;
        machine.Cpu.BackgroundTranslation = options.BackgroundTranslation;
        mirror = new ScreenMirror(machine.Chipset.Vga, output);
        host.ExitOnTerminationSignals(signal => SignalStatusBase + SignalNumber(signal));
        description = description with { Drives = Drives(host.Layer, demo?.Drives ?? options.Drives) };
        if (!TryOpenOutput("--io-trace", options.IoTrace, path => IoTraceFile.Start(path), error, out var trace)
            || !TryOpenOutput("--cpu-log", options.CpuLog, path => CpuExceptionLog.Open(path, machine.Cpu), error, out var cpuLog))
        {
            trace?.Dispose();
            return 1;
        }

        int status;
        using (trace)
        using (cpuLog)
        {
            status = Run(options, description, host, mirror, input, error);
        }

        // Whatever ended the run, every image is drained, flushed and closed before the status goes back.
        foreach (var problem in host.Shutdown())
        {
            error.WriteLine($"emu boot: {problem}");
            status = status == 0 ? 1 : status;
        }

        return status;
    }

    /// <summary>
    /// Opens the output file an option names (nothing when it names none); false, with the host's reason
    /// printed after the option, when the file cannot be created.
    /// </summary>
    private static bool TryOpenOutput<T>(string option, string? path, Func<string, T> open, TextWriter error, out T? opened)
        where T : class, IDisposable
    {
        if (HostFile.TryOpen(path, open, out opened, out var problem))
        {
            return true;
        }

        error.WriteLine($"emu boot: {option}: {problem}");
        return false;
    }

    /// <summary>The signal's number on Linux, for the shell's 128 + N convention.</summary>
    private static int SignalNumber(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGHUP => 1,
        PosixSignal.SIGINT => 2,
        _ => 15,
    };

    private static int Run(BootOptions options, BoardDescription description, EmulatorHost host, ScreenMirror mirror, TextReader input, TextWriter error)
    {
        var machine = host.Machine;
        try
        {
            host.Board.Populate(description);

            // Like QEMU without -S, the machine is running by the time the monitor answers.
            machine.Start();
            if (options.Qmp is { } endpoint && !host.ServeQmp(endpoint, listen: true))
            {
                throw new UsageException($"--qmp takes unix:PATH or tcp:HOST:PORT on loopback, not '{endpoint}'");
            }
        }
        catch (BlockOperationException e)
        {
            error.WriteLine($"emu boot: {e.Message}");
            return 1;
        }
        catch (UsageException e)
        {
            error.WriteLine($"emu boot: {e.Message}");
            return 2;
        }
        catch (BoardException e)
        {
            error.WriteLine($"emu boot: {e.Message}");
            return 2;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            error.WriteLine($"emu boot: cannot serve QMP on {options.Qmp}: {e.Message}");
            return 1;
        }

        StartKeyboard(machine, input);
        var wallClock = Stopwatch.StartNew();
        var lastRefresh = Stopwatch.StartNew();
        var matched = false;
        var reason = machine.Run(new RunLimits
        {
            WallTimeout = options.Timeout,
            Until = () =>
            {
                if (lastRefresh.Elapsed < RefreshInterval)
                {
                    return false;
                }

                lastRefresh.Restart();
                mirror.Refresh();
                matched = options.Until is { } text && mirror.Contains(text);
                return matched;
            },
            // With a monitor the run lasts until quit, as QEMU's does; without one a dead guest ends it.
            ReturnWhenIdle = options.Qmp is null,
        });
        mirror.Refresh(final: true);
        matched |= options.Until is { } until && mirror.Contains(until);
        if (options.ScreenDump || reason == RunStopReason.Timeout)
        {
            mirror.Dump();
        }

        if (options.Stats)
        {
            error.WriteLine($"emu boot: stats: {(matched ? "matched" : reason.ToString().ToLowerInvariant())} after {wallClock.Elapsed.TotalSeconds:0.00} s wall, "
                + $"{machine.InstructionsExecuted:N0} guest instructions, {machine.Clock.Now / 1e9:0.00} s virtual");
            if (machine.Cpu.Tier == CpuTier.Translator)
            {
                WriteTierStats(error, machine);
            }
        }

        return reason switch
        {
            _ when matched => 0,
            RunStopReason.Exited => machine.ExitStatus ?? 0,
            RunStopReason.Timeout => Report(error, TimeoutStatus, $"timed out after {options.Timeout!.Value.TotalSeconds:0.#} s ({Where(machine)})"),
            _ => Report(error, 1, "the guest stopped: halted with interrupts disabled"),
        };
    }

    /// <summary>The translating tier's share of the run and what it left to the interpreter (docs/translating-cpu.md).</summary>
    private static void WriteTierStats(TextWriter error, PcMachine machine)
    {
        var cpu = machine.Cpu;
        var total = Math.Max(1, machine.InstructionsExecuted);
        var translated = cpu.TranslatedInstructions;
        error.WriteLine($"emu boot: tier: {translated:N0} instructions translated ({100.0 * translated / total:0.0}%), "
            + $"{cpu.BlocksRun:N0} block entries ({(double)translated / Math.Max(1, cpu.BlocksRun):0.0} instructions each, {cpu.ChainedBlocks:N0} chained), "
            + $"{cpu.BlocksTranslated:N0} blocks translated ({cpu.TranslationCost.Blocks:N0} compiled, the rest reusing code of the same bytes) in {cpu.TranslationTime.TotalSeconds:0.00} s");
        error.WriteLine($"emu boot: lookups: {cpu.TierLookups:N0} (fetch translation and table probe); found a block but no chain link: " + string.Join(", ", cpu.ChainMisses().Select(e => $"{e.Reason} {e.Count:N0}")));
        var cost = cpu.TranslationCost;
        error.WriteLine($"emu boot: translation: form {cost.Form.TotalSeconds:0.00} s, trees {cost.Build.TotalSeconds:0.00} s, "
            + $"IL {cost.Compile.TotalSeconds:0.00} s, JIT {cost.Jit.TotalSeconds:0.00} s ({cost.IlBytes:N0} IL bytes, "
            + $"{(double)cost.IlBytes / Math.Max(1, cost.Blocks):N0} per block; {cost.Skipped:N0} queued blocks dropped before their turn)");
        var top = cpu.InterpretedByMnemonic();
        error.WriteLine("emu boot: interpreted: " + string.Join(", ", top.Take(TopInterpreted).Select(e => $"{e.Mnemonic} {100.0 * e.Count / total:0.00}%")));
        var churn = cpu.TranslationChurn;
        error.WriteLine("emu boot: interpreted because: " + string.Join(", ", cpu.InterpretedByReason().Select(e => $"{e.Reason} {100.0 * e.Count / total:0.00}%"))
            + $"; {churn.Drops:N0} code writes dropped {churn.Blocks:N0} blocks, {churn.Evicted:N0} evicted by another key");
        var inside = cpu.InterpretedInsideBlocksByMnemonic();
        error.WriteLine("emu boot: interpreted inside blocks: " + string.Join(", ", inside.Take(TopInterpreted).Select(e => $"{e.Mnemonic} {100.0 * e.Count / total:0.00}%")));
    }

    /// <summary>Where the guest was: CS:IP, halted or not, interrupts on or off, instructions run.</summary>
    private static string Where(PcMachine machine)
    {
        var registers = machine.Cpu.Registers;
        var state = machine.Cpu.Halted ? "halted" : "running";
        var interrupts = registers.InterruptFlag ? "on" : "off";
        return $"guest {state} at {registers.CS:X4}:{registers.EIP:X4}, interrupts {interrupts}, {machine.InstructionsExecuted:N0} instructions";
    }

    private static int Report(TextWriter error, int status, string message)
    {
        error.WriteLine($"emu boot: {message}");
        return status;
    }

    /// <summary>
    /// The drives for the board: placed as QEMU's -drive places them (IDE by index, floppy A:/B:,
    /// virtio-blk-pci), each image opened through the block layer when the board is populated.
    /// </summary>
    internal static List<BoardDrive> Drives(BlockLayer layer, IReadOnlyList<DriveSpec> drives) =>
        drives.Select(drive => new BoardDrive
        {
            Interface = drive.Interface,
            CdRom = drive.Media == "cdrom",
            Index = drive.Index,
            Label = $"drive {drive.File}",
            ReadOnlyDiskAllowed = true,
            Open = name =>
            {
                var readOnly = drive.ReadOnly || drive.Media == "cdrom";
                var backendOptions = new BlockBackendOptions { Name = name, ReadOnly = readOnly };

                // Writes go to a temporary overlay with snapshot=on; the image is opened read-only.
                return drive.Snapshot && !readOnly
                    ? layer.OpenImageSnapshot(backendOptions, drive.File, drive.Format)
                    : layer.OpenImage(backendOptions, drive.File, drive.Format);
            },
        }).ToList();

    private static void ReadTerminalKeys(PcMachine machine)
    {
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (ConsoleKeyMap.Special(key.Key) is { } special)
            {
                machine.Post(() => machine.Chipset.Keyboard.TapKey(special));
            }
            else if (key.KeyChar != '\0')
            {
                var text = key.KeyChar.ToString();
                machine.Post(() => machine.Chipset.Keyboard.TypeText(text));
            }
        }
    }

    /// <summary>
    /// Host keys go to the 8042 on the machine thread. On a terminal each key is read as it is pressed
    /// (arrows, function keys and all); redirected input is read as text.
    /// </summary>
    private static void StartKeyboard(PcMachine machine, TextReader input)
    {
        if (ReferenceEquals(input, Console.In) && !Console.IsInputRedirected)
        {
            new Thread(() => ReadTerminalKeys(machine)) { IsBackground = true, Name = "terminal-keyboard" }.Start();
            return;
        }

        var reader = new Thread(() =>
        {
            var buffer = new char[256];
            while (true)
            {
                int n;
                try
                {
                    n = input.Read(buffer, 0, buffer.Length);
                }
                catch (IOException)
                {
                    return;
                }

                if (n <= 0)
                {
                    return;
                }

                // One key at a time, at a fast typist's pace: the BIOS keyboard buffer holds only 15 keys.
                var text = new string(buffer, 0, n).Replace("\r\n", "\r").Replace('\n', '\r');
                for (var i = 0; i < text.Length;)
                {
                    if (text[i] == Escape)
                    {
                        var (key, length) = ConsoleKeyMap.FromEscape(text.AsSpan(i));
                        machine.Post(() => machine.Chipset.Keyboard.TapKey(key));
                        i += length;
                    }
                    else
                    {
                        var character = text[i++].ToString();
                        machine.Post(() => machine.Chipset.Keyboard.TypeText(character));
                    }

                    Thread.Sleep(KeyInterval);
                }
            }
        })
        {
            IsBackground = true,
            Name = "stdin-keyboard",
        };
        reader.Start();
    }
}
