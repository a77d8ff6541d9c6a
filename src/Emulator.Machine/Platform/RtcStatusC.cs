namespace Emulator.Machine.Platform;

/// <summary>MC146818 register C, read-only and cleared by reading (datasheet, "Register C").</summary>
[Flags]
internal enum RtcStatusC : byte
{
    None = 0,
    UpdateEnded = 0x10,
    Alarm = 0x20,
    Periodic = 0x40,
    InterruptRequest = 0x80,
}
