namespace Emulator.Block.Nbd;

/// <summary>Sizes fixed by the protocol and the bounds we apply to what a peer sends.</summary>
public static class NbdLimits
{
    /// <summary>The IANA-assigned NBD TCP port.</summary>
    public const int DefaultPort = 10809;

    /// <summary>Longest export name or metadata context name (proto.md: strings up to 4096 bytes).</summary>
    public const int MaxString = 4096;

    /// <summary>Largest payload of one request or read reply we send or accept (32 MiB, as QEMU's NBD_MAX_BUFFER_SIZE).</summary>
    public const int MaxPayload = 32 * 1024 * 1024;

    /// <summary>Largest option payload we accept during the handshake.</summary>
    public const int MaxOptionPayload = MaxString + 1024;

    internal const int RequestHeaderSize = 28;

    internal const int SimpleReplyHeaderSize = 16;

    internal const int StructuredReplyHeaderSize = 20;

    /// <summary>NBD_OPT_EXPORT_NAME's reply pads with this many zero bytes unless NoZeroes was agreed.</summary>
    public const int ExportNamePadding = 124;

    /// <summary>The metadata context of allocation status (NBD_CMD_BLOCK_STATUS), the one this server and client support.</summary>
    public const string BaseAllocation = "base:allocation";
}
