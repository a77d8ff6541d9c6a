namespace Emulator.Devices.Ide;

/// <summary>What a drive does when the guest has moved the last byte of the current PIO data block; QEMU calls it end_transfer_func.</summary>
internal enum IdeTransferStep : byte
{
    /// <summary>Nothing follows: the transfer simply stops.</summary>
    Stop,

    /// <summary>ATA PIO read: a DRQ block was read; advance, serve the next block or fetch more.</summary>
    AtaReadBlock,

    /// <summary>ATA PIO write: a DRQ block arrived; commit it to the medium.</summary>
    AtaWriteBlock,

    /// <summary>ATAPI: the 12-byte command packet arrived.</summary>
    AtapiPacket,

    /// <summary>ATAPI PIO data-in: a DRQ block was read; serve the next one or finish.</summary>
    AtapiDataBlock,
}
