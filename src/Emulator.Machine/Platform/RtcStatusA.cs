namespace Emulator.Machine.Platform;

/// <summary>MC146818 register A (datasheet, "Register A").</summary>
[Flags]
internal enum RtcStatusA : byte
{
    None = 0,
    RateMask = 0x0F,
    DividerMask = 0x70,

    /// <summary>DV2-0 = 010: the 32.768 kHz time base running normally.</summary>
    DividerNormal = 0x20,
    UpdateInProgress = 0x80,
}
