namespace Emulator.Block.Backend;

[Flags]
public enum BlockRequestFlags : byte
{
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
