namespace Emulator.Machine.Dma;

/// <summary>Command register bits (8237A datasheet, "Command Register"); only the controller disable bit changes behaviour here.</summary>
[Flags]
internal enum DmaCommand : byte
{
    None = 0,
    MemoryToMemory = 0x01,
    Channel0AddressHold = 0x02,
    ControllerDisable = 0x04,
    CompressedTiming = 0x08,
    RotatingPriority = 0x10,
    ExtendedWrite = 0x20,
    DreqActiveLow = 0x40,
    DackActiveHigh = 0x80,
}
