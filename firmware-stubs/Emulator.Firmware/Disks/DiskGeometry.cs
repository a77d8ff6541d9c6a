namespace Emulator.Firmware.Disks;

/// <summary>Cylinders, heads and sectors per track: the logical geometry INT 13h's CHS functions use.</summary>
internal readonly record struct DiskGeometry(int Cylinders, int Heads, int SectorsPerTrack)
{
    public long Sectors => (long)Cylinders * Heads * SectorsPerTrack;

    /// <summary>The LBA of a CHS address, or null when the address is outside the geometry (sectors count from 1).</summary>
    public ulong? ToLba(int cylinder, int head, int sector) =>
        cylinder < Cylinders && head < Heads && sector >= 1 && sector <= SectorsPerTrack
            ? (ulong)((((long)cylinder * Heads) + head) * SectorsPerTrack) + (ulong)(sector - 1)
            : null;

    /// <summary>
    /// The geometry a BIOS reports for a hard disk: the drive's own when it has at most 1024 cylinders,
    /// otherwise heads doubled (up to 255) with 63 sectors, as BIOSes translate large drives ("LBA translation").
    /// </summary>
    public static DiskGeometry Translate(DiskGeometry physical, long sectors)
    {
        const int MaxCylinders = 1024;
        if (physical.Cylinders <= MaxCylinders && physical.Heads is > 0 and <= 16 && physical.SectorsPerTrack is > 0 and <= 63)
        {
            return physical;
        }

        const int SectorsPerTrack = 63;
        var heads = 16;
        var cylinders = sectors / (heads * SectorsPerTrack);
        while (cylinders > MaxCylinders && heads < 128)
        {
            heads *= 2;
            cylinders = sectors / (heads * SectorsPerTrack);
        }

        if (cylinders > MaxCylinders)
        {
            heads = 255;
            cylinders = sectors / (heads * SectorsPerTrack);
        }

        return new DiskGeometry((int)Math.Clamp(cylinders, 1, MaxCylinders), heads, SectorsPerTrack);
    }
}
