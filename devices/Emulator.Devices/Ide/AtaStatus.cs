namespace Emulator.Devices.Ide;

/// <summary>ATA status register bits (ATA/ATAPI-6, section 7.15). QEMU never sets DF, CORR or IDX.</summary>
[Flags]
internal enum AtaStatus : byte
{
    None = 0,

    /// <summary>ERR: the error register holds the reason the last command failed.</summary>
    Err = 0x01,

    /// <summary>IDX (obsolete).</summary>
    Idx = 0x02,

    /// <summary>CORR (obsolete).</summary>
    Corr = 0x04,

    /// <summary>DRQ: the device is ready to move a data block through the data port.</summary>
    Drq = 0x08,

    /// <summary>DSC / SERV: seek complete, set by commands flagged so on success.</summary>
    Dsc = 0x10,

    /// <summary>DF: device fault.</summary>
    Df = 0x20,

    /// <summary>DRDY: the device accepts commands.</summary>
    Drdy = 0x40,

    /// <summary>BSY: the device owns the command block registers.</summary>
    Bsy = 0x80,
}
