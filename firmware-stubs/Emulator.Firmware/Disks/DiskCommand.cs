namespace Emulator.Firmware.Disks;

/// <summary>What a disk request does with its sectors.</summary>
internal enum DiskCommand
{
    Read,
    Write,
    Verify,
}
