namespace Emulator.Machine.Interrupts;

/// <summary>ICW4 bits (8259A datasheet, "Initialization Command Word 4").</summary>
[Flags]
internal enum PicIcw4 : byte
{
    None = 0,
    Mode8086 = 0x01,
    AutoEoi = 0x02,
    BufferedMaster = 0x04,
    BufferedMode = 0x08,
    SpecialFullyNested = 0x10,
}
