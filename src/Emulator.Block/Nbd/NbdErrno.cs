namespace Emulator.Block.Nbd;

/// <summary>The error values a reply carries (proto.md "Error values"; Linux errno numbers).</summary>
internal enum NbdErrno : uint
{
    None = 0,
    Perm = 1,
    Io = 5,
    NoMemory = 12,
    Invalid = 22,
    NoSpace = 28,
    Overflow = 75,
    NotSupported = 95,
    Shutdown = 108,
}
