namespace Emulator.Devices.Ide;

/// <summary>
/// Offsets in the command block, 0x1F0-0x1F7 / 0x170-0x177 (ATA/ATAPI-6, section 7.1). The same
/// offset means a different register for reads and writes at 1 (error / features) and 7 (status /
/// command); both names are given.
/// </summary>
internal enum AtaRegister : byte
{
    Data = 0,
    ErrorOrFeatures = 1,
    SectorCount = 2,
    LbaLow = 3,
    LbaMid = 4,
    LbaHigh = 5,
    DeviceHead = 6,
    StatusOrCommand = 7,
}
