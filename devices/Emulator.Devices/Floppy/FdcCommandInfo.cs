namespace Emulator.Devices.Floppy;

/// <summary>One row of <see cref="FdcCommandTable"/>: a command byte matches when <c>(byte &amp; Mask) == Opcode</c>.</summary>
/// <param name="Opcode">The command byte with its modifier bits cleared.</param>
/// <param name="Mask">The bits of the command byte that identify the command.</param>
/// <param name="Name">The datasheet name, for diagnostics.</param>
/// <param name="Parameters">Parameter bytes after the command byte.</param>
/// <param name="Kind">The handler.</param>
/// <param name="Direction">For data commands, what the transfer does.</param>
internal readonly record struct FdcCommandInfo(
    FdcOpcode Opcode,
    byte Mask,
    string Name,
    int Parameters,
    FdcCommandKind Kind,
    FdcTransferDirection Direction = FdcTransferDirection.None);
