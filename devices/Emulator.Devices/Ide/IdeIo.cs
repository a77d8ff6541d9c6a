namespace Emulator.Devices.Ide;

/// <summary>The operation a drive's one block request is carrying, so its completion (and a retry after a <c>stop</c>) knows how to continue.</summary>
internal enum IdeIo : byte
{
    None,
    PioRead,
    PioWrite,
    DmaRead,
    DmaWrite,
    Trim,
    Flush,
    AtapiRead,
}
