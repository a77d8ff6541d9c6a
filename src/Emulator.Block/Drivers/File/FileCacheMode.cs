namespace Emulator.Block.Drivers.File;

/// <summary>Host cache use of the file protocol (QEMU's cache.direct).</summary>
public enum FileCacheMode : byte
{
    /// <summary>Through the host page cache; flush = fdatasync.</summary>
    Writeback,

    /// <summary>O_DIRECT where the filesystem allows it (aligned bounce buffers for unaligned requests); flush = fdatasync.</summary>
    None,
}
