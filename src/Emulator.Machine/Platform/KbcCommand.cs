namespace Emulator.Machine.Platform;

/// <summary>8042 controller commands written to port 0x64 (PS/2 Technical Reference, "Commands (I/O Address Hex 64)").</summary>
internal enum KbcCommand : byte
{
    ReadCommandByte = 0x20,
    ReadRamLast = 0x3F,
    WriteCommandByte = 0x60,
    WriteRamLast = 0x7F,
    DisableAux = 0xA7,
    EnableAux = 0xA8,
    TestAux = 0xA9,
    SelfTest = 0xAA,
    TestKeyboard = 0xAB,
    DisableKeyboard = 0xAD,
    EnableKeyboard = 0xAE,
    ReadInputPort = 0xC0,
    ReadOutputPort = 0xD0,
    WriteOutputPort = 0xD1,
    WriteKeyboardOutput = 0xD2,
    WriteAuxOutput = 0xD3,
    WriteAux = 0xD4,
    DisableA20 = 0xDD,
    EnableA20 = 0xDF,
    ReadTestInputs = 0xE0,
    PulseOutputFirst = 0xF0,
}
