namespace Emulator.Machine.Interrupts;

/// <summary>OCW3 bits (8259A datasheet, "Operation Control Word 3"): bit 3 set and bit 4 clear on the command port.</summary>
[Flags]
internal enum PicOcw3 : byte
{
    None = 0,
    ReadIsr = 0x01,
    ReadRegisterCommand = 0x02,
    PollCommand = 0x04,
    IsOcw3 = 0x08,
    SpecialMask = 0x20,
    SpecialMaskCommand = 0x40,
}
