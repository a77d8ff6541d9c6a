using System.Globalization;
using Emulator.Block.Backend;
using Emulator.Board;
using Emulator.Devices.Ide;
using Emulator.Devices.Virtio;
using Emulator.Machine.Platform;

namespace Emulator.Hosting.QemuSystem;

/// <summary>
/// <c>-device</c> for the storage models, with QEMU's property names: <c>ide-hd</c>/<c>ide-cd</c>
/// (drive, bus=ide.N, unit, id, serial, model, ver; -global ide-hd./ide-cd./ide-device. defaults), <c>floppy</c> (drive, unit, id) and
/// <c>virtio-blk-pci</c> (drive, addr, id, serial, num-queues, queue-size, vectors, config-wce,
/// discard, write-zeroes, request-merging). A drive is a <c>-drive if=none</c> id or a
/// <c>-blockdev</c> node name (then the device gets an anonymous backend over the node).
/// Mistakes get QEMU's messages.
/// </summary>
internal static class QemuDevices
{
    /// <summary>The abstract QOM parent of ide-hd and ide-cd, which -global may name.</summary>
    private const string IdeBaseType = "ide-device";

    private static readonly string[] Drivers = ["ide-hd", "ide-cd", "floppy", "virtio-blk-pci"];

    private const string DebugExitDriver = "isa-debug-exit";
    private const long DebugExitPortCount = 2;

    /// <summary>Attaches every -device; <paramref name="globals"/> are the -global DRIVER.PROPERTY defaults.</summary>
    public static void Attach(EmulatorHost host, IEnumerable<List<KeyValuePair<string, string>>> devices, IReadOnlyDictionary<string, string> globals)
    {
        var ideUsed = new HashSet<int>();
        foreach (var items in devices)
        {
            var properties = items.GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value);
            var driver = properties.GetValueOrDefault("driver") ?? string.Empty;
            if (driver == DebugExitDriver)
            {
                CheckDebugExit(properties);
                continue;
            }

            if (!Drivers.Contains(driver))
            {
                throw new QemuOptionException($"-device {driver}: '{driver}' is not a valid device model name");
            }

            var id = properties.GetValueOrDefault("id");
            if (id is not null && !host.Devices.ClaimId(id, driver))
            {
                throw QemuOptionException.In($"-device {driver},id={id}", $"Duplicate device ID '{id}'");
            }

            var backend = Backend(host, driver, properties);
            try
            {
                switch (driver)
                {
                    case "ide-hd" or "ide-cd":
                        AttachIde(host, driver, properties, globals, backend, id, ideUsed);
                        break;
                    case "floppy":
                        var unit = Number(driver, properties, "unit", 0, 1) ?? (host.Devices.Floppy.GetDrive(0).Backend is null ? 0 : 1);
                        host.Devices.AttachFloppy(unit, backend, id ?? string.Empty);
                        break;
                    default:
                        AddVirtio(host, properties, backend, id);
                        break;
                }
            }
            catch (ArgumentException e)
            {
                throw new QemuOptionException($"-device {driver}: {e.Message}");
            }
        }
    }

    /// <summary>
    /// device_add's virtio-blk-pci: the same properties as <c>-device</c>, on a running machine. The
    /// caller has checked the driver and the id; failures are <see cref="QemuOptionException"/>s whose
    /// <see cref="QemuOptionException.Detail"/> is QEMU's QMP message.
    /// </summary>
    public static VirtioBlkPci Hotplug(EmulatorHost host, string? id, Dictionary<string, string> properties)
    {
        const string Driver = "virtio-blk-pci";
        var backend = Backend(host, Driver, properties);
        if (backend.HasDevice)
        {
            // QEMU's set_drive_helper wording for a drive another device holds.
            throw new QemuOptionException($"Drive '{properties["drive"]}' is already in use by another device");
        }

        try
        {
            return AddVirtio(host, properties, backend, id);
        }
        catch (QemuOptionException)
        {
            ForgetAnonymous(backend);
            throw;
        }
        catch (ArgumentException e)
        {
            ForgetAnonymous(backend);
            throw new QemuOptionException(e.Message);
        }
        catch (BlockOperationException e)
        {
            ForgetAnonymous(backend);
            throw new QemuOptionException(e.Message);
        }
    }

    private static BlockBackend Backend(EmulatorHost host, string driver, Dictionary<string, string> properties)
    {
        if (!properties.TryGetValue("drive", out var name))
        {
            if (driver is "ide-cd" or "floppy")
            {
                // An empty drive: a removable device may start without a medium. As QEMU's
                // blk_create_empty_drive, it has no read-write open flag, so a medium inserted with
                // blockdev-change-medium's default read-only-mode (retain) opens read-only.
                return host.Layer.CreateBackend(new BlockBackendOptions { Name = null, ReadOnly = true });
            }

            throw QemuOptionException.In($"-device {driver}", "drive property not set");
        }

        if (host.Layer.FindBackend(name) is { } named)
        {
            return named;
        }

        var anonymous = host.Layer.CreateBackend(new BlockBackendOptions { Name = null });
        try
        {
            host.Layer.Media.InsertMedium(anonymous, name);
        }
        catch (BlockOperationException)
        {
            // virtio-blk-pci forwards drive to its inner virtio-blk-device, which is what QEMU names.
            var owner = driver == "virtio-blk-pci" ? "virtio-blk-device" : driver;
            throw QemuOptionException.In($"-device {driver},drive={name}", $"Property '{owner}.drive' can't find value '{name}'");
        }

        return anonymous;
    }

    /// <summary>An anonymous backend made for a -blockdev node dies with its device (QEMU's anonymous BlockBackend).</summary>
    private static void ForgetAnonymous(BlockBackend backend)
    {
        if (backend.Name.Length == 0 && !backend.HasDevice)
        {
            backend.Unref();
        }
    }

    private static void AttachIde(
        EmulatorHost host, string driver, Dictionary<string, string> properties, IReadOnlyDictionary<string, string> globals, BlockBackend backend, string? id, HashSet<int> used)
    {
        int? bus = properties.GetValueOrDefault("bus") switch
        {
            null => null,
            "ide.0" => 0,
            "ide.1" => 1,
            var other => throw new QemuOptionException($"-device {driver}: Bus '{other}' not found"),
        };
        var unit = Number(driver, properties, "unit", 0, 1);
        var index = Enumerable.Range(0, 4).FirstOrDefault(i => !used.Contains(i) && (bus is null || i / 2 == bus) && (unit is null || i % 2 == unit), -1);
        if (index < 0)
        {
            throw new QemuOptionException($"-device {driver}: IDE unit {unit ?? 0} is in use");
        }

        used.Add(index);
        var cdrom = driver == "ide-cd";
        if (!cdrom && !backend.IsInserted)
        {
            throw new QemuOptionException($"-device {driver}: Device needs media, but drive is empty");
        }

        if (!cdrom && backend.IsReadOnly)
        {
            // QEMU 7.2's ide-hd asks for write permission at realize, which a read-only node refuses.
            throw new QemuOptionException($"-device {driver}: {StorageDevices.ReadOnlyNode}");
        }

        var options = IdeOptions(driver, properties, globals, id ?? (backend.Name.Length > 0 ? backend.Name : $"ide{index / 2}-{(cdrom ? "cd" : "hd")}{index % 2}"));
        if (!cdrom)
        {
            options = options with { Geometry = UserGeometry(driver, properties), Translation = ChsTranslation(driver, properties) };
        }

        var drive = host.Devices.AttachIde(index, backend, cdrom, options);
        if (!cdrom)
        {
            AddLogicalGeometry(host, driver, properties, drive, StorageDevices.IdeFirmwarePath(index));
        }
    }

    /// <summary>ide-hd's cyls/heads/secs: none given means guessed; any given means all three are checked (blkconf_geometry).</summary>
    private static IdeGeometry? UserGeometry(string driver, Dictionary<string, string> properties)
    {
        var cylinders = Unsigned(driver, properties, "cyls");
        var heads = Unsigned(driver, properties, "heads");
        var sectors = Unsigned(driver, properties, "secs");
        if (cylinders == 0 && heads == 0 && sectors == 0)
        {
            return null;
        }

        // Values past int's range are refused by Validate as out of range, as QEMU refuses them.
        var geometry = new IdeGeometry((int)Math.Min(cylinders, int.MaxValue), (int)Math.Min(heads, int.MaxValue), (int)Math.Min(sectors, int.MaxValue));
        try
        {
            geometry.Validate();
        }
        catch (ArgumentException e)
        {
            throw new QemuOptionException($"-device {Describe(driver, properties)}: {e.Message}");
        }

        return geometry;
    }

    /// <summary>ide-hd's bios-chs-trans: auto (null), none, lba, large or rechs.</summary>
    private static BiosChsTranslation? ChsTranslation(string driver, Dictionary<string, string> properties) =>
        properties.GetValueOrDefault("bios-chs-trans") switch
        {
            null or "auto" => null,
            "none" => BiosChsTranslation.None,
            "lba" => BiosChsTranslation.Lba,
            "large" => BiosChsTranslation.Large,
            "rechs" => BiosChsTranslation.Rechs,
            var other => throw new QemuOptionException($"-device {Describe(driver, properties)}: Parameter 'bios-chs-trans' does not accept value '{other}'"),
        };

    /// <summary>lcyls/lheads/lsecs: the logical geometry the firmware is told through fw_cfg "bios-geometry".</summary>
    private static void AddLogicalGeometry(EmulatorHost host, string driver, Dictionary<string, string> properties, object device, string firmwarePath) =>
        host.Devices.BiosGeometry.Add(
            device, firmwarePath, Unsigned(driver, properties, "lcyls"), Unsigned(driver, properties, "lheads"), Unsigned(driver, properties, "lsecs"));

    /// <summary>A uint32 qdev property (0 when absent) with QEMU's message for a value that is not one.</summary>
    private static uint Unsigned(string driver, Dictionary<string, string> properties, string key)
    {
        if (!properties.TryGetValue(key, out var text))
        {
            return 0;
        }

        return uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new QemuOptionException($"-device {Describe(driver, properties)}: Parameter '{key}' expects integer");
    }

    /// <summary>The -device argument as the user wrote it, for error messages: driver first, then the properties.</summary>
    private static string Describe(string driver, Dictionary<string, string> properties) =>
        string.Join(',', properties.Where(kv => kv.Key != "driver").Select(kv => $"{kv.Key}={kv.Value}").Prepend(driver));

    /// <summary>
    /// serial, model and ver of an IDE drive: the -device property, else <c>-global DRIVER.PROPERTY</c>,
    /// else <c>-global ide-device.PROPERTY</c> (QEMU applies a type's globals to its subtypes too).
    /// </summary>
    internal static IdeDriveOptions IdeOptions(string driver, Dictionary<string, string> properties, IReadOnlyDictionary<string, string> globals, string deviceId)
    {
        string? Property(string key) =>
            properties.GetValueOrDefault(key) ?? globals.GetValueOrDefault($"{driver}.{key}") ?? globals.GetValueOrDefault($"{IdeBaseType}.{key}");

        return new IdeDriveOptions
        {
            DeviceId = deviceId,
            Serial = Property("serial"),
            Model = Property("model"),
            FirmwareRevision = Property("ver"),
        };
    }

    private static VirtioBlkPci AddVirtio(EmulatorHost host, Dictionary<string, string> properties, BlockBackend backend, string? id)
    {
        const string Driver = "virtio-blk-pci";
        if (!backend.IsInserted)
        {
            throw QemuOptionException.In($"-device {Describe(Driver, properties)}", "Device needs media, but drive is empty");
        }

        int? slot = null;
        if (properties.GetValueOrDefault("addr") is { } addr)
        {
            // QEMU's PCI address property: "SLOT[.FN]" in hex, a 0x prefix allowed (libqos writes "0x06.0").
            var slotText = addr.Split('.')[0];
            slotText = slotText.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? slotText[2..] : slotText;
            slot = int.TryParse(slotText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var s) && s is >= 0 and < 32
                ? s
                : throw QemuOptionException.In($"-device {Driver},addr={addr}", $"Property '{Driver}.addr' doesn't take value '{addr}'");
        }

        var defaults = new VirtioBlkOptions();

        var options = new VirtioBlkOptions
        {
            Serial = properties.GetValueOrDefault("serial") ?? string.Empty,
            NumQueues = Number(Driver, properties, "num-queues", 1, 1024) ?? defaults.NumQueues,
            QueueSize = (ushort)(Number(Driver, properties, "queue-size", 4, 1024) ?? defaults.QueueSize),
            MsixVectors = Number(Driver, properties, "vectors", 0, 2048),
            ConfigWce = Flag(Driver, properties, "config-wce") ?? defaults.ConfigWce,
            Discard = Flag(Driver, properties, "discard") ?? defaults.Discard,
            WriteZeroes = Flag(Driver, properties, "write-zeroes") ?? defaults.WriteZeroes,
            RequestMerging = Flag(Driver, properties, "request-merging") ?? defaults.RequestMerging,
        };
        // The block device is the proxy's virtio-backend child, which has no id: query-block names its path.
        var path = host.Peripherals.Claim(id) + PeripheralPaths.VirtioBackend;
        options = options with { DeviceId = path, QomPath = path };
        VirtioBlkPci virtio;
        try
        {
            virtio = host.Devices.AddVirtio(backend, options, slot, id);
        }
        catch (ArgumentException)
        {
            host.Peripherals.Release(PeripheralPaths.ProxyOf(path));
            throw;
        }

        AddLogicalGeometry(host, Driver, properties, virtio, StorageDevices.VirtioFirmwarePath(virtio.Device));
        return virtio;
    }

    private static int? Number(string driver, Dictionary<string, string> properties, string key, int min, int max)
    {
        if (!properties.TryGetValue(key, out var text))
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw QemuOptionException.In($"-device {driver},{key}={text}", $"Property '{driver}.{key}' doesn't take value '{text}'");
    }

    private static bool? Flag(string driver, Dictionary<string, string> properties, string key) =>
        properties.TryGetValue(key, out var text) ? KeyValueList.IsOn($"-device {driver}", key, text) : null;

    /// <summary>
    /// -device isa-debug-exit: this board always has it at QEMU's default place (0x501, two ports), so
    /// the device is accepted there and refused elsewhere rather than silently left at 0x501.
    /// </summary>
    private static void CheckDebugExit(Dictionary<string, string> properties)
    {
        foreach (var key in properties.Keys)
        {
            if (key is not ("driver" or "id" or "iobase" or "iosize"))
            {
                throw new QemuOptionException($"-device {DebugExitDriver}: Property '{DebugExitDriver}.{key}' not found");
            }
        }

        if (DebugExitValue(properties, "iobase") is not (null or DebugExitPort.DefaultPort) || DebugExitValue(properties, "iosize") is not (null or DebugExitPortCount))
        {
            throw new QemuOptionException($"-device {DebugExitDriver}: this board has isa-debug-exit only at iobase=0x501,iosize=2");
        }
    }

    private static long? DebugExitValue(Dictionary<string, string> properties, string key)
    {
        if (properties.GetValueOrDefault(key) is not { } text)
        {
            return null;
        }

        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        return long.TryParse(hex ? text[2..] : text, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new QemuOptionException($"-device {DebugExitDriver}: Property '{DebugExitDriver}.{key}' doesn't take value '{text}'");
    }
}
