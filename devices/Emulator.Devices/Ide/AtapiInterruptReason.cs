namespace Emulator.Devices.Ide;

/// <summary>The interrupt reason in the sector count register of a packet device (SFF-8020i, section 5.10; ATA/ATAPI-6, 9.8).</summary>
[Flags]
internal enum AtapiInterruptReason : byte
{
    None = 0,

    /// <summary>C/D: the DRQ block is a command packet (1) or data (0).</summary>
    CommandOrData = 1,

    /// <summary>I/O: the transfer goes to the host.</summary>
    ToHost = 2,

    /// <summary>REL: bus release (overlap; never used here).</summary>
    Release = 4,

    Mask = CommandOrData | ToHost | Release,
}
