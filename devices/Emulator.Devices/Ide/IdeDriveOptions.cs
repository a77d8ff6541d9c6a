namespace Emulator.Devices.Ide;

/// <summary>
/// Properties of one IDE drive (QEMU's ide-hd / ide-cd properties). Null strings take QEMU's
/// defaults: model "QEMU HARDDISK" / "QEMU DVD-ROM", serial "QM%05d" numbered by attach order,
/// firmware revision <see cref="DefaultFirmwareRevision"/>.
/// </summary>
public sealed record IdeDriveOptions
{
    /// <summary>The firmware revision QEMU 7.2 reports when none is given ("2.5+").</summary>
    public const string DefaultFirmwareRevision = "2.5+";

    /// <summary>The serial number (at most 20 characters are visible in IDENTIFY); null for QEMU's numbered default.</summary>
    public string? Serial { get; init; }

    /// <summary>The model string (at most 40 characters are visible); null for "QEMU HARDDISK" or "QEMU DVD-ROM".</summary>
    public string? Model { get; init; }

    /// <summary>The firmware revision (at most 8 characters are visible); null for <see cref="DefaultFirmwareRevision"/>.</summary>
    public string? FirmwareRevision { get; init; }

    /// <summary>The device id given to <c>BlockBackend.AttachDevice</c> (qdev id); defaults to "ide{channel}-{cd|hd}{unit}".</summary>
    public string? DeviceId { get; init; }

    /// <summary>The QOM path reported in BLOCK_IO_ERROR; defaults to the device id.</summary>
    public string? QomPath { get; init; }

    /// <summary>Geometry override (QEMU's cyls/heads/secs); all three or none. Hard disks only.</summary>
    public IdeGeometry? Geometry { get; init; }

    /// <summary>QEMU's bios-chs-trans; null is "auto" (guessed with the geometry, or from the given geometry). Hard disks only.</summary>
    public BiosChsTranslation? Translation { get; init; }
}
