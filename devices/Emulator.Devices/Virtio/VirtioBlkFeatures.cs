namespace Emulator.Devices.Virtio;

/// <summary>virtio-blk feature bits (virtio 1.2, section 5.2.3).</summary>
[Flags]
internal enum VirtioBlkFeatures : ulong
{
    None = 0,
    SizeMax = 1UL << 1,
    SegMax = 1UL << 2,
    Geometry = 1UL << 4,
    ReadOnly = 1UL << 5,
    BlkSize = 1UL << 6,
    Flush = 1UL << 9,
    Topology = 1UL << 10,
    ConfigWce = 1UL << 11,
    MultiQueue = 1UL << 12,
    Discard = 1UL << 13,
    WriteZeroes = 1UL << 14,
}
