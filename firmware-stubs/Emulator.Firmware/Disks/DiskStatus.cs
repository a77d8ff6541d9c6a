namespace Emulator.Firmware.Disks;

/// <summary>INT 13h status codes (returned in AH with CF set, and kept for AH=01h), as the BIOS specification numbers them.</summary>
internal enum DiskStatus : byte
{
    Success = 0x00,
    InvalidParameter = 0x01,
    AddressMarkNotFound = 0x02,
    WriteProtected = 0x03,
    SectorNotFound = 0x04,
    ResetFailed = 0x05,
    MediaChanged = 0x06,
    DmaOverrun = 0x08,
    DmaBoundary = 0x09,
    BadSector = 0x0A,
    MediaTypeNotFound = 0x0C,
    UncorrectableData = 0x10,
    ControllerFailure = 0x20,
    SeekFailed = 0x40,
    Timeout = 0x80,
    NotReady = 0xAA,
    UndefinedError = 0xBB,
    WriteFault = 0xCC,
    SenseFailed = 0xFF,
}
