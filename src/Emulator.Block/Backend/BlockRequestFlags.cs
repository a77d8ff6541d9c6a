namespace Emulator.Block.Backend;

/// <summary>Modifiers of a write or write-zeroes request (QEMU's <c>BDRV_REQ_*</c>).</summary>
[Flags]
public enum BlockRequestFlags : byte
{
    /// <summary>An ordinary request.</summary>
    None = 0,

    /// <summary>Force unit access: the write is on stable storage when it completes (added when the write cache is off).</summary>
    Fua = 1,

    /// <summary>For write-zeroes: the range may be deallocated instead of written.</summary>
    MayUnmap = 2,

    /// <summary>For writes: store the data compressed (whole clusters of an unallocated area; <c>img convert -c</c>). Drivers without compression ignore it.</summary>
    WriteCompressed = 4,

    /// <summary>For write-zeroes: fail with <see cref="BlockError.Unsupported"/> rather than fall back to writing zero buffers (QEMU's BDRV_REQ_NO_FALLBACK, NBD's FAST_ZERO).</summary>
    NoFallback = 8,
}
