namespace Emulator.Devices.Ide;

/// <summary>
/// One row of the ATA command table: the handler, the drive kinds that accept the opcode, and whether
/// success sets DSC. The handler returns true when the command completed synchronously (the shared
/// epilogue then clears BSY and raises the IRQ) and false when it continues (data phase or I/O).
/// </summary>
internal readonly record struct AtaCommandEntry(Func<IdeDrive, byte, bool>? Handler, IdeDriveKind Kinds, bool SetsDsc);
