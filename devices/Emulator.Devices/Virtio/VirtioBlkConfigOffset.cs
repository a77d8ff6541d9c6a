namespace Emulator.Devices.Virtio;

/// <summary>struct virtio_blk_config field offsets, little-endian (virtio 1.2, section 5.2.4).</summary>
internal enum VirtioBlkConfigOffset
{
    Capacity = 0,
    SizeMax = 8,
    SegMax = 12,
    Cylinders = 16,
    Heads = 18,
    Sectors = 19,
    BlkSize = 20,
    PhysicalBlockExp = 24,
    AlignmentOffset = 25,
    MinIoSize = 26,
    OptIoSize = 28,
    Writeback = 32,
    NumQueues = 34,
    MaxDiscardSectors = 36,
    MaxDiscardSeg = 40,
    DiscardSectorAlignment = 44,
    MaxWriteZeroesSectors = 48,
    MaxWriteZeroesSeg = 52,
    WriteZeroesMayUnmap = 56,

    /// <summary>Size of the structure up to and including the write-zeroes fields (QEMU's size without secure erase and zoned fields).</summary>
    End = 60,
}
