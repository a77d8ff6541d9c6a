namespace Emulator.Block.Tracing;

/// <summary>What a stamp's clock reading was lent for (docs/io-tracing.md, "Shared readings").</summary>
internal enum IoTraceSharedReadingKind : byte
{
    None,

    /// <summary>A forwarding node's start, for its child's start.</summary>
    Begin,

    /// <summary>A finished node's end, for a forwarding parent's end or the backend's queued stamp.</summary>
    End,
}
