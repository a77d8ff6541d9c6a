namespace Emulator.Devices.Floppy;

/// <summary>What the transfer engine does when its block request completes, or when the DMA channel becomes ready.</summary>
internal enum FdcIoStep : byte
{
    None,

    /// <summary>A sector was read for a DMA read or scan; next: move it to memory (or compare).</summary>
    ReadForDma,

    /// <summary>A sector was read for a non-DMA read; next: expose it in the FIFO.</summary>
    ReadForPio,

    /// <summary>A sector was read because a DMA write covers only part of it; next: fetch the new bytes from memory.</summary>
    ReadBeforeDmaWrite,

    /// <summary>A sector was read because a non-DMA write ended part way through it; next: merge and write.</summary>
    ReadBeforePioWrite,

    /// <summary>A sector filled by DMA was written.</summary>
    WriteDma,

    /// <summary>A sector filled through the FIFO was written.</summary>
    WritePio,

    /// <summary>A sector was formatted (written with the filler byte).</summary>
    FormatWrite,

    /// <summary>Waiting for the DMA channel: move the current sector to memory or compare it.</summary>
    WaitDmaRead,

    /// <summary>Waiting for the DMA channel: fetch the next sector to write.</summary>
    WaitDmaWrite,

    /// <summary>Waiting for the DMA channel: fetch the FORMAT TRACK sector IDs.</summary>
    WaitDmaFormat,
}
