namespace Emulator.Machine.Platform;

/// <summary>CRT controller registers used in text mode (IBM VGA Technical Reference, "CRT Controller Registers").</summary>
internal enum VgaCrtcRegister : byte
{
    CursorStart = 0x0A,
    CursorEnd = 0x0B,
    StartAddressHigh = 0x0C,
    StartAddressLow = 0x0D,
    CursorLocationHigh = 0x0E,
    CursorLocationLow = 0x0F,
}
