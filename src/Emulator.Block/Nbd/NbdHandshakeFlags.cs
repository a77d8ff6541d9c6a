namespace Emulator.Block.Nbd;

/// <summary>The server's 16-bit handshake flags, sent after IHAVEOPT.</summary>
[Flags]
internal enum NbdHandshakeFlags : ushort
{
    None = 0,
    FixedNewstyle = 1 << 0,
    NoZeroes = 1 << 1,
}
