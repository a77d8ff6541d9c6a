namespace Emulator.Block.Tracing;

/// <summary>The operation a span or a driver slice performs.</summary>
internal enum IoTraceOp : byte
{
    None,
    Read,
    Write,
    Flush,
    Discard,
    WriteZeroes,

    /// <summary>A format driver reading its own metadata (qcow2 L1/L2/refcount tables) — a child of the guest request.</summary>
    MetadataRead,

    /// <summary>A format driver writing its own metadata.</summary>
    MetadataWrite,

    /// <summary>A copy-on-write read of the old cluster contents.</summary>
    CowRead,

    /// <summary>A read the node tried without blocking (page-cached).</summary>
    ReadNoWait,

    /// <summary>A write the node tried without blocking.</summary>
    WriteNoWait,
}
