namespace Emulator.Devices.Ide;

/// <summary>The kinds of drive on an IDE channel (QEMU's ide-hd and ide-cd), used by the command tables.</summary>
[Flags]
public enum IdeDriveKind : byte
{
    None = 0,
    HardDisk = 1,
    Cdrom = 2,
    All = HardDisk | Cdrom,
}
