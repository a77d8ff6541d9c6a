namespace Emulator.Devices.Ide;

/// <summary>Which DMA command a disk is running (QEMU's dma_cmd).</summary>
public enum AtaDmaKind : byte
{
    Read,
    Write,
    Trim,
}
