namespace Emulator.Devices.Ide;

/// <summary>Additional sense codes the CD-ROM reports (SPC-3, annex D); the qualifier is always 0, as on QEMU.</summary>
internal enum ScsiAsc : byte
{
    None = 0x00,
    InvalidCommandOperationCode = 0x20,
    LogicalBlockAddressOutOfRange = 0x21,
    InvalidFieldInCdb = 0x24,
    NotReadyToReadyChange = 0x28,
    SavingParametersNotSupported = 0x39,
    MediumNotPresent = 0x3A,
    MediumRemovalPrevented = 0x53,
}
