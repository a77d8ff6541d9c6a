namespace Emulator.Devices.Floppy;

/// <summary>One medium geometry: the drive family it belongs to, sectors per track, tracks, heads and the data rate it is recorded at.</summary>
internal readonly record struct FloppyFormat(FloppyDriveType Drive, byte SectorsPerTrack, byte Tracks, byte Heads, FloppyDataRate Rate)
{
    /// <summary>Total 512-byte sectors of a medium in this format.</summary>
    public long TotalSectors => (long)SectorsPerTrack * Tracks * Heads;
}
