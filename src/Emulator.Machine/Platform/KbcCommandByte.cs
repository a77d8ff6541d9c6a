namespace Emulator.Machine.Platform;

/// <summary>8042 controller command byte (RAM byte 0), read with 0x20 and written with 0x60.</summary>
[Flags]
internal enum KbcCommandByte : byte
{
    None = 0,
    KeyboardInterrupt = 0x01,
    AuxInterrupt = 0x02,
    SystemFlag = 0x04,
    InhibitOverride = 0x08,
    KeyboardDisabled = 0x10,
    AuxDisabled = 0x20,
    Translate = 0x40,
}
