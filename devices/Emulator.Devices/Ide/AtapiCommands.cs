using System.Buffers.Binary;

namespace Emulator.Devices.Ide;

/// <summary>
/// The SCSI/MMC packet command handlers of the CD-ROM (see <see cref="AtapiCommandTable"/>): each
/// validates its CDB, then answers with good status, a sense error, or a reply built by
/// <see cref="AtapiReplies"/> and sent by PIO or DMA (<see cref="AtapiCdrom.Reply"/>), or starts a
/// read. Behaviour follows QEMU's hw/ide/atapi.c (MMC-5 and SPC-3 for the formats).
/// </summary>
internal static class AtapiCommands
{
    private const int MaxConfigurationBytes = 512;
    private const byte PowerConditionMask = 0xF0;
    private const byte LoadEjectBit = 0x02;
    private const byte StartBit = 0x01;
    private const byte PreventBit = 0x01;
    private const byte PageCodeMask = 0x3F;
    private const int PageControlShift = 6;
    private const int PageControlCurrent = 0;
    private const int PageControlSaved = 3;
    private const byte EvpdBit = 0x01;
    private const byte MsfBit = 0x02;
    private const byte PolledBit = 0x01;
    private const int MediaClassBit = 1 << 4;
    private const byte ReadCdSelectMask = 0xF8;
    private const byte ReadCdNoData = 0x00;
    private const byte ReadCdUserData = 0x10;
    private const byte ReadCdAll = 0xF8;
    private const byte DiscInfoTypeMask = 0x07;
    private const byte TocFormatMask = 0x0F;
    private const int LegacyTocFormatShift = 6;
    private const int ReadCapacityBytes = 8;

    public static void TestUnitReady(AtapiCdrom d, byte[] cdb) => d.CommandOk();

    public static void SetCdSpeed(AtapiCdrom d, byte[] cdb) => d.CommandOk();

    public static void Read10(AtapiCdrom d, byte[] cdb) => d.Read(Cdb.Be32(cdb, 2), Cdb.Be16(cdb, 7));

    public static void Read12(AtapiCdrom d, byte[] cdb) => d.Read(Cdb.Be32(cdb, 2), Cdb.Be32(cdb, 6));

    public static void RequestSense(AtapiCdrom d, byte[] cdb)
    {
        var length = AtapiReplies.RequestSense(d.ReplyBuffer, d.CurrentSenseKey, d.CurrentAsc);
        if (d.CurrentSenseKey == SenseKey.UnitAttention)
        {
            d.CurrentSenseKey = SenseKey.NoSense;
        }

        d.Reply(length, cdb[4]);
    }

    public static void Inquiry(AtapiCdrom d, byte[] cdb)
    {
        var allocation = cdb[4];
        if ((cdb[1] & EvpdBit) != 0)
        {
            var length = AtapiReplies.VitalProductData(d.ReplyBuffer, cdb[2], d.Model, d.Serial);
            if (length < 0)
            {
                d.SenseError(SenseKey.IllegalRequest, ScsiAsc.InvalidFieldInCdb);
                return;
            }

            d.Reply(length, allocation);
            return;
        }

        d.Reply(AtapiReplies.Inquiry(d.ReplyBuffer, d.Model, d.FirmwareRevision), allocation);
    }

    public static void ModeSense(AtapiCdrom d, byte[] cdb, bool tenByte)
    {
        var allocation = tenByte ? Cdb.Be16(cdb, 7) : cdb[4];
        var control = cdb[2] >> PageControlShift;
        var code = cdb[2] & PageCodeMask;
        if (control == PageControlSaved)
        {
            d.SenseError(SenseKey.IllegalRequest, ScsiAsc.SavingParametersNotSupported);
            return;
        }

        var headerBytes = tenByte ? 8 : 4;
        var page = control == PageControlCurrent ? AtapiReplies.ModePage(d.ReplyBuffer[headerBytes..], code, d.TrayLocked) : -1;
        if (page < 0)
        {
            // Changeable and default values are not reported, as on QEMU.
            d.SenseError(SenseKey.IllegalRequest, ScsiAsc.InvalidFieldInCdb);
            return;
        }

        AtapiReplies.ModeHeader(d.ReplyBuffer, tenByte, page);
        d.Reply(headerBytes + page, allocation);
    }

    public static void StartStopUnit(AtapiCdrom d, byte[] cdb)
    {
        var start = (cdb[4] & StartBit) != 0;
        var loadEject = (cdb[4] & LoadEjectBit) != 0;
        if ((cdb[4] & PowerConditionMask) != 0)
        {
            d.CommandOk();
            return;
        }

        if (loadEject)
        {
            if (!start && !d.TrayOpen && d.TrayLocked)
            {
                d.SenseError(d.Backend.IsInserted ? SenseKey.NotReady : SenseKey.IllegalRequest, ScsiAsc.MediumRemovalPrevented);
                return;
            }

            if (d.TrayOpen != !start)
            {
                d.TrayOpen = !start;
                d.Backend.GuestEject(d.TrayOpen);
            }
        }

        d.CommandOk();
    }

    public static void PreventAllowMediumRemoval(AtapiCdrom d, byte[] cdb)
    {
        d.TrayLocked = (cdb[4] & PreventBit) != 0;
        d.CommandOk();
    }

    public static void ReadCapacity(AtapiCdrom d, byte[] cdb)
    {
        var blocks = d.TotalBlocks;
        BinaryPrimitives.WriteUInt32BigEndian(d.ReplyBuffer, (uint)(blocks - 1));
        BinaryPrimitives.WriteUInt32BigEndian(d.ReplyBuffer[4..], AtapiCdrom.SectorSize);
        d.Reply(ReadCapacityBytes, ReadCapacityBytes);
    }

    public static void ReadCd(AtapiCdrom d, byte[] cdb)
    {
        var count = Cdb.Be24(cdb, 6);
        var lba = Cdb.Be32(cdb, 2);
        if (count == 0)
        {
            d.CommandOk();
            return;
        }

        if ((long)lba + count > d.TotalBlocks)
        {
            d.SenseError(SenseKey.IllegalRequest, ScsiAsc.LogicalBlockAddressOutOfRange);
            return;
        }

        var select = cdb[9] & ReadCdSelectMask;
        if (select == ReadCdNoData)
        {
            d.CommandOk();
            return;
        }

        if (select is not (ReadCdUserData or ReadCdAll))
        {
            d.SenseError(SenseKey.IllegalRequest, ScsiAsc.InvalidFieldInCdb);
            return;
        }

        // READ CD checks the byte count limit only when it will return data.
        if (!d.AtapiDma && d.ByteCountLimit < 2)
        {
            d.AbortCommand();
            d.Channel.RaiseIrq();
            return;
        }

        d.Read(lba, count, select == ReadCdAll ? AtapiCdrom.RawFrameBytes : AtapiCdrom.SectorSize);
    }

    public static void Seek(AtapiCdrom d, byte[] cdb)
    {
        var lba = Cdb.Be32(cdb, 2);
        if (lba >= d.TotalBlocks)
        {
            d.SenseError(SenseKey.IllegalRequest, ScsiAsc.LogicalBlockAddressOutOfRange);
            return;
        }

        d.CommandOk();
    }

    public static void ReadToc(AtapiCdrom d, byte[] cdb)
    {
        var allocation = Cdb.Be16(cdb, 7);
        var msf = (cdb[1] & MsfBit) != 0;

        // MMC puts the format in byte 2; SFF-8020i (and QEMU) in bits 7:6 of byte 9.
        var format = cdb[2] & TocFormatMask;
        if (format == 0)
        {
            format = cdb[9] >> LegacyTocFormatShift;
        }

        var length = format switch
        {
            0 => AtapiReplies.Toc(d.ReplyBuffer, d.TotalBlocks, msf, cdb[6]),
            1 => AtapiReplies.SessionInfo(d.ReplyBuffer, msf),
            2 => AtapiReplies.FullToc(d.ReplyBuffer, d.TotalBlocks, msf),
            _ => -1,
        };
        if (length < 0)
        {
            d.SenseError(SenseKey.IllegalRequest, ScsiAsc.InvalidFieldInCdb);
            return;
        }

        d.Reply(length, allocation);
    }

    public static void GetConfiguration(AtapiCdrom d, byte[] cdb)
    {
        if (cdb[2] != 0 || cdb[3] != 0)
        {
            // Only the listing that starts at feature 0 is provided.
            d.SenseError(SenseKey.IllegalRequest, ScsiAsc.InvalidFieldInCdb);
            return;
        }

        var allocation = Math.Min((int)Cdb.Be16(cdb, 7), MaxConfigurationBytes);
        d.Reply(AtapiReplies.Configuration(d.ReplyBuffer, d.MediumPresent ? d.TotalBlocks : 0), allocation);
    }

    public static void GetEventStatusNotification(AtapiCdrom d, byte[] cdb)
    {
        if ((cdb[1] & PolledBit) == 0)
        {
            d.SenseError(SenseKey.IllegalRequest, ScsiAsc.InvalidFieldInCdb);
            return;
        }

        var allocation = Cdb.Be16(cdb, 7);
        var mediaRequested = (cdb[4] & MediaClassBit) != 0;
        var status = d.TrayOpen ? MediaStatus.TrayOpen : d.Backend.IsInserted ? MediaStatus.MediaPresent : MediaStatus.TrayClosedEmpty;
        var code = MediaEventCode.NoChange;
        if (mediaRequested && status != MediaStatus.TrayOpen)
        {
            // Each event is reported once; new media outranks an eject request.
            if (d.NewMediaEvent)
            {
                code = MediaEventCode.NewMedia;
                d.NewMediaEvent = false;
            }
            else if (d.EjectRequestEvent)
            {
                code = MediaEventCode.EjectRequest;
                d.EjectRequestEvent = false;
            }
        }

        d.Reply(AtapiReplies.EventStatus(d.ReplyBuffer, mediaRequested, code, status), allocation);
    }

    public static void ReadDiscInformation(AtapiCdrom d, byte[] cdb)
    {
        if ((cdb[1] & DiscInfoTypeMask) != 0)
        {
            d.SenseError(SenseKey.IllegalRequest, ScsiAsc.InvalidFieldInCdb);
            return;
        }

        d.Reply(AtapiReplies.DiscInformation(d.ReplyBuffer), Cdb.Be16(cdb, 7));
    }

    public static void MechanismStatus(AtapiCdrom d, byte[] cdb) => d.Reply(AtapiReplies.MechanismStatus(d.ReplyBuffer), Cdb.Be16(cdb, 8));
}
