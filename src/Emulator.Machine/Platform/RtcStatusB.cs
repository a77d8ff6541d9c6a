namespace Emulator.Machine.Platform;

/// <summary>MC146818 register B (datasheet, "Register B").</summary>
[Flags]
internal enum RtcStatusB : byte
{
    None = 0,
    DaylightSaving = 0x01,
    Hour24 = 0x02,
    BinaryMode = 0x04,
    SquareWave = 0x08,
    UpdateEndedInterrupt = 0x10,
    AlarmInterrupt = 0x20,
    PeriodicInterrupt = 0x40,
    Set = 0x80,
}
