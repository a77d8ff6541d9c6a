namespace Emulator.Devices.Ide;

/// <summary>Bus-master IDE status register bits (PIIX3 datasheet 290550, section 2.7.2, BMISX).</summary>
[Flags]
internal enum BusMasterStatus : byte
{
    None = 0,

    /// <summary>BMIDEA: the engine is active (read-only to the guest).</summary>
    Active = 0x01,

    /// <summary>DMA error (write one to clear).</summary>
    Error = 0x02,

    /// <summary>IDE interrupt seen (write one to clear).</summary>
    Interrupt = 0x04,

    /// <summary>The write-one-to-clear bits.</summary>
    WriteOneToClear = Error | Interrupt,

    /// <summary>Drive 0 / drive 1 DMA capable: plain read/write bits for the firmware.</summary>
    DmaCapable = 0x60,
}
