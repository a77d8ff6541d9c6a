namespace Emulator.Devices.Ide;

/// <summary>
/// Properties of one IDE drive (QEMU's ide-hd / ide-cd properties). Null strings take QEMU's
/// defaults: model "QEMU HARDDISK" / "QEMU DVD-ROM", serial "QM%05d" numbered by attach order,
/// firmware revision <see cref="DefaultFirmwareRevision"/>.
/// </summary>
public sealed record IdeDriveOptions
{
    public const string DefaultFirmwareRevision = "2.5+";

    public string? Serial { get; init; }

    public string? Model { get; init; }

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
