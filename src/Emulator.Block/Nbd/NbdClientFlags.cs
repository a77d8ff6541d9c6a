namespace Emulator.Block.Nbd;

/// <summary>The client's 32-bit flags, the answer to the handshake flags.</summary>
[Flags]
internal enum NbdClientFlags : uint
{
    None = 0,
    FixedNewstyle = 1 << 0,
    NoZeroes = 1 << 1,
}
