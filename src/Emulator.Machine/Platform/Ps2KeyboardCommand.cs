namespace Emulator.Machine.Platform;

/// <summary>Commands the host sends the keyboard through port 0x60 (PS/2 Technical Reference, "Keyboard Commands"), and its replies.</summary>
internal enum Ps2KeyboardCommand : byte
{
    SetLeds = 0xED,
    Echo = 0xEE,
    ScanCodeSet = 0xF0,
    Identify = 0xF2,
    SetTypematic = 0xF3,
    Enable = 0xF4,
    DefaultDisable = 0xF5,
    SetDefault = 0xF6,
    Resend = 0xFE,
    Reset = 0xFF,

    /// <summary>Reply: self-test passed (BAT completion).</summary>
    SelfTestPassed = 0xAA,

    /// <summary>Reply: acknowledge.</summary>
    Acknowledge = 0xFA,
}
