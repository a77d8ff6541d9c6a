namespace Emulator.Machine.Interrupts;

/// <summary>Which word the 8259A's data port expects next during the initialization sequence.</summary>
internal enum PicInitStep
{
    Ready = 0,
    ExpectIcw2 = 1,
    ExpectIcw3 = 2,
    ExpectIcw4 = 3,
}
