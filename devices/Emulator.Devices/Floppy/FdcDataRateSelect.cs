namespace Emulator.Devices.Floppy;

/// <summary>Data rate select register bits (82078 datasheet, "Datarate Select Register"); CCR shares the rate bits.</summary>
[Flags]
internal enum FdcDataRateSelect : byte
{
    None = 0,

    /// <summary>Bits 1:0: the programmed data rate (<see cref="FloppyDataRate"/>).</summary>
    RateMask = 0x03,

    /// <summary>Power down: the controller resets and sleeps until the host touches it again.</summary>
    PowerDown = 0x40,

    /// <summary>Software reset; clears itself.</summary>
    SoftwareReset = 0x80,
}
