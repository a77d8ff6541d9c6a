namespace Emulator.Machine.Interrupts;

/// <summary>ICW1 bits (8259A datasheet, "Initialization Command Word 1"), written to the command port with bit 4 set.</summary>
[Flags]
internal enum PicIcw1 : byte
{
    None = 0,
    Icw4Needed = 0x01,
    SingleMode = 0x02,
    CallAddressInterval4 = 0x04,
    LevelTriggeredMode = 0x08,
    Initialize = 0x10,
}
