using System.Buffers.Binary;

namespace Emulator.Devices.Ide;

/// <summary>
/// A CHS geometry: cylinders, heads (1-16) and sectors per track (1-63) (ATA/ATAPI-6, section 6.2.1).
/// Without an override a disk's geometry is guessed as QEMU does (hw/block/hd-geometry.c): from the
/// first MBR partition that ends on a cylinder boundary when that gives at most 16 heads, else the
/// standard 16 heads x 63 sectors with cylinders from the size clamped to 2..16383.
/// </summary>
public sealed record IdeGeometry(int Cylinders, int Heads, int Sectors)
{
    /// <summary>The most cylinders an ATA CHS geometry can report (16383).</summary>
    public const int MaxCylinders = 16383;
    /// <summary>The most heads an ATA CHS geometry can report (16).</summary>
    public const int MaxHeads = 16;
    /// <summary>The most sectors per track an ATA CHS geometry can report (63).</summary>
    public const int MaxSectors = 63;
    private const int MinCylinders = 2;

    private const int BootSignatureOffset = 510;
    private const byte BootSignature0 = 0x55;
    private const byte BootSignature1 = 0xAA;
    private const int PartitionTableOffset = 0x1BE;
    private const int PartitionEntryBytes = 16;
    private const int PartitionCount = 4;
    private const int EndHeadOffset = 5;
    private const int EndSectorOffset = 6;
    private const int SectorCountOffset = 12;
    private const byte SectorBits = 0x3F;
    private const int BiosMaxCylinders = 1024;
    private const long LargeTranslationLimit = 131072;

    /// <summary>The standard geometry for a size: 16 heads, 63 sectors, cylinders clamped to 2..16383.</summary>
    public static IdeGeometry Guess(long totalSectors)
    {
        var cylinders = totalSectors / (MaxHeads * MaxSectors);
        return new IdeGeometry((int)Math.Clamp(cylinders, MinCylinders, MaxCylinders), MaxHeads, MaxSectors);
    }

    /// <summary>
    /// QEMU's guess from sector 0: the physical geometry for IDENTIFY and the translation hint for the
    /// BIOS. <paramref name="mbr"/> may be shorter than a sector (unreadable image): then no MBR is used.
    /// </summary>
    public static (IdeGeometry Geometry, BiosChsTranslation Translation) Guess(long totalSectors, ReadOnlySpan<byte> mbr)
    {
        var standard = Guess(totalSectors);
        if (FromPartitionTable(totalSectors, mbr) is not { } logical)
        {
            return (standard, standard.AutoTranslation());
        }

        // More than 16 heads means the partitions were laid out through a translating BIOS.
        return logical.Heads > MaxHeads ? (standard, LargeOrLba(standard)) : (logical, BiosChsTranslation.None);
    }

    /// <summary>The geometry the first partition with an end head implies, when it gives 1..16383 cylinders.</summary>
    private static IdeGeometry? FromPartitionTable(long totalSectors, ReadOnlySpan<byte> mbr)
    {
        if (mbr.Length <= BootSignatureOffset + 1 || mbr[BootSignatureOffset] != BootSignature0 || mbr[BootSignatureOffset + 1] != BootSignature1)
        {
            return null;
        }

        for (var i = 0; i < PartitionCount; i++)
        {
            var entry = mbr.Slice(PartitionTableOffset + (i * PartitionEntryBytes), PartitionEntryBytes);
            var sectors = BinaryPrimitives.ReadUInt32LittleEndian(entry[SectorCountOffset..]);
            var endHead = entry[EndHeadOffset];
            if (sectors == 0 || endHead == 0)
            {
                continue;
            }

            var heads = endHead + 1;
            var perTrack = entry[EndSectorOffset] & SectorBits;
            if (perTrack == 0)
            {
                continue;
            }

            var cylinders = totalSectors / (heads * perTrack);
            if (cylinders is >= 1 and <= MaxCylinders)
            {
                return new IdeGeometry((int)cylinders, heads, perTrack);
            }
        }

        return null;
    }

    /// <summary>QEMU's "auto" translation (hd_bios_chs_auto_trans): none when the geometry fits the BIOS's 1024/16/63, else LBA.</summary>
    public BiosChsTranslation AutoTranslation() =>
        Cylinders <= BiosMaxCylinders && Heads <= MaxHeads && Sectors <= MaxSectors ? BiosChsTranslation.None : BiosChsTranslation.Lba;

    private static BiosChsTranslation LargeOrLba(IdeGeometry g) =>
        (long)g.Cylinders * g.Heads <= LargeTranslationLimit ? BiosChsTranslation.Large : BiosChsTranslation.Lba;

    /// <summary>Refuses a geometry the registers cannot address, with QEMU's messages (blkconf_geometry: cylinders, then heads, then sectors).</summary>
    public void Validate()
    {
        if (Cylinders is < 1 or > ushort.MaxValue)
        {
            throw new ArgumentException($"cyls must be between 1 and {ushort.MaxValue}");
        }

        if (Heads is < 1 or > MaxHeads)
        {
            throw new ArgumentException($"heads must be between 1 and {MaxHeads}");
        }

        if (Sectors is < 1 or > byte.MaxValue)
        {
            throw new ArgumentException($"secs must be between 1 and {byte.MaxValue}");
        }
    }
}
