namespace Emulator.Board;

/// <summary>
/// QEMU's drive placement (blockdev.c drive_new, vl.c drive_check_orphans) for the pc machine: an index
/// becomes bus and unit, a missing unit takes the first free one, a taken or impossible position is refused
/// with QEMU's words, and the backend is named ide{bus}-{hd|cd}{unit}, floppy{unit} or virtio{unit}.
/// </summary>
public sealed class DrivePlacement
{
    /// <summary>The IDE interface (if=ide): two buses with two units each.</summary>
    public const string Ide = "ide";
    /// <summary>The floppy interface (if=floppy): units 0 and 1.</summary>
    public const string Floppy = "floppy";
    /// <summary>The virtio interface (if=virtio): each drive becomes a virtio-blk-pci function.</summary>
    public const string Virtio = "virtio";
    /// <summary>No interface (if=none): only the backend is created, for a <c>-device</c> to claim.</summary>
    public const string None = "none";
    /// <summary>
    /// The SD card interface (if=sd): the pc machine has no SD controller, so only QEMU's default empty sd0 is
    /// accepted (an unclaimed backend); a drive the user asks for is refused as QEMU's drive_check_orphans refuses it.
    /// </summary>
    public const string Sd = "sd";
    /// <summary>
    /// System flash (if=pflash): units 0 and 1, no device of their own here; the front end maps their images as
    /// the firmware (<see cref="BoardDescription.Bios"/>) and the board only places and opens their backends.
    /// </summary>
    public const string Pflash = "pflash";

    /// <summary>QEMU's pc has two system flash devices (pflash0 ending at 4 GiB, pflash1 below it).</summary>
    public const int PflashUnits = 2;

    /// <summary>Units per IDE bus (master, slave); the other interfaces have one bus.</summary>
    public const int IdeUnitsPerBus = 2;

    /// <summary>The pc machine's IDE buses (primary, secondary) and floppy drives (A:, B:).</summary>
    public const int IdeBuses = 2;
    /// <summary>Floppy drives on the pc machine (A: and B:).</summary>
    public const int FloppyUnits = 2;

    private readonly HashSet<(string Interface, int Bus, int Unit)> _used = [];

    internal static bool IsKnownInterface(string name) => name is Ide or Floppy or Virtio or None or Sd or Pflash;

    /// <summary>
    /// Whether <paramref name="drive"/>'s position (from its index, or bus/unit) holds no drive yet: QEMU's
    /// default_drive adds a default drive only then (drive_get_by_index). A drive without a position is never free.
    /// </summary>
    public bool IsFree(BoardDrive drive)
    {
        ArgumentNullException.ThrowIfNull(drive);
        var perBus = drive.Interface == Ide ? IdeUnitsPerBus : 0;
        if (drive.Index is { } index)
        {
            return !_used.Contains((drive.Interface, perBus > 0 ? index / perBus : 0, perBus > 0 ? index % perBus : index));
        }

        return drive.Unit is { } unit && !_used.Contains((drive.Interface, drive.Bus ?? 0, unit));
    }

    /// <summary>Places <paramref name="drive"/> after the drives placed before it; a <see cref="BoardException"/> names what is wrong.</summary>
    public DrivePosition Place(BoardDrive drive)
    {
        var perBus = drive.Interface == Ide ? IdeUnitsPerBus : 0;
        var bus = drive.Bus ?? 0;
        var unit = drive.Unit;
        if (drive.Index is { } index)
        {
            if (bus != 0 || unit is not null)
            {
                throw Error(drive, "index cannot be used with bus and unit");
            }

            bus = perBus > 0 ? index / perBus : 0;
            unit = perBus > 0 ? index % perBus : index;
        }

        if (unit is null)
        {
            unit = 0;
            while (_used.Contains((drive.Interface, bus, unit.Value)))
            {
                unit++;
                if (perBus > 0 && unit >= perBus)
                {
                    unit -= perBus;
                    bus++;
                }
            }
        }

        if (perBus > 0 && unit >= perBus)
        {
            throw Error(drive, $"unit {unit} too big (max is {perBus - 1})");
        }

        var flat = perBus > 0 ? (bus * perBus) + unit.Value : unit.Value;
        if (!_used.Add((drive.Interface, bus, unit.Value)))
        {
            // QEMU names the index as given (-1 when the drive gave bus and unit instead).
            throw Error(drive, $"drive with bus={bus}, unit={unit} (index={drive.Index ?? -1}) exists");
        }

        var name = drive.Id ?? drive.Interface switch
        {
            None => $"none{unit}",
            Ide => $"ide{bus}-{(drive.CdRom ? "cd" : "hd")}{unit}",
            Floppy => $"floppy{unit}",
            Sd => $"sd{unit}",
            Pflash => $"pflash{unit}",
            _ => $"virtio{unit}",
        };
        return new DrivePosition(drive.Interface, bus, unit.Value, flat, name);
    }

    /// <summary>Why the pc machine has no such position (QEMU's drive_check_orphans), or null when it has; a default drive is never an orphan.</summary>
    internal static string? Orphan(DrivePosition position, bool isDefault = false) => position.Interface switch
    {
        _ when isDefault => null,
        Sd => Unsupported(position),
        Pflash when position.Unit >= PflashUnits => Unsupported(position),
        Ide when position.Bus >= IdeBuses => Unsupported(position),
        Floppy when position.Bus > 0 || position.Unit >= FloppyUnits => Unsupported(position),
        _ => null,
    };

    /// <summary>QEMU's refusal of a drive no device of the machine claims.</summary>
    internal static string Unsupported(DrivePosition position) =>
        $"machine type does not support if={position.Interface},bus={position.Bus},unit={position.Unit}";

    private static BoardException Error(BoardDrive drive, string message) => new($"{drive.Label}: {message}");
}
