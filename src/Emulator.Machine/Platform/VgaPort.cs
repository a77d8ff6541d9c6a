namespace Emulator.Machine.Platform;

/// <summary>VGA I/O ports in colour mode (IBM VGA Technical Reference, "Register Summary").</summary>
internal enum VgaPort : ushort
{
    AttributeIndexData = 0x3C0,
    AttributeDataRead = 0x3C1,
    MiscOutputWriteInputStatus0 = 0x3C2,
    VideoSubsystemEnable = 0x3C3,
    SequencerIndex = 0x3C4,
    SequencerData = 0x3C5,
    DacPixelMask = 0x3C6,
    DacReadIndexState = 0x3C7,
    DacWriteIndex = 0x3C8,
    DacData = 0x3C9,
    FeatureControlRead = 0x3CA,
    MiscOutputRead = 0x3CC,
    GraphicsIndex = 0x3CE,
    GraphicsData = 0x3CF,
    CrtcIndex = 0x3D4,
    CrtcData = 0x3D5,
    InputStatus1 = 0x3DA,
}
