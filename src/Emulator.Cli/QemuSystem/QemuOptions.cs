using System.Globalization;

namespace Emulator.Cli.QemuSystem;

/// <summary>The QEMU command line as the launcher understands it (the forms qtest suites and libqtest use).</summary>
internal sealed class QemuOptions
{
    private const string Option = "emu-system-x86_64";
    private const string SerialStdio = "stdio";
    private const string SerialFilePrefix = "file:";
    private const string SerialNone = "none";

    private static readonly HashSet<string> KnownAccelerators = ["tcg", "qtest", "kvm", "xen", "hax", "hvf", "whpx", "nvmm"];
    private static readonly HashSet<string> TcgProperties = ["thread", "tb-size", "split-wx", "one-insn-per-tb"];

    private string? _serial;

    /// <summary>Options that take no value.</summary>
    private static readonly HashSet<string> Flags = ["nodefaults", "nographic", "no-shutdown", "no-reboot", "no-fd-bootchk", "S", "enable-kvm", "no-user-config", "snapshot"];

    /// <summary>Options that take a value.</summary>
    private static readonly HashSet<string> Valued =
        ["machine", "M", "m", "accel", "qtest", "qtest-log", "chardev", "mon", "qmp", "drive", "blockdev", "device", "global",
         "cdrom", "hda", "hdb", "fda", "fdb", "boot", "rtc", "serial", "io-trace", "uuid"];

    /// <summary>Options accepted and ignored: they only change host-side presentation or tracing.</summary>
    private static readonly HashSet<string> Ignored = ["display", "audio", "run-with", "name", "trace", "vga", "smp", "cpu", "L", "bios", "k", "msg"];

    public string Machine { get; private set; } = "pc";

    /// <summary>QEMU's default guest RAM.</summary>
    public int MemoryBytes { get; private set; } = 128 << 20;

    public List<string> Accelerators { get; } = [];

    /// <summary>-accel help: list the accelerators and stop, as QEMU does.</summary>
    public bool AcceleratorHelp { get; private set; }

    public bool StartPaused { get; private set; }

    public bool NoGraphic { get; private set; }

    /// <summary>-no-reboot: a guest reset ends the emulator instead.</summary>
    public bool NoReboot { get; private set; }

    /// <summary>-serial for COM1: "stdio", "file:PATH", or "none"/null for nowhere; with -nographic and no -serial, stdio.</summary>
    public string? Serial => _serial ?? (NoGraphic ? SerialStdio : null);

    /// <summary>-snapshot: every drive gets a temporary overlay.</summary>
    public bool Snapshot { get; private set; }

    public string? Qtest { get; private set; }

    public string? QtestLog { get; private set; }

    public Dictionary<string, List<KeyValuePair<string, string>>> Chardevs { get; } = new(StringComparer.Ordinal);

    public List<List<KeyValuePair<string, string>>> Monitors { get; } = [];

    public List<List<KeyValuePair<string, string>>> Qmp { get; } = [];

    public List<List<KeyValuePair<string, string>>> Drives { get; } = [];

    public List<List<KeyValuePair<string, string>>> Blockdevs { get; } = [];

    public List<List<KeyValuePair<string, string>>> Devices { get; } = [];

    public Dictionary<string, string> Globals { get; } = new(StringComparer.Ordinal);

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

            if (!Valued.Contains(name) && !Ignored.Contains(name))
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

    private void ApplyFlag(string name)
    {
        switch (name)
        {
            case "S":
                StartPaused = true;
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
            case "hda" or "hdb" or "fda" or "fdb":
                Drives.Add([new("file", value), new("if", name[0] == 'f' ? "floppy" : "ide"), new("index", name[2] == 'a' ? "0" : "1")]);
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
            case "serial":
                _serial = value switch
                {
                    SerialStdio or "mon:stdio" => SerialStdio,
                    "none" or "null" or "vc" => SerialNone,
                    _ when value.StartsWith(SerialFilePrefix, StringComparison.Ordinal) && value.Length > SerialFilePrefix.Length => value,
                    _ => throw new QemuOptionException($"{arg} {value}: '{value.Split(':')[0]}' is not a valid char driver"),
                };
                break;
            default:
                // Presentation and tracing options: accepted, nothing to do.
                break;
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
