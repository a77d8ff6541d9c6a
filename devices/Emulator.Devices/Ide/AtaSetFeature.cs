namespace Emulator.Devices.Ide;

/// <summary>SET FEATURES subcommands in the features register (ATA/ATAPI-6, section 8.37, table 36).</summary>
internal enum AtaSetFeature : byte
{
    EnableWriteCache = 0x02,
    SetTransferMode = 0x03,
    DisableWriteCache = 0x82,
}
