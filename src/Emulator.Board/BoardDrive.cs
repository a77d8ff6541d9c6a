using Emulator.Block.Backend;

namespace Emulator.Board;

/// <summary>
/// One drive of a <see cref="BoardDescription"/>, as QEMU's <c>-drive</c> places it: an interface (ide,
/// floppy, virtio, or none for a backend a device claims later), an optional index or bus/unit, and how to
/// open its backend once its name is known.
/// </summary>
public sealed record BoardDrive
{
    /// <summary>ide, floppy, virtio, sd (QEMU's default sd0 only) or none.</summary>
    public string Interface { get; init; } = DrivePlacement.Ide;

    /// <summary>True when the interface was named (-drive if=…); on an empty board only such drives are refused.</summary>
    public bool InterfaceGiven { get; init; } = true;

    /// <summary>True for a CD-ROM (media=cdrom): an IDE drive becomes ide-cd, and the backend may be empty.</summary>
    public bool CdRom { get; init; }

    /// <summary>The flat position (QEMU's index=), or null for bus/unit or the next free one.</summary>
    public int? Index { get; init; }

    /// <summary>The bus (QEMU's bus=): 0-1 for IDE, 0 for the other interfaces; null with <see cref="Index"/> or for the next free position.</summary>
    public int? Bus { get; init; }

    /// <summary>The unit on the bus (QEMU's unit=): 0-1 for IDE and floppy, 0 for virtio; null for the first free unit.</summary>
    public int? Unit { get; init; }

    /// <summary>
    /// One of QEMU's default drives (vl.c default_drive, DriveInfo.is_default): added after the described drives
    /// only when its position is still free, and never refused as an orphan (the pc's sd0 has no device).
    /// </summary>
    public bool IsDefault { get; init; }

    /// <summary>The backend name (-drive id=); null for QEMU's default name from the position.</summary>
    public string? Id { get; init; }

    /// <summary>What errors about this drive start with, as the front end's user wrote it (e.g. <c>-drive file=a.img,if=ide</c>).</summary>
    public required string Label { get; init; }

    /// <summary>
    /// An IDE hard disk may sit on a read-only backend (emu boot; the disk then aborts writes). QEMU's
    /// ide-hd refuses one (false, the default).
    /// </summary>
    public bool ReadOnlyDiskAllowed { get; init; }

    /// <summary>Opens the drive's backend under the name it was given.</summary>
    public required Func<string, BlockBackend> Open { get; init; }

    /// <summary>A virtio drive's device options (its QOM path) for its backend name; null for the defaults.</summary>
    public Func<string, Devices.Virtio.VirtioBlkOptions>? VirtioIdentity { get; init; }

    /// <summary>An IDE drive's identity (serial, model, revision) for its backend name; null for the defaults.</summary>
    public Func<string, Devices.Ide.IdeDriveOptions>? IdeIdentity { get; init; }
}
