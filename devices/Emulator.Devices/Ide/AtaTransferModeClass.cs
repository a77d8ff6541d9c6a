namespace Emulator.Devices.Ide;

/// <summary>Transfer mode classes in SET FEATURES 03h's sector count, bits 7:3 (ATA/ATAPI-6, 8.37.10, table 37).</summary>
internal enum AtaTransferModeClass : byte
{
    PioDefault = 0x00,
    Pio = 0x01,
    SingleWordDma = 0x02,
    MultiwordDma = 0x04,
    UltraDma = 0x08,
}
