namespace Emulator.Devices.Ide;

/// <summary>
/// ATA error register bits (ATA/ATAPI-6, section 7.9). For ATAPI devices the high nibble carries the
/// SCSI sense key instead (SFF-8020i, section 7.1.2).
/// </summary>
[Flags]
internal enum AtaErrorBits : byte
{
    None = 0,

    /// <summary>Value left by a reset or EXECUTE DEVICE DIAGNOSTIC: device 0 passed (ATA/ATAPI-6, table 27).</summary>
    DiagnosticPassed = 0x01,

    /// <summary>ABRT: command aborted (unsupported command, bad parameter, or a reported I/O error).</summary>
    Abrt = 0x04,

    /// <summary>MC: media changed (ATAPI unit attention shortcut).</summary>
    Mc = 0x20,
}
