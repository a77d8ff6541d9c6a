namespace Emulator.Machine.Platform;

/// <summary>Port 0x61 bits (PIIX3 datasheet, "NMI Status and Control Register").</summary>
[Flags]
internal enum PortBBits : byte
{
    None = 0,
    Timer2Gate = 0x01,
    SpeakerData = 0x02,
    ParityCheckDisable = 0x04,
    ChannelCheckDisable = 0x08,
    RefreshToggle = 0x10,
    Timer2Output = 0x20,
    ChannelCheck = 0x40,
    ParityCheck = 0x80,
    Writable = Timer2Gate | SpeakerData | ParityCheckDisable | ChannelCheckDisable,
}
