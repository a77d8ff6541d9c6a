namespace Emulator.Devices.Ide;

/// <summary>Which DMA command a disk is running (QEMU's dma_cmd).</summary>
internal enum AtaDmaKind : byte
{
    Read,
    Write,
    Trim,
}
