namespace Emulator.Block.Backend;

/// <summary>
/// The outcome of a block operation. Errors are values on the I/O path; each device maps them to
/// its guest-visible status in one place.
/// </summary>
public enum BlockError : byte
{
    /// <summary>Success.</summary>
    None,

    /// <summary>The medium or the host reported an I/O error (EIO).</summary>
    Io,

    /// <summary>The host ran out of space (ENOSPC); the <c>enospc</c> policy stops the VM on this one.</summary>
    NoSpace,

    /// <summary>A write, discard or resize on a read-only backend or node (EROFS/EPERM).</summary>
    ReadOnly,

    /// <summary>No medium inserted, or the tray is open (ENOMEDIUM).</summary>
    NoMedium,

    /// <summary>Offset or length negative, overflowing, or past the end of the medium.</summary>
    OutOfRange,

    /// <summary>The driver does not implement the operation (ENOTSUP).</summary>
    Unsupported,

    /// <summary>An argument the caller should never have passed (for example a misaligned direct-I/O buffer the layer could not bounce).</summary>
    InvalidArgument,
}
