namespace Emulator.Block.Backend;

/// <summary><c>BLOCK_IMAGE_CORRUPTED</c>: a format driver found its metadata corrupt (QEMU's qcow2 emits it and marks the image corrupt).</summary>
/// <param name="Device">Backend name, or "" when not known to the driver.</param>
/// <param name="NodeName">The node whose image is corrupt.</param>
/// <param name="Message">What is wrong.</param>
/// <param name="Offset">The host offset of the bad metadata, when known.</param>
/// <param name="Size">Its size, when known.</param>
/// <param name="Fatal">True when the image was made read-only (further writes fail).</param>
public sealed record BlockImageCorruptedEvent(
    string Device,
    string NodeName,
    string Message,
    long? Offset,
    long? Size,
    bool Fatal) : BlockEvent("BLOCK_IMAGE_CORRUPTED");
