using Emulator.Block.Nbd;

namespace Emulator.Block.Drivers.Nbd;

/// <summary>What the handshake agreed for one export.</summary>
internal sealed record NbdExportInfo(long Size, NbdTransmissionFlags Flags)
{
    /// <summary>Replies come as structured chunks (NBD_OPT_STRUCTURED_REPLY acknowledged).</summary>
    public bool StructuredReplies { get; init; }

    /// <summary>The id of <c>base:allocation</c> when the server agreed to it.</summary>
    public uint? AllocationContext { get; init; }

    public uint MinimumBlock { get; init; } = 1;

    public uint PreferredBlock { get; init; } = 4096;

    public uint MaximumBlock { get; init; } = NbdLimits.MaxPayload;

    /// <summary>True when the export was reached with NBD_OPT_GO; false after the NBD_OPT_EXPORT_NAME fallback.</summary>
    public bool NegotiatedWithGo { get; init; }

    public bool Has(NbdTransmissionFlags flag) => (Flags & flag) == flag;
}
