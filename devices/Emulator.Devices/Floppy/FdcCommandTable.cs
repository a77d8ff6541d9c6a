namespace Emulator.Devices.Floppy;

/// <summary>
/// The command set (82078 datasheet, "Command Set Summary") as one table, indexed once into a
/// 256-entry lookup so decoding a command byte is one array access. Masks drop the modifier bits a
/// command ignores (MT/MFM/SK); earlier rows win over later ones, and the last row catches every
/// byte no command claims (answered with ST0 = invalid command). WRITE DATA appears twice because
/// BeOS 4.5 sends it with the SK bit set, which the datasheet does not allow; QEMU accepts it.
/// </summary>
internal static class FdcCommandTable
{
    private const byte ModifiersIgnored = 0x1F;
    private const byte MfmIgnored = 0x3F;
    private const byte MfmOnlyIgnored = 0xBF;
    private const byte MtIgnored = 0x7F;
    private const byte Exact = 0xFF;
    private const int CommandBytes = 256;

    private static readonly FdcCommandInfo[] Rows =
    [
        new(FdcOpcode.ReadData, ModifiersIgnored, "READ DATA", 8, FdcCommandKind.Transfer, FdcTransferDirection.Read),
        new(FdcOpcode.WriteData, MfmIgnored, "WRITE DATA", 8, FdcCommandKind.Transfer, FdcTransferDirection.Write),
        new(FdcOpcode.Seek, Exact, "SEEK", 2, FdcCommandKind.Seek),
        new(FdcOpcode.SenseInterruptStatus, Exact, "SENSE INTERRUPT STATUS", 0, FdcCommandKind.SenseInterruptStatus),
        new(FdcOpcode.Recalibrate, Exact, "RECALIBRATE", 1, FdcCommandKind.Recalibrate),
        new(FdcOpcode.FormatTrack, MfmOnlyIgnored, "FORMAT TRACK", 5, FdcCommandKind.FormatTrack, FdcTransferDirection.Format),
        new(FdcOpcode.ReadTrack, MfmOnlyIgnored, "READ TRACK", 8, FdcCommandKind.Transfer, FdcTransferDirection.Read),
        new(FdcOpcode.Restore, Exact, "RESTORE", 17, FdcCommandKind.Restore),
        new(FdcOpcode.Save, Exact, "SAVE", 0, FdcCommandKind.Save),
        new(FdcOpcode.ReadDeletedData, ModifiersIgnored, "READ DELETED DATA", 8, FdcCommandKind.TransferDeleted, FdcTransferDirection.Read),
        new(FdcOpcode.ScanEqual, ModifiersIgnored, "SCAN EQUAL", 8, FdcCommandKind.Transfer, FdcTransferDirection.ScanEqual),
        new(FdcOpcode.Verify, ModifiersIgnored, "VERIFY", 8, FdcCommandKind.Transfer, FdcTransferDirection.Verify),
        new(FdcOpcode.ScanLowOrEqual, ModifiersIgnored, "SCAN LOW OR EQUAL", 8, FdcCommandKind.Transfer, FdcTransferDirection.ScanLowOrEqual),
        new(FdcOpcode.ScanHighOrEqual, ModifiersIgnored, "SCAN HIGH OR EQUAL", 8, FdcCommandKind.Transfer, FdcTransferDirection.ScanHighOrEqual),
        new(FdcOpcode.WriteDeletedData, MfmIgnored, "WRITE DELETED DATA", 8, FdcCommandKind.TransferDeleted, FdcTransferDirection.Write),
        new(FdcOpcode.ReadId, MfmOnlyIgnored, "READ ID", 1, FdcCommandKind.ReadId),
        new(FdcOpcode.Specify, Exact, "SPECIFY", 2, FdcCommandKind.Specify),
        new(FdcOpcode.SenseDriveStatus, Exact, "SENSE DRIVE STATUS", 1, FdcCommandKind.SenseDriveStatus),
        new(FdcOpcode.PerpendicularMode, Exact, "PERPENDICULAR MODE", 1, FdcCommandKind.PerpendicularMode),
        new(FdcOpcode.Configure, Exact, "CONFIGURE", 3, FdcCommandKind.Configure),
        new(FdcOpcode.PowerDownMode, Exact, "POWERDOWN MODE", 2, FdcCommandKind.PowerDownMode),
        new(FdcOpcode.Option, Exact, "OPTION", 1, FdcCommandKind.Option),
        new(FdcOpcode.DriveSpecification, Exact, "DRIVE SPECIFICATION", 5, FdcCommandKind.DriveSpecification),
        new(FdcOpcode.RelativeSeekOut, Exact, "RELATIVE SEEK OUT", 2, FdcCommandKind.RelativeSeekOut),
        new(FdcOpcode.FormatAndWrite, Exact, "FORMAT AND WRITE", 10, FdcCommandKind.Invalid),
        new(FdcOpcode.RelativeSeekIn, Exact, "RELATIVE SEEK IN", 2, FdcCommandKind.RelativeSeekIn),
        new(FdcOpcode.Lock, MtIgnored, "LOCK", 0, FdcCommandKind.Lock),
        new(FdcOpcode.DumpRegisters, Exact, "DUMPREG", 0, FdcCommandKind.DumpRegisters),
        new(FdcOpcode.Version, Exact, "VERSION", 0, FdcCommandKind.Version),
        new(FdcOpcode.PartId, Exact, "PART ID", 0, FdcCommandKind.PartId),
        new(FdcOpcode.WriteData, ModifiersIgnored, "WRITE DATA (SK set)", 8, FdcCommandKind.Transfer, FdcTransferDirection.Write),
        new(0, 0, "invalid", 0, FdcCommandKind.Invalid),
    ];

    private static readonly byte[] RowOfByte = BuildLookup();

    /// <summary>The command a first byte starts.</summary>
    public static ref readonly FdcCommandInfo Lookup(byte commandByte) => ref Rows[RowOfByte[commandByte]];

    private static byte[] BuildLookup()
    {
        var lookup = new byte[CommandBytes];
        for (var row = Rows.Length - 1; row >= 0; row--)
        {
            for (var b = 0; b < CommandBytes; b++)
            {
                if ((b & Rows[row].Mask) == (byte)Rows[row].Opcode)
                {
                    lookup[b] = (byte)row;
                }
            }
        }

        return lookup;
    }
}
