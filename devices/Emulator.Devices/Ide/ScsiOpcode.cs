namespace Emulator.Devices.Ide;

/// <summary>The SCSI/MMC packet commands the ATAPI CD-ROM implements (SPC-3, MMC-5; SFF-8020i for the ATAPI subset).</summary>
internal enum ScsiOpcode : byte
{
    TestUnitReady = 0x00,
    RequestSense = 0x03,
    Inquiry = 0x12,
    ModeSense6 = 0x1A,
    StartStopUnit = 0x1B,
    PreventAllowMediumRemoval = 0x1E,
    ReadCapacity = 0x25,
    Read10 = 0x28,
    Seek10 = 0x2B,
    ReadTocPmaAtip = 0x43,
    GetConfiguration = 0x46,
    GetEventStatusNotification = 0x4A,
    ReadDiscInformation = 0x51,
    ModeSense10 = 0x5A,
    Read12 = 0xA8,
    SetCdSpeed = 0xBB,
    MechanismStatus = 0xBD,
    ReadCd = 0xBE,
}
