namespace Emulator.Devices.Ide;

/// <summary>Bus-master IDE command register bits (PIIX3 datasheet 290550, section 2.7.1, BMICX).</summary>
[Flags]
internal enum BusMasterCommand : byte
{
    None = 0,

    /// <summary>SSBM: start (1) or stop (0) the bus master.</summary>
    Start = 0x01,

    /// <summary>RWCON: 1 = the bus master writes memory (a device-to-memory, i.e. READ DMA, transfer).</summary>
    ToMemory = 0x08,

    /// <summary>The bits that read back.</summary>
    Readable = Start | ToMemory,
}
