namespace Emulator.Block.Nbd;

/// <summary>The magic numbers of the NBD protocol (NetworkBlockDevice doc/proto.md, "Protocol phases"). All are big-endian on the wire.</summary>
internal static class NbdMagic
{
    /// <summary>"NBDMAGIC": the first eight bytes a server sends.</summary>
    public const ulong InitPassword = 0x4E42444D41474943;

    /// <summary>"IHAVEOPT": the newstyle handshake follows; also the prefix of every option the client sends.</summary>
    public const ulong IHaveOpt = 0x49484156454F5054;

    /// <summary>The oldstyle handshake's second magic (we refuse oldstyle servers).</summary>
    public const ulong OldStyle = 0x00420281861253;

    /// <summary>Prefix of every option reply.</summary>
    public const ulong OptionReply = 0x0003E889045565A9;

    public const uint Request = 0x25609513;

    public const uint SimpleReply = 0x67446698;

    public const uint StructuredReply = 0x668E33EF;
}
