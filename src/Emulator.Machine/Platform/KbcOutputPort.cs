namespace Emulator.Machine.Platform;

/// <summary>8042 output port (read with 0xD0, written with 0xD1): reset line (active low) and the A20 gate among others.</summary>
[Flags]
internal enum KbcOutputPort : byte
{
    None = 0,
    SystemResetInactive = 0x01,
    A20 = 0x02,
    KeyboardOutputBufferFull = 0x10,
    AuxOutputBufferFull = 0x20,
    KeyboardClock = 0x40,
    KeyboardData = 0x80,
}
