using Emulator.Block.Backend;

namespace Emulator.Block.Nbd;

/// <summary>Maps between the protocol's error values and the block layer's <see cref="BlockError"/>, both ways, in one place.</summary>
internal static class NbdErrors
{
    public static BlockError ToBlockError(NbdErrno error) => error switch
    {
        NbdErrno.None => BlockError.None,
        NbdErrno.Perm => BlockError.ReadOnly,
        NbdErrno.NoSpace => BlockError.NoSpace,
        NbdErrno.Invalid => BlockError.InvalidArgument,
        NbdErrno.Overflow => BlockError.OutOfRange,
        NbdErrno.NotSupported => BlockError.Unsupported,
        _ => BlockError.Io,
    };

    public static NbdErrno FromBlockError(BlockError error) => error switch
    {
        BlockError.None => NbdErrno.None,
        BlockError.ReadOnly => NbdErrno.Perm,
        BlockError.NoSpace => NbdErrno.NoSpace,
        BlockError.OutOfRange => NbdErrno.Invalid,
        BlockError.InvalidArgument => NbdErrno.Invalid,
        BlockError.Unsupported => NbdErrno.NotSupported,
        _ => NbdErrno.Io,
    };
}
