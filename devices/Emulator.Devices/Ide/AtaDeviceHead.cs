namespace Emulator.Devices.Ide;

/// <summary>Device/head register bits (ATA/ATAPI-6, section 7.10).</summary>
[Flags]
internal enum AtaDeviceHead : byte
{
    None = 0,

    /// <summary>Head number for CHS, or LBA bits 27:24 for LBA28.</summary>
    HeadMask = 0x0F,

    /// <summary>DEV: selects device 1.</summary>
    Dev = 0x10,

    /// <summary>LBA: the address registers hold a logical block address, not CHS.</summary>
    Lba = 0x40,

    /// <summary>Bits 7 and 5, obsolete and always set (QEMU ORs them into every write).</summary>
    AlwaysOn = 0xA0,
}
