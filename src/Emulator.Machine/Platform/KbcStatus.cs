namespace Emulator.Machine.Platform;

/// <summary>8042 status register, read at port 0x64 (IBM PS/2 Technical Reference, "Keyboard/Auxiliary Device Controller", status register).</summary>
[Flags]
internal enum KbcStatus : byte
{
    None = 0,
    OutputBufferFull = 0x01,
    InputBufferFull = 0x02,
    SystemFlag = 0x04,
    LastWriteWasCommand = 0x08,
    KeyboardNotInhibited = 0x10,
    AuxOutputBufferFull = 0x20,
    Timeout = 0x40,
    ParityError = 0x80,
}
