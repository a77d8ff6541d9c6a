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
    /// The translation a BIOS picks for a disk nobody told it about (SeaBIOS's heuristic, used for
    /// virtio-blk): LBA when the physical geometry is missing or larger than the disk, none when it
    /// fits 1024/16/63, LARGE while cylinders x heads stays within 131072, else LBA.
    /// </summary>
    public static ChsTranslation GuessTranslation(DiskGeometry physical, long sectors)
    {
        if (physical.Cylinders <= 0 || physical.Heads <= 0 || physical.SectorsPerTrack <= 0 || physical.Sectors > sectors)
        {
            return ChsTranslation.Lba;
        }

        if (physical.Cylinders <= MaxCylinders && physical.Heads <= MaxPhysicalHeads && physical.SectorsPerTrack <= MaxSectorsPerTrack)
        {
            return ChsTranslation.None;
        }

        return (long)physical.Cylinders * physical.Heads <= LargeLimit ? ChsTranslation.Large : ChsTranslation.Lba;
    }

    /// <summary>
    /// The logical geometry INT 13h reports for a hard disk under <paramref name="translation"/>, as
    /// SeaBIOS computes it: LBA-assisted takes 63 sectors and the smallest of 16/32/64/128/255 heads that
    /// keeps the cylinders near 1024; LARGE halves cylinders and doubles heads until 1024 cylinders (or
    /// 128 heads or more); R-ECHS first turns 16 heads into 15; then cylinders are clipped to 1024.
    /// </summary>
    public static DiskGeometry Translate(DiskGeometry physical, long sectors, ChsTranslation translation)
    {
        var cylinders = (long)physical.Cylinders;
        var heads = physical.Heads;
        var perTrack = physical.SectorsPerTrack;
        switch (translation)
        {
            case ChsTranslation.Lba:
                perTrack = MaxSectorsPerTrack;
                if (sectors > (long)MaxSectorsPerTrack * MaxLogicalHeads * MaxCylinders)
                {
                    heads = MaxLogicalHeads;
                    cylinders = MaxCylinders;
                    break;
                }

                var tracks = (uint)sectors / MaxSectorsPerTrack;
                heads = (tracks / MaxCylinders) switch
                {
                    > 128 => MaxLogicalHeads,
                    > 64 => 128,
                    > 32 => 64,
                    > 16 => 32,
                    _ => 16,
                };
                cylinders = tracks / heads;
                break;
            case ChsTranslation.Large or ChsTranslation.Rechs:
                if (translation == ChsTranslation.Rechs && heads == MaxPhysicalHeads)
                {
                    // 16 heads become 15 with the cylinders scaled up, before the bit-shift.
                    cylinders = Math.Min(cylinders, RechsCylinderLimit) * MaxPhysicalHeads / RechsHeads;
                    heads = RechsHeads;
                }

                while (cylinders > MaxCylinders)
                {
                    cylinders >>= 1;
                    heads <<= 1;
                    if (heads > LargeHeadLimit)
                    {
                        break;
                    }
                }

                break;
        }

        return new DiskGeometry((int)Math.Min(cylinders, MaxCylinders), heads, perTrack);
    }

    private const int MaxCylinders = 1024;
    private const int MaxPhysicalHeads = 16;
    private const int MaxLogicalHeads = 255;
    private const int MaxSectorsPerTrack = 63;
    private const long LargeLimit = 131072;
    private const int LargeHeadLimit = 127;
    private const int RechsHeads = 15;
    private const long RechsCylinderLimit = 61439;
}
