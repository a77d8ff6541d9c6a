namespace Emulator.Block.Backend;

/// <summary>Host-side descriptions of <see cref="BlockError"/> values, worded as strerror() words them (BLOCK_IO_ERROR's <c>reason</c>).</summary>
public static class BlockErrorExtensions
{
    /// <summary>The error as a short English message in the words of the matching errno text (<c>Input/output error</c>, <c>No space left on device</c> …), for monitor replies and tool output.</summary>
    public static string Describe(this BlockError error) => error switch
    {
        BlockError.None => "Success",
        BlockError.Io => "Input/output error",
        BlockError.NoSpace => "No space left on device",
        BlockError.ReadOnly => "Read-only file system",
        BlockError.NoMedium => "No medium found",
        BlockError.OutOfRange => "Input/output error",
        BlockError.Unsupported => "Operation not supported",
        BlockError.InvalidArgument => "Invalid argument",
        _ => error.ToString(),
    };

    /// <summary>
    /// True for errors that come from checking the request itself (QEMU accounts them as "invalid"
    /// and they never reach the error policy): the device should have refused such a request.
    /// </summary>
    public static bool IsRequestError(this BlockError error) =>
        error is BlockError.OutOfRange or BlockError.InvalidArgument or BlockError.ReadOnly;
}
