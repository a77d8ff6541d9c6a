namespace Emulator.Machine.Platform;

/// <summary>Commands the host sends the PS/2 mouse through 0xD4 (PS/2 Technical Reference, "Auxiliary Device Commands").</summary>
internal enum Ps2MouseCommand : byte
{
    SetScaling1To1 = 0xE6,
    SetScaling2To1 = 0xE7,
    SetResolution = 0xE8,
    StatusRequest = 0xE9,
    SetStreamMode = 0xEA,
    ReadData = 0xEB,
    ResetWrapMode = 0xEC,
    SetWrapMode = 0xEE,
    SetRemoteMode = 0xF0,
    GetDeviceId = 0xF2,
    SetSampleRate = 0xF3,
    EnableReporting = 0xF4,
    DisableReporting = 0xF5,
    SetDefaults = 0xF6,
    Resend = 0xFE,
    Reset = 0xFF,
}
