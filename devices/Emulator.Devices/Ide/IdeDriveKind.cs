namespace Emulator.Devices.Ide;

/// <summary>The kinds of drive on an IDE channel (QEMU's ide-hd and ide-cd), used by the command tables.</summary>
[Flags]
public enum IdeDriveKind : byte
{
    /// <summary>No drive.</summary>
    None = 0,
    /// <summary>An ATA hard disk (<see cref="AtaDisk"/>).</summary>
    HardDisk = 1,
    /// <summary>An ATAPI CD-ROM drive (<see cref="AtapiCdrom"/>).</summary>
    Cdrom = 2,
    /// <summary>Either kind.</summary>
    All = HardDisk | Cdrom,
}
