namespace Emulator.Block.Drivers.Qcow2;

/// <summary>Bit layout of L1, L2 and refcount table entries (qcow2.txt, "Cluster mapping" and "Host cluster management").</summary>
internal static class Qcow2Entry
{
    /// <summary>Bits 9–55: a host offset in an L1, L2 or refcount table entry.</summary>
    public const ulong OffsetMask = 0x00FF_FFFF_FFFF_FE00;

    /// <summary>Bit 63: the refcount of the cluster (or L2 table) is exactly one, so it may be written in place.</summary>
    public const ulong Copied = 1UL << 63;

    /// <summary>Bit 62 of an L2 entry: the cluster is compressed.</summary>
    public const ulong Compressed = 1UL << 62;

    /// <summary>Bit 0 of a standard L2 entry (version 3): the cluster reads as zeroes.</summary>
    public const ulong Zero = 1;

    /// <summary>Reserved bits of an L1 entry (1–8, 56–62).</summary>
    public const ulong L1Reserved = 0x7F00_0000_0000_01FE;

    /// <summary>Reserved bits of a standard L2 entry (1–8, 56–61).</summary>
    public const ulong L2Reserved = 0x3F00_0000_0000_01FE;

    /// <summary>Reserved bits of a refcount table entry (0–8).</summary>
    public const ulong RefcountTableReserved = 0x1FF;

    /// <summary>Bytes of a standard L2 entry, and of an extended one (the entry and its subcluster bitmap).</summary>
    public const int EntryBytes = 8;
    public const int ExtendedEntryBytes = 16;

    /// <summary>Subclusters per cluster with extended L2 entries (one bit each in both halves of the bitmap).</summary>
    public const int Subclusters = 32;

    /// <summary>log2 of <see cref="Subclusters"/>.</summary>
    public const int SubclusterShift = 5;

    /// <summary>The bitmap half (bits 32–63) that marks subclusters reading as zeroes; bits 0–31 mark allocated ones.</summary>
    public const int ZeroBitmapShift = 32;

    /// <summary>Every subcluster allocated, and every subcluster reading as zeroes.</summary>
    public const ulong AllAllocated = 0xFFFF_FFFF;
    public const ulong AllZero = 0xFFFF_FFFF_0000_0000;

    /// <summary>Compressed data is counted in 512-byte sectors whatever the cluster size.</summary>
    public const int CompressedSectorSize = 512;

    /// <summary>The bit where the sector count of a compressed cluster descriptor starts (x in qcow2.txt).</summary>
    public static int CompressedSizeShift(int clusterBits) => 62 - (clusterBits - 8);
}
