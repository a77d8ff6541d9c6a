namespace Emulator.Devices.Floppy;

/// <summary>Digital output register bits (82078 datasheet, "Digital Output Register").</summary>
[Flags]
internal enum FdcDigitalOutput : byte
{
    None = 0,

    /// <summary>Drive select; with two drives only bit 0 counts.</summary>
    DriveSelect = 0x01,

    /// <summary>Active low reset: the controller leaves reset on a 0 → 1 edge.</summary>
    NotReset = 0x04,

    /// <summary>Gates DRQ and IRQ on the PC: DMA mode when set.</summary>
    DmaGate = 0x08,
    Motor0 = 0x10,
    Motor1 = 0x20,
    Motor2 = 0x40,
    Motor3 = 0x80,
}
