namespace Emulator.Devices.Ide;

/// <summary>Device control register (write at 0x3F6/0x376; ATA/ATAPI-6, section 7.8).</summary>
[Flags]
internal enum AtaDeviceControl : byte
{
    None = 0,

    /// <summary>nIEN: the device does not assert INTRQ.</summary>
    Nien = 0x02,

    /// <summary>SRST: software reset of both devices on the channel (acts on the 0 → 1 edge).</summary>
    Srst = 0x04,

    /// <summary>HOB: reads of the command block return the previous (high-order) LBA48 bytes.</summary>
    Hob = 0x80,
}
