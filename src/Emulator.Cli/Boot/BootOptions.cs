using System.Globalization;
using Emulator.Machine.Cpu;

namespace Emulator.Cli.Boot;

/// <summary>The options of <c>emu boot</c>.</summary>
internal sealed record BootOptions
{
    public List<DriveSpec> Drives { get; init; } = [];

    /// <summary>QEMU's -boot letters: a floppy, c hard disk, d CD-ROM.</summary>
    public string BootOrder { get; init; } = "cad";

    public int MemoryBytes { get; init; } = 32 << 20;

    public string? Until { get; init; }

    public TimeSpan? Timeout { get; init; }

    public bool ScreenDump { get; init; }

    /// <summary>Print wall time, guest instructions and virtual time at the end (to stderr).</summary>
    public bool Stats { get; init; }

    /// <summary>The RTC's start time (UTC); null = the host clock. Fixing it makes a run repeatable.</summary>
    public DateTime? RtcBase { get; init; }

    /// <summary>QMP endpoint: unix:PATH or tcp:HOST:PORT (loopback only).</summary>
    public string? Qmp { get; init; }

    /// <summary>Write an I/O trace (Trace Event Format JSON) of every guest request to this file.</summary>
    public string? IoTrace { get; init; }

    /// <summary>Log every processor exception and shutdown to this file (QEMU's <c>-d int,cpu_reset -D FILE</c>).</summary>
    public string? CpuLog { get; init; }

    /// <summary><c>--cpu interp|jit|jit-sync</c>: the interpreter alone (default) or the translating tier on top of it.</summary>
    public CpuTier Cpu { get; init; } = CpuTier.Interpreter;

    /// <summary>With the translating tier, compile blocks on a background thread (<c>--cpu jit</c>) or on the machine thread (<c>--cpu jit-sync</c>).</summary>
    public bool BackgroundTranslation { get; init; } = true;

    /// <summary>A guest reset (triple fault, 8042, port 92h/CF9h) ends the run with status 0 instead of rebooting.</summary>
    public bool NoReboot { get; init; }

    /// <summary>Deterministic I/O: each block completion reaches the guest at the first loop fixed point after its submission.</summary>
    public bool Deterministic { get; init; }

    public static BootOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BootOptions();
        var drives = new List<DriveSpec>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new UsageException($"{arg} needs a value");
            switch (arg)
            {
                case "--fda":
                    drives.Add(new DriveSpec { File = Value(), Interface = "floppy", Index = 0 });
                    break;
                case "--fdb":
                    drives.Add(new DriveSpec { File = Value(), Interface = "floppy", Index = 1 });
                    break;
                case "--hda":
                    drives.Add(new DriveSpec { File = Value(), Index = 0 });
                    break;
                case "--hdb":
                    drives.Add(new DriveSpec { File = Value(), Index = 1 });
                    break;
                case "--cdrom":
                    drives.Add(new DriveSpec { File = Value(), Media = "cdrom", ReadOnly = true, Index = 2 });
                    break;
                case "--drive":
                    drives.Add(DriveSpec.Parse(Value()));
                    break;
                case "--boot":
                {
                    var order = Value();
                    if (order.Length == 0 || order.Any(c => c is not ('a' or 'c' or 'd')))
                    {
                        throw new UsageException($"--boot takes letters a (floppy), c (hard disk), d (CD-ROM), not '{order}'");
                    }

                    options = options with { BootOrder = order };
                    break;
                }

                case "--memory":
                case "-m":
                    options = options with { MemoryBytes = ParseMemory(Value()) };
                    break;
                case "--until":
                    options = options with { Until = Value() };
                    break;
                case "--timeout":
                {
                    var text = Value();
                    if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
                    {
                        throw new UsageException($"--timeout takes a number of seconds, not '{text}'");
                    }

                    options = options with { Timeout = TimeSpan.FromSeconds(seconds) };
                    break;
                }

                case "--qmp":
                {
                    var endpoint = Value();
                    if (!endpoint.StartsWith("unix:", StringComparison.Ordinal) && !endpoint.StartsWith("tcp:", StringComparison.Ordinal))
                    {
                        throw new UsageException($"--qmp takes unix:PATH or tcp:HOST:PORT, not '{endpoint}'");
                    }

                    options = options with { Qmp = endpoint };
                    break;
                }

                case "--rtc-base":
                {
                    var text = Value();
                    if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var start))
                    {
                        throw new UsageException($"--rtc-base takes a date and time such as 2026-01-01T00:00:00, not '{text}'");
                    }

                    options = options with { RtcBase = start };
                    break;
                }

                case "--io-trace":
                    options = options with { IoTrace = Value() };
                    break;
                case "--cpu-log":
                    options = options with { CpuLog = Value() };
                    break;
                case "--cpu":
                    var cpu = Value();
                    options = options with
                    {
                        Cpu = cpu switch
                        {
                            "interp" => CpuTier.Interpreter,
                            "jit" or "jit-sync" => CpuTier.Translator,
                            var other => throw new UsageException($"--cpu takes interp, jit or jit-sync, not '{other}'"),
                        },
                        BackgroundTranslation = cpu != "jit-sync",
                    };
                    break;
                case "--no-reboot":
                    options = options with { NoReboot = true };
                    break;
                case "--deterministic":
                    options = options with { Deterministic = true };
                    break;
                case "--screen-dump":
                    options = options with { ScreenDump = true };
                    break;
                case "--stats":
                    options = options with { Stats = true };
                    break;
                default:
                    throw new UsageException($"unknown option '{arg}' (try 'emu boot --help')");
            }
        }

        return options with { Drives = drives };
    }

    /// <summary>"32", "32M", "32MiB", "1G": mebibytes unless a suffix says otherwise; 1 MiB to 2 GiB.</summary>
    private static int ParseMemory(string text)
    {
        var digits = text.TrimEnd('B', 'b', 'i').TrimEnd();
        long multiplier = 1 << 20;
        if (digits.EndsWith('G') || digits.EndsWith('g'))
        {
            multiplier = 1L << 30;
            digits = digits[..^1];
        }
        else if (digits.EndsWith('M') || digits.EndsWith('m'))
        {
            digits = digits[..^1];
        }
        else if (digits.EndsWith('K') || digits.EndsWith('k'))
        {
            multiplier = 1 << 10;
            digits = digits[..^1];
        }

        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            || value <= 0 || value * multiplier < 1 << 20 || value * multiplier > int.MaxValue)
        {
            throw new UsageException($"--memory takes a size between 1M and 2G, not '{text}'");
        }

        return (int)(value * multiplier);
    }
}
