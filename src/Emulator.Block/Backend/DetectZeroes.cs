namespace Emulator.Block.Backend;

/// <summary>
/// QEMU's detect-zeroes (block/io.c bdrv_aligned_pwritev): a write whose buffer is all zero bytes is
/// issued as a write-zeroes, which a format can record without writing data (qcow2 zero clusters, a hole
/// in a file).
/// </summary>
public enum DetectZeroes
{
    /// <summary>Every write goes down as written (the default).</summary>
    Off,

    /// <summary>An all-zero write becomes a write-zeroes.</summary>
    On,

    /// <summary>As <see cref="On"/>, and the range may be deallocated (<see cref="BlockRequestFlags.MayUnmap"/>); QEMU does this only on a drive with discard=unmap.</summary>
    Unmap,
}
