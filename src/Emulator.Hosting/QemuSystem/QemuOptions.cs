using System.Globalization;

namespace Emulator.Hosting.QemuSystem;

/// <summary>The QEMU command line as the launcher understands it (the forms qtest suites and libqtest use).</summary>
public sealed class QemuOptions
{
    private const string Option = "emu-system-x86_64";
    private const string SerialStdio = "stdio";
    private const string SerialFilePrefix = "file:";
    private const string SerialNone = "none";
    private const string SerialNull = "null";

    private static readonly HashSet<string> KnownAccelerators = ["tcg", "qtest", "kvm", "xen", "hax", "hvf", "whpx", "nvmm"];
    private static readonly HashSet<string> TcgProperties = ["thread", "tb-size", "split-wx", "one-insn-per-tb"];

    private string? _serial;
    private string? _smp;

    /// <summary>Options that take no value.</summary>
    private static readonly HashSet<string> Flags = ["nodefaults", "nographic", "no-shutdown", "no-reboot", "no-fd-bootchk", "S", "preconfig", "enable-kvm", "no-user-config", "snapshot"];

    private static readonly string[] NameKeys = ["guest", "process", "debug-threads"];
    private static readonly string[] MsgKeys = ["timestamp", "guest-name"];

    /// <summary>Options that take a value.</summary>
    private static readonly HashSet<string> Valued =
        ["machine", "M", "m", "accel", "qtest", "qtest-log", "chardev", "mon", "qmp", "drive", "blockdev", "device", "global",
         "cdrom", "hda", "hdb", "hdc", "hdd", "fda", "fdb", "boot", "rtc", "serial", "io-trace", "uuid",
         "display", "audio", "name", "trace", "vga", "smp", "cpu", "L", "bios", "k", "msg"];

    /// <summary>-machine / -M type (the implied key): "pc" by default; which types are accepted is decided when the board is described.</summary>
    public string Machine { get; private set; } = "pc";

    /// <summary>QEMU's default guest RAM.</summary>
    public int MemoryBytes { get; private set; } = 128 << 20;

    /// <summary>The -accel names in command-line order (each checked against the known accelerators); empty for QEMU's default.</summary>
    public List<string> Accelerators { get; } = [];

    /// <summary>-accel help: list the accelerators and stop, as QEMU does.</summary>
    public bool AcceleratorHelp { get; private set; }

    /// <summary>-S: the machine is created stopped and runs after QMP cont.</summary>
    public bool StartPaused { get; private set; }

    /// <summary>--preconfig: QMP serves the allow-preconfig commands in prelaunch until x-exit-preconfig.</summary>
    public bool Preconfig { get; private set; }

    /// <summary>-nographic: no display, and COM1 goes to stdio unless -serial says otherwise.</summary>
    public bool NoGraphic { get; private set; }

    /// <summary>-no-reboot: a guest reset ends the emulator instead.</summary>
    public bool NoReboot { get; private set; }

    /// <summary>
    /// -serial for COM1: "stdio", "file:PATH", or null for nowhere (null, vc); with -nographic and no -serial,
    /// stdio, unless -nodefaults took the default serial port away.
    /// </summary>
    public string? Serial => _serial switch
    {
        null => NoGraphic && Defaults ? SerialStdio : null,
        SerialNone or SerialNull => null,
        _ => _serial,
    };

    /// <summary>Whether the board has COM1: QEMU creates no isa-serial for -serial none, nor by default under -nodefaults.</summary>
    public bool SerialPort => _serial is null ? Defaults : _serial != SerialNone;

    /// <summary>False with -nodefaults: no default serial port, VGA, NIC (QEMU's default devices).</summary>
    public bool Defaults { get; private set; } = true;

    /// <summary>
    /// QEMU's default empty floppy0: unless -nodefaults, -machine none, or a -device/-global for isa-fdc or floppy
    /// (vl.c default_list), which says the user places floppies.
    /// </summary>
    public bool DefaultFloppy => HasDefaultDrives && !NamesDriver("isa-fdc", "floppy");

    /// <summary>
    /// QEMU's default empty CD-ROM at index 2 (ide1-cd0): unless -nodefaults, -machine none, or a -device/-global
    /// for ide-cd, ide-hd, scsi-cd or scsi-hd (vl.c default_list).
    /// </summary>
    public bool DefaultCdrom => HasDefaultDrives && !NamesDriver("ide-cd", "ide-hd", "scsi-cd", "scsi-hd");

    /// <summary>QEMU's default empty sd0 (the pc has no SD controller; the backend stays unclaimed): unless -nodefaults or -machine none.</summary>
    public bool DefaultSdCard => HasDefaultDrives;

    private bool HasDefaultDrives => Defaults && Machine != "none";

    /// <summary>Whether a -device or a -global names one of <paramref name="drivers"/> (vl.c default_driver_check).</summary>
    private bool NamesDriver(params string[] drivers) =>
        Devices.Any(d => d.FirstOrDefault(kv => kv.Key == "driver").Value is { } driver && drivers.Contains(driver))
        || Globals.Keys.Any(key => key.IndexOf('.', StringComparison.Ordinal) is var dot and > 0 && drivers.Contains(key[..dot]));

    /// <summary>-no-shutdown: a guest power-off stops the machine instead of ending the run.</summary>
    public bool NoShutdown { get; private set; }

    /// <summary>-vga std|none, or null for the default (a VGA unless -nodefaults).</summary>
    public bool? VgaGiven { get; private set; }

    /// <summary>Whether the board has a VGA: -vga std, or by default unless -nodefaults.</summary>
    public bool Vga => VgaGiven ?? Defaults;

    /// <summary>-cpu help: list the CPU models and stop.</summary>
    public bool CpuHelp { get; private set; }

    /// <summary>-bios FILE: the image to run instead of the built-in BIOS.</summary>
    public string? Bios { get; private set; }

    /// <summary>-L DIR: where -bios looks for a file not found as given; -L help lists them.</summary>
    public List<string> DataDirectories { get; } = [];

    /// <summary>-L help: list the data directories and stop, as QEMU does.</summary>
    public bool DataDirectoryHelp { get; private set; }

    /// <summary>-name [guest=]NAME: what query-name answers.</summary>
    public string? Name { get; private set; }

    /// <summary>-msg timestamp=on: error messages start with the UTC time.</summary>
    public bool MessageTimestamp { get; private set; }

    /// <summary>-msg guest-name=on: error messages start with the guest's name.</summary>
    public bool MessageGuestName { get; private set; }

    /// <summary>Warnings the options themselves raise (-trace for an event that does not exist), printed before the machine starts.</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>-snapshot: every drive gets a temporary overlay.</summary>
    public bool Snapshot { get; private set; }

    /// <summary>-qtest CHARDEV: where the qtest protocol is served (e.g. <c>unix:PATH</c>), or null without qtest.</summary>
    public string? Qtest { get; private set; }

    /// <summary>-qtest-log FILE: where the qtest exchange is logged (<c>/dev/null</c> for nowhere), or null.</summary>
    public string? QtestLog { get; private set; }

    /// <summary>-chardev backends by id, each with its key=value list in the order given (the backend under key "backend").</summary>
    public Dictionary<string, List<KeyValuePair<string, string>>> Chardevs { get; } = new(StringComparer.Ordinal);

    /// <summary>-mon options (chardev=, mode=), one key=value list each, in command-line order.</summary>
    public List<List<KeyValuePair<string, string>>> Monitors { get; } = [];

    /// <summary>-qmp endpoints, one key=value list each, in command-line order.</summary>
    public List<List<KeyValuePair<string, string>>> Qmp { get; } = [];

    /// <summary>-drive options (and the shorthands -hda to -hdd, -cdrom, -fda, -fdb translated to them), one key=value list each, in command-line order.</summary>
    public List<List<KeyValuePair<string, string>>> Drives { get; } = [];

    /// <summary>-blockdev options, one key=value list each (dotted keys for nested nodes), in command-line order.</summary>
    public List<List<KeyValuePair<string, string>>> Blockdevs { get; } = [];

    /// <summary>-device options, one key=value list each with the driver under key "driver", in command-line order.</summary>
    public List<List<KeyValuePair<string, string>>> Devices { get; } = [];

    /// <summary>-global DRIVER.PROPERTY=VALUE defaults, keyed by "DRIVER.PROPERTY"; a later -global replaces an earlier one.</summary>
    public Dictionary<string, string> Globals { get; } = new(StringComparer.Ordinal);

    /// <summary>-boot order= (the implied key): drive letters a, c, d, n in boot order; "cad" by default.</summary>
    public string BootOrder { get; private set; } = "cad";

    /// <summary>False with -no-fd-bootchk: a floppy boots without the 55AAh signature.</summary>
    public bool CheckFloppySignature { get; private set; } = true;

    /// <summary>-boot menu=on: the firmware is told to offer a boot menu (fw_cfg boot-menu item).</summary>
    public bool BootMenu { get; private set; }

    /// <summary>-boot splash-time= in milliseconds (fw_cfg etc/boot-menu-wait), or null.</summary>
    public ushort? SplashTime { get; private set; }

    /// <summary>-boot reboot-timeout= in milliseconds, -1 for never (fw_cfg etc/boot-fail-wait).</summary>
    public int RebootTimeout { get; private set; } = -1;

    /// <summary>-uuid: the machine UUID in its string's byte order (fw_cfg UUID item), or null.</summary>
    public byte[]? Uuid { get; private set; }

    /// <summary>-boot once=: the order for the first boot only; a reset goes back to <see cref="BootOrder"/>.</summary>
    public string? BootOnce { get; private set; }

    /// <summary>-rtc base=DATE (utc and localtime both mean now).</summary>
    public DateTime? RtcBase { get; private set; }

    /// <summary>-io-trace FILE (ours, not QEMU's): a Trace Event Format trace of every guest I/O request.</summary>
    public string? IoTrace { get; private set; }

    /// <summary>
    /// Parses a qemu-system-x86_64 command line (without the program name) the way QEMU does: options with
    /// one or two leading dashes, an option's value in the next argument. Options QEMU accepts that do not
    /// change this emulator (-display, -audio, …) are checked and otherwise ignored.
    /// </summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The parsed options; nothing is opened or built yet.</returns>
    /// <exception cref="QemuOptionException">An unknown option, a missing or malformed value; the message is QEMU's wording.</exception>
    public static QemuOptions Parse(IReadOnlyList<string> args)
    {
        var options = new QemuOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-') || arg.Length < 2)
            {
                throw new QemuOptionException($"{arg}: invalid option");
            }

            var name = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : arg[1..];
            if (Flags.Contains(name))
            {
                options.ApplyFlag(name);
                continue;
            }

            if (!Valued.Contains(name))
            {
                throw new QemuOptionException($"{arg}: invalid option");
            }

            if (i + 1 >= args.Count)
            {
                throw new QemuOptionException($"{arg}: requires an argument");
            }

            options.Apply(arg, name, args[++i]);
        }

        return options;
    }

    /// <summary>-smp checked as QEMU checks it when it creates the machine: after every option, so against the final -machine.</summary>
    public void CheckSmp()
    {
        if (_smp is { } smp)
        {
            QemuPlatformOptions.CheckSmp(smp, Machine == "none" ? "none" : QemuPlatformOptions.PcMachineType);
        }
    }

    private void ApplyFlag(string name)
    {
        switch (name)
        {
            case "S":
                StartPaused = true;
                break;
            case "preconfig":
                Preconfig = true;
                break;
            case "nographic":
                NoGraphic = true;
                break;
            case "no-reboot":
                NoReboot = true;
                break;
            case "no-fd-bootchk":
                CheckFloppySignature = false;
                break;
            case "snapshot":
                Snapshot = true;
                break;
            case "enable-kvm":
                Accelerators.Add("kvm");
                break;
            case "nodefaults":
                Defaults = false;
                break;
            case "no-shutdown":
                NoShutdown = true;
                break;
        }
    }

    private void Apply(string arg, string name, string value)
    {
        switch (name)
        {
            case "machine" or "M":
                Machine = KeyValueList.Parse(value, "type").FirstOrDefault(kv => kv.Key == "type").Value ?? Machine;
                break;
            case "m":
                MemoryBytes = ParseMemory(arg, KeyValueList.Parse(value, "size").First(kv => kv.Key == "size").Value);
                break;
            case "accel":
                ParseAccelerator(arg, value);
                break;
            case "qtest":
                Qtest = value;
                break;
            case "io-trace":
                IoTrace = value;
                break;
            case "qtest-log":
                QtestLog = value;
                break;
            case "chardev":
            {
                var items = KeyValueList.Parse(value, "backend");
                var id = items.FirstOrDefault(kv => kv.Key == "id").Value ?? throw new QemuOptionException($"{arg}: Parameter 'id' is missing");
                Chardevs[id] = items;
                break;
            }

            case "mon":
                Monitors.Add(KeyValueList.Parse(value, "chardev"));
                break;
            case "qmp":
                Qmp.Add(KeyValueList.Parse(value, "endpoint"));
                break;
            case "drive":
                Drives.Add(KeyValueList.Parse(value, "file"));
                break;
            case "blockdev":
                Blockdevs.Add(KeyValueList.Parse(value, "driver"));
                break;
            case "device":
                Devices.Add(KeyValueList.Parse(value, "driver"));
                break;
            case "global" when value.StartsWith("driver=", StringComparison.Ordinal):
            {
                // The long form: -global driver=D,property=P,value=V.
                var parts = KeyValueList.Parse(value).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value);
                Globals[$"{parts["driver"]}.{parts.GetValueOrDefault("property")}"] = parts.GetValueOrDefault("value") ?? string.Empty;
                break;
            }

            case "global":
            {
                var eq = value.IndexOf('=');
                Globals[eq > 0 ? value[..eq] : value] = eq > 0 ? value[(eq + 1)..] : string.Empty;
                break;
            }

            case "cdrom":
                Drives.Add([new("file", value), new("media", "cdrom"), new("index", "2")]);
                break;
            case "hda" or "hdb" or "hdc" or "hdd" or "fda" or "fdb":
                // QEMU's -hdX is index 0-3 of the default interface (ide on pc), -fdX index 0-1 of if=floppy.
                Drives.Add([new("file", value), new("if", name[0] == 'f' ? "floppy" : "ide"), new("index", (name[2] - 'a').ToString(CultureInfo.InvariantCulture))]);
                break;
            case "rtc":
            {
                var text = KeyValueList.Parse(value).FirstOrDefault(kv => kv.Key == "base").Value;
                if (text is not (null or "utc" or "localtime"))
                {
                    RtcBase = DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var start)
                        ? start
                        : throw new QemuOptionException($"{arg} base={text}: invalid date format");
                }

                break;
            }

            case "uuid":
                Uuid = Guid.TryParseExact(value, "D", out var uuid)
                    ? uuid.ToByteArray(bigEndian: true)
                    : throw new QemuOptionException($"-uuid {value}: failed to parse UUID string: wrong format");
                break;
            case "boot":
                ParseBoot(value);
                break;
            case "smp":
                _smp = value;
                break;
            case "cpu":
                CpuHelp |= QemuPlatformOptions.CheckCpu(value);
                break;
            case "vga":
                VgaGiven = QemuPlatformOptions.ParseVga(value);
                break;
            case "display":
                QemuPlatformOptions.CheckDisplay(value);
                break;
            case "audio":
                QemuPlatformOptions.CheckAudio(value);
                break;
            case "k":
                throw QemuPlatformOptions.KeyboardLayoutRefusal(value);
            case "bios":
                Bios = value;
                break;
            case "L" when value == "help":
                DataDirectoryHelp = true;
                break;
            case "L":
                DataDirectories.Add(value);
                break;
            case "name":
                Name = CheckedKeys(arg, value, "guest", NameKeys).FirstOrDefault(kv => kv.Key == "guest").Value;
                break;
            case "msg":
                foreach (var (key, text) in CheckedKeys(arg, value, null, MsgKeys))
                {
                    MessageTimestamp = key == "timestamp" ? KeyValueList.IsOn(arg, key, text) : MessageTimestamp;
                    MessageGuestName = key == "guest-name" ? KeyValueList.IsOn(arg, key, text) : MessageGuestName;
                }

                break;
            case "trace":
                ParseTrace(arg, value);
                break;
            case "serial":
                _serial = value switch
                {
                    SerialStdio or "mon:stdio" => SerialStdio,
                    SerialNone => SerialNone,
                    SerialNull or "vc" => SerialNull,
                    _ when value.StartsWith(SerialFilePrefix, StringComparison.Ordinal) && value.Length > SerialFilePrefix.Length => value,
                    _ => throw new QemuOptionException($"{arg} {value}: '{value.Split(':')[0]}' is not a valid char driver"),
                };
                break;
        }
    }

    /// <summary>An option's key=value list with QEMU's refusal of a key it does not take.</summary>
    private static List<KeyValuePair<string, string>> CheckedKeys(string arg, string value, string? implied, string[] keys)
    {
        var items = KeyValueList.Parse(value, implied);
        foreach (var (key, _) in items)
        {
            if (!keys.Contains(key))
            {
                throw new QemuOptionException($"{arg} {value}: Invalid parameter '{key}'");
            }
        }

        return items;
    }

    /// <summary>
    /// -trace [enable=]PATTERN[,events=FILE][,file=FILE]: this emulator has none of QEMU's trace events (its
    /// guest I/O tracing is -io-trace), so every pattern gets QEMU's warning for an event that does not exist.
    /// </summary>
    private void ParseTrace(string arg, string value)
    {
        foreach (var (key, text) in KeyValueList.Parse(value, "enable"))
        {
            switch (key)
            {
                case "enable":
                    Warnings.Add($"{arg} {value}: warning: trace event '{text}' does not exist");
                    break;
                case "events":
                    throw new QemuOptionException($"{arg} {value}: no trace events to enable from '{text}': this emulator has none of QEMU's trace events (see -io-trace)");
                case "file":
                    throw new QemuOptionException($"{arg} {value}: no trace backend writes '{text}': this emulator has none of QEMU's trace events (see -io-trace)");
                default:
                    throw new QemuOptionException($"{arg} {value}: Invalid parameter '{key}'");
            }
        }
    }

    /// <summary>
    /// -accel NAME[,PROP=VALUE…] or -accel help, checked as QEMU 7.2 checks them: a name QEMU does not
    /// know is invalid; the qtest accelerator has no properties; tcg's are accepted (this CPU has no
    /// translation cache to size); kvm and the other hardware accelerators are known but never usable here.
    /// </summary>
    private void ParseAccelerator(string arg, string value)
    {
        var items = KeyValueList.Parse(value, "accel");
        var name = items.First().Value;
        if (name == "help")
        {
            AcceleratorHelp = true;
            return;
        }

        if (!KnownAccelerators.Contains(name))
        {
            throw new QemuOptionException($"{arg} {value}: invalid accelerator {name}");
        }

        foreach (var (key, _) in items.Skip(1))
        {
            if (name == "qtest" || (name == "tcg" && !TcgProperties.Contains(key)))
            {
                throw new QemuOptionException($"{arg} {value}: Property '{name}-accel.{key}' not found");
            }
        }

        Accelerators.Add(name);
    }

    /// <summary>-boot [order=]DRIVES[,once=DRIVES][,menu=…,splash=…,splash-time=…,reboot-timeout=…,strict=…], checked as QEMU's vl.c does.</summary>
    private void ParseBoot(string value)
    {
        foreach (var (key, text) in KeyValueList.Parse(value, "order"))
        {
            switch (key)
            {
                case "order":
                    BootOrder = ValidBootDevices(text);
                    break;
                case "once":
                    BootOnce = ValidBootDevices(text);
                    break;
                case "menu":
                    BootMenu = text switch
                    {
                        "on" or "yes" or "true" => true,
                        "off" or "no" or "false" => false,
                        _ => throw new QemuOptionException("Parameter 'boot.menu' expects 'on' or 'off'"),
                    };
                    break;
                case "splash-time":
                    var splash = BootInteger(key, text);
                    SplashTime = splash is >= 0 and <= ushort.MaxValue
                        ? (ushort)splash
                        : throw new QemuOptionException("splash-time is invalid,it should be a value between 0 and 65535");
                    break;
                case "reboot-timeout":
                    var reboot = BootInteger(key, text);
                    RebootTimeout = reboot is >= -1 and <= ushort.MaxValue
                        ? (int)reboot
                        : throw new QemuOptionException("reboot timeout is invalid,it should be a value between -1 and 65535");
                    break;
                case "splash" or "strict":
                    // Our BIOS shows no splash picture and boots only from the CMOS order anyway.
                    break;
                default:
                    throw new QemuOptionException($"Parameter 'boot.{key}' is unexpected");
            }
        }
    }

    private static long BootInteger(string key, string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new QemuOptionException($"Parameter 'boot.{key}' expects integer");

    /// <summary>Drive letters a-p, each at most once (the board then says which it can boot from).</summary>
    private static string ValidBootDevices(string devices)
    {
        var seen = 0;
        foreach (var c in devices)
        {
            if (c is < 'a' or > 'p')
            {
                throw new QemuOptionException($"Invalid boot device '{c}'");
            }

            var bit = 1 << (c - 'a');
            if ((seen & bit) != 0)
            {
                throw new QemuOptionException($"Boot device '{c}' was given twice");
            }

            seen |= bit;
        }

        return devices;
    }

    private static int ParseMemory(string arg, string text)
    {
        var suffix = char.ToUpperInvariant(text[^1]);
        var digits = char.IsAsciiLetter(suffix) ? text[..^1] : text;
        long multiplier = suffix switch
        {
            'K' => 1 << 10,
            'G' => 1L << 30,
            _ => 1 << 20,
        };
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            || value * multiplier < 1 << 20 || value * multiplier > int.MaxValue)
        {
            throw new QemuOptionException($"{arg}: invalid RAM size '{text}' (1M to 2G)");
        }

        return (int)(value * multiplier);
    }
}
