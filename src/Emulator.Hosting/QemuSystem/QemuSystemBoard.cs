using System.Globalization;
using System.Text.Json.Nodes;
using Emulator.Block.Backend;
using Emulator.Board;
using Emulator.Machine.Loop;
using Emulator.Monitor.Commands;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Hosting.QemuSystem;

/// <summary>
/// Builds QEMU's pc board from parsed <see cref="QemuOptions"/>: the machine type and accelerator checks,
/// the board description, then the -drive, -blockdev and -device options in QEMU's order. <c>emu system</c>
/// and the in-process harness (Emulator.Testing) both build through here, so a machine made from the same
/// options is the same machine. Every refusal is a <see cref="QemuOptionException"/> with QEMU's wording.
/// </summary>
public static class QemuSystemBoard
{
    private static readonly string[] IntegerKeys = ["size", "offset", "errno", "sector", "latency-ns", "align", "max-transfer", "reconnect-delay", "open-timeout"];

    private static readonly string[] BooleanKeys = ["read-only", "read-zeroes", "once", "immediately", "auto-read-only", "force-share", "direct", "no-flush"];

    /// <summary>The first PCI slot QEMU's pc gives a device without an address: after the host bridge and PIIX3 (00:00, 00:01).</summary>
    private const int FirstPciSlot = 2;

    /// <summary>QEMU's system flash sector (pc_sysfw.c FLASH_SECTOR_SIZE): a flash image is a whole number of them.</summary>
    private const int FlashSector = 4 << 10;

    /// <summary>The pc machine's max-fw-size default: pflash0 and pflash1 together.</summary>
    private const long MaxFlashSize = 8 << 20;

    /// <summary>The accelerator that runs: of several -accel, the first usable one (tcg or qtest; kvm never is); tcg when none is given.</summary>
    public static string Accelerator(QemuOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Accelerators.Count == 0 ? "tcg" : options.Accelerators.FirstOrDefault(a => a is "tcg" or "qtest")
            ?? throw new QemuOptionException("-accel: no accelerator found (kvm is not available; use tcg or qtest)");
    }

    /// <summary>
    /// The board <paramref name="options"/> describe, without its drives (<see cref="Populate"/> adds them):
    /// machine type pc (or none), RAM, boot order, whether the CPU runs (not under -accel qtest), -no-reboot and
    /// -rtc base=; COM1's bytes go to <paramref name="serialOutput"/>.
    /// </summary>
    public static BoardDescription Describe(QemuOptions options, Action<byte>? serialOutput = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.CheckSmp();
        var emptyBoard = options.Machine == "none";
        if (!emptyBoard && (!options.Machine.StartsWith("pc", StringComparison.Ordinal) || options.Machine.StartsWith("pc-q35", StringComparison.Ordinal)))
        {
            throw new QemuOptionException($"-machine {options.Machine}: unsupported machine type (this emulator builds 'pc' and 'none')");
        }

        var accelerator = Accelerator(options);
        return new BoardDescription
        {
            EmptyBoard = emptyBoard,
            Bios = ReadFlash(options) ?? (options.Bios is { } bios ? ReadBios(bios, options.DataDirectories) : null),

            // QEMU's pc puts the VGA at 00:02.0 and the default NIC after it; this emulator has neither as a
            // PCI function (its VGA is the legacy text adapter) and leaves their slots empty, so devices
            // without an address land where QEMU puts them.
            FirstUserSlot = FirstPciSlot + (options.Vga ? 1 : 0) + (options.Defaults ? 1 : 0),
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
                NoShutdown = options.NoShutdown,
                Vga = options.Vga,
                SerialPort = options.SerialPort,
                RtcStartTime = options.RtcBase ?? DateTime.UtcNow,
                SerialOutput = serialOutput ?? (static _ => { }),
            },
        };
    }

    /// <summary>
    /// -drive if=pflash as QEMU's pc maps system flash (pc_sysfw.c pc_system_flash_map), which then replaces the
    /// BIOS (-bios is ignored): pflash0 ends at 4 GiB, pflash1 lies right below it, and the last 128 KiB of the
    /// image also show below 1 MiB (isa-bios). Each image is a raw file of 4 KiB sectors, 8 MiB at most together,
    /// refused with QEMU's words otherwise. Limitation: the flash reads as ROM; the CFI command set of QEMU's
    /// pflash_cfi01 (query, program, erase) is not modelled, so writes do nothing. Null without if=pflash.
    /// </summary>
    private static byte[]? ReadFlash(QemuOptions options)
    {
        var units = new SortedDictionary<int, (string Label, QemuDrive Drive)>();
        foreach (var items in options.Drives)
        {
            var drive = QemuDrive.Parse(items);
            if (drive.Interface != DrivePlacement.Pflash)
            {
                continue;
            }

            var label = $"-drive {Quote(items, null)}";
            var unit = drive.Number(label, "index") ?? drive.Number(label, "unit") ?? Enumerable.Range(0, DrivePlacement.PflashUnits + 1).First(u => !units.ContainsKey(u));

            // Positions past the second flash or taken twice are refused by the board's placement, with QEMU's words.
            if (unit < DrivePlacement.PflashUnits)
            {
                units.TryAdd(unit, (label, drive));
            }
        }

        if (units.Count == 0)
        {
            return null;
        }

        if (!units.ContainsKey(0))
        {
            throw new QemuOptionException("pflash1 requires pflash0");
        }

        var images = new List<byte[]>();
        foreach (var (unit, (label, drive)) in units)
        {
            if (drive.Get("format") is not (null or "raw"))
            {
                throw new QemuOptionException($"{label}: this emulator maps raw flash images only");
            }

            if (!HostFile.TryOpen(drive.Get("file"), File.ReadAllBytes, out var image, out var problem))
            {
                throw new QemuOptionException(drive.Get("file") is null
                    ? $"can't get size of block device pflash{unit}: No medium found"
                    : $"{label}: Could not open '{drive.Get("file")}': {problem}");
            }

            if (image!.Length == 0 || image.Length % FlashSector != 0)
            {
                throw new QemuOptionException(
                    $"system firmware block device pflash{unit} has invalid size {image.Length}{Environment.NewLine}info: its size must be a non-zero multiple of 0x{FlashSector:x}");
            }

            images.Add(image);
            if (images.Sum(i => (long)i.Length) > MaxFlashSize)
            {
                throw new QemuOptionException($"combined size of system firmware exceeds {MaxFlashSize} bytes");
            }
        }

        // pflash1 below pflash0, both ending at 4 GiB: one image the board maps as it maps a BIOS.
        images.Reverse();
        return [.. images.SelectMany(i => i)];
    }

    /// <summary>
    /// -bios NAME as QEMU's pc loads it (qemu_find_file, x86_bios_rom_init): the name as given, else each -L
    /// directory; a file that is missing, unreadable, empty or not a whole number of 64 KiB blocks is refused
    /// with QEMU's words (which name the file as given and start with "qemu:", not the program's name).
    /// </summary>
    private static byte[] ReadBios(string name, List<string> directories)
    {
        foreach (var path in directories.Select(d => Path.Combine(d, name)).Prepend(name))
        {
            if (File.Exists(path) && PcBoard.IsBiosSize(new FileInfo(path).Length)
                && HostFile.TryOpen(path, File.ReadAllBytes, out var image, out _))
            {
                return image!;
            }

            if (File.Exists(path))
            {
                break;
            }
        }

        throw new QemuOptionException($"could not load PC BIOS '{name}'");
    }

    /// <summary>
    /// Starts the populated machine of <paramref name="host"/>: running, or held in prelaunch under -S and
    /// --preconfig (QEMU's status for a VM that has not run yet; cont or x-exit-preconfig starts it).
    /// </summary>
    public static void Start(EmulatorHost host, QemuOptions options)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(options);
        if (options.StartPaused || options.Preconfig)
        {
            host.Machine.StartInPrelaunch();
        }
        else
        {
            host.Machine.Start();
        }
    }

    /// <summary>
    /// Places and opens the -drive options and applies -boot, adds the -blockdev nodes, then attaches the
    /// -device models with the -global properties, on the board of <paramref name="host"/>, made from
    /// <paramref name="description"/> (<see cref="Describe"/>). The machine has not started yet.
    /// </summary>
    public static void Populate(EmulatorHost host, QemuOptions options, BoardDescription description)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(description);
        host.MachineControl.Name = options.Name;
        host.MachineControl.CpuCount = description.EmptyBoard ? 0 : 1;
        host.MachineControl.InPreconfig = options.Preconfig;
        host.MachineControl.Autostart = !options.StartPaused;
        host.DriveParser = items => Drive(host, options, items);
        CheckDriveIds(options);
        try
        {
            host.Board.Populate(description with
            {
                Drives = [.. options.Drives.Select(items => Drive(host, options, items))],
                DefaultDrives = DefaultDrives(host, options),
            });
        }
        catch (BoardException e)
        {
            throw new QemuOptionException(e.Message);
        }

        AddBlockdevs(host.Services, host.Layer, options);
        if (options.Machine == "none" && options.Devices.Count > 0)
        {
            var driver = options.Devices[0].First().Value;
            throw new QemuOptionException($"-device {Quote(options.Devices[0], "driver")}: {EmptyBoardHotplug.NoBus(driver)}");
        }

        QemuDevices.Attach(host, options.Devices, options.Globals);
    }

    /// <summary>
    /// QEMU's default drives (vl.c configure_blockdev): an empty CD-ROM at IDE index 2, an empty floppy at index 0
    /// and an empty sd0, each with the options -drive would give it (-snapshot included) and each only if no
    /// -drive took its index; which of them exist is decided by -nodefaults, the machine and -device/-global.
    /// </summary>
    private static List<BoardDrive> DefaultDrives(EmulatorHost host, QemuOptions options)
    {
        List<List<KeyValuePair<string, string>>> drives = [];
        if (options.DefaultCdrom)
        {
            drives.Add([new("if", DrivePlacement.Ide), new("index", "2"), new("media", "cdrom")]);
        }

        if (options.DefaultFloppy)
        {
            drives.Add([new("if", DrivePlacement.Floppy), new("index", "0")]);
        }

        if (options.DefaultSdCard)
        {
            drives.Add([new("if", DrivePlacement.Sd), new("index", "0")]);
        }

        return [.. drives.Select(items => Drive(host, options, items) with { IsDefault = true })];
    }

    /// <summary>-drive ids are QemuOpts ids: a second -drive with the same id is refused before anything opens.</summary>
    private static void CheckDriveIds(QemuOptions options)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var items in options.Drives)
        {
            if (items.LastOrDefault(kv => kv.Key == "id").Value is { } id && !seen.Add(id))
            {
                throw new QemuOptionException($"-drive {Quote(items, null)}: Duplicate ID '{id}' for drive");
            }
        }
    }

    /// <summary>
    /// One -drive for the board: its interface, index or bus/unit and identity, opened when the board places it.
    /// On an empty board (-machine none) an explicit if=ide/floppy/virtio is refused with QEMU's wording, while
    /// a drive without if= (-cdrom, say) is opened and left unclaimed, as QEMU 7.2 leaves it.
    /// </summary>
    private static BoardDrive Drive(EmulatorHost host, QemuOptions options, List<KeyValuePair<string, string>> items)
    {
        var layer = host.Layer;
        var drive = QemuDrive.Parse(items);
        var label = $"-drive {Quote(items, null)}";
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

            // QEMU turns if=virtio into an anonymous -device virtio-blk-pci (drive_new); its block device is the virtio-backend child.
            VirtioIdentity = _ =>
            {
                var path = host.Peripherals.Claim(null) + PeripheralPaths.VirtioBackend;
                return new Devices.Virtio.VirtioBlkOptions { DeviceId = path, QomPath = path };
            },
        };
    }

    /// <summary>An option's value as QEMU quotes it in errors: the implied first key (-device's driver; -drive has none) bare.</summary>
    private static string Quote(List<KeyValuePair<string, string>> items, string? implied) =>
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

            try
            {
                layer.AddNode(parser.Parse(json));
            }
            catch (Emulator.Monitor.Qmp.QmpException e)
            {
                // QEMU names the option as written before the parser's words.
                throw new QemuOptionException($"-blockdev {Quote(items, null)}: {e.Message}");
            }
        }
    }
}
