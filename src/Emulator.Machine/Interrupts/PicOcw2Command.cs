namespace Emulator.Machine.Interrupts;

/// <summary>OCW2 command field, bits 7-5 (8259A datasheet, "Operation Control Word 2"); bits 2-0 carry the level.</summary>
internal enum PicOcw2Command : byte
{
    RotateInAutoEoiClear = 0,
    NonSpecificEoi = 1,
    NoOperation = 2,
    SpecificEoi = 3,
    RotateInAutoEoiSet = 4,
    RotateOnNonSpecificEoi = 5,
    SetPriority = 6,
    RotateOnSpecificEoi = 7,
}
