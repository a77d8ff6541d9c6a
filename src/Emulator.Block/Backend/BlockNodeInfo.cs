namespace Emulator.Block.Backend;

/// <summary>
/// What the monitor may know of a node (query-block's <c>inserted</c>, query-named-block-nodes),
/// without seeing the node itself.
/// </summary>
/// <param name="NodeName">The node name.</param>
/// <param name="Driver">The driver name ("raw", "file" …).</param>
/// <param name="Filename">The file the node reads, through its protocol.</param>
/// <param name="ReadOnly">Writes are refused.</param>
/// <param name="VirtualSize">The size the node presents, in bytes.</param>
/// <param name="ActualSize">Host bytes allocated for it, when known.</param>
/// <param name="CacheDirect">The protocol below uses O_DIRECT.</param>
/// <param name="BackingFileDepth">Length of the backing chain below.</param>
/// <param name="Backing">The backing node's description, for a format with a backing file.</param>
public sealed record BlockNodeInfo(
    string NodeName,
    string Driver,
    string Filename,
    bool ReadOnly,
    long VirtualSize,
    long? ActualSize,
    bool CacheDirect,
    int BackingFileDepth,
    BlockNodeInfo? Backing = null);
