namespace Emulator.Devices.Floppy;

/// <summary>Which handler of <see cref="FloppyController"/> runs a command once its parameters are in.</summary>
internal enum FdcCommandKind : byte
{
    Invalid,
    Transfer,
    TransferDeleted,
    FormatTrack,
    ReadId,
    Recalibrate,
    Seek,
    RelativeSeekOut,
    RelativeSeekIn,
    SenseInterruptStatus,
    SenseDriveStatus,
    Specify,
    PerpendicularMode,
    Configure,
    Lock,
    DumpRegisters,
    Version,
    PartId,
    PowerDownMode,
    Option,
    Save,
    Restore,
    DriveSpecification,
}
