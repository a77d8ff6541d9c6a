using System.Buffers.Binary;
using Emulator.Block.Backend;

namespace Emulator.Devices.Ide;

/// <summary>
/// An ATAPI CD-ROM (QEMU's ide-cd; SFF-8020i, MMC-5, ATA/ATAPI-6 chapter 9): the PACKET protocol
/// with the byte count limit and one IRQ per DRQ block, PIO or DMA data, 2048-byte sectors, the
/// SCSI commands of <see cref="AtapiCommandTable"/>, and the removable-medium model behind
/// <see cref="IBlockDevOps"/>: tray, PREVENT lock, monitor eject requests, media events, and the
/// sense sequence after a change (NOT READY / MEDIUM NOT PRESENT once, then UNIT ATTENTION /
/// MEDIUM MAY HAVE CHANGED once, then a "check status" shortcut until REQUEST SENSE clears it).
/// <para>
/// Reads fetch up to 64 sectors per block request; a PIO DRQ block is min(byte count limit,
/// bytes left) but never crosses a fetch, so with limits above 128 KiB-aligned sizes a block may be
/// shorter than QEMU's (legal ATAPI: the guest reads the byte count of each block). The byte count
/// limit is taken once per command (QEMU re-reads the register it overwrote). A limit of 0 or 1 for
/// a PIO data command is refused with ABRT.
/// </para>
/// </summary>
public sealed class AtapiCdrom : IdeDrive
{
    public const int PacketBytes = 12;
    public const int SectorSize = AtapiReplies.CdSectorSize;

    private const string DefaultModel = "QEMU DVD-ROM";
    private const int BufferSectors = 64;
    private const int ByteCountUnlimited = 0xFFFF;
    private const int ByteCountUnlimitedEven = 0xFFFE;
    private const byte FeatureDma = 0x01;
    private const byte FeatureOverlap = 0x02;
    private const int SenseKeyShift = 4;
    private const int MaxConfigurationBytes = 512;
    private const byte PowerConditionMask = 0xF0;
    private const byte LoadEjectBit = 0x02;
    private const byte StartBit = 0x01;
    private const byte PreventBit = 0x01;
    private const byte PageCodeMask = 0x3F;
    private const int PageControlShift = 6;
    private const byte EvpdBit = 0x01;
    private const byte MsfBit = 0x02;
    private const byte PolledBit = 0x01;
    private const int MediaClassBit = 1 << 4;
    private const byte ReadCdSelectMask = 0xF8;
    private const byte ReadCdNoData = 0x00;
    private const byte ReadCdUserData = 0x10;
    private const byte DiscInfoTypeMask = 0x07;
    private const byte TocFormatMask = 0x0F;
    private const int LegacyTocFormatShift = 6;

    private readonly byte[] _packet = new byte[PacketBytes];
    private SenseKey _senseKey;
    private ScsiAsc _asc;
    private int _mediaChanged;
    private bool _trayOpen;
    private bool _trayLocked;
    private bool _newMediaEvent;
    private bool _ejectRequestEvent;
    private bool _atapiDma;
    private int _byteCountLimit;
    private long _transferLeft;
    private int _pos;
    private int _chunkEnd;
    private int _blockBytes;
    private long _readLba;
    private long _readBlocksLeft;

    public AtapiCdrom(IdeChannel channel, int unit, BlockBackend backend, IdeDriveOptions options, string defaultSerial)
        : base(channel, unit, backend, options, DefaultModel, defaultSerial, BufferSectors * SectorSize)
    {
        RunDiagnostic();
    }

    public override IdeDriveKind Kind => IdeDriveKind.Cdrom;

    public override BlockDevCapabilities Capabilities =>
        BlockDevCapabilities.ChangeMedia | BlockDevCapabilities.EjectRequest | BlockDevCapabilities.Tray
        | BlockDevCapabilities.MediumLock | BlockDevCapabilities.Resize;

    public override bool IsTrayOpen => _trayOpen;

    public override bool IsMediumLocked => _trayLocked;

    /// <summary>Capacity in 2048-byte blocks; 0 with no medium.</summary>
    public long TotalBlocks => Backend.IsInserted ? Backend.Length / SectorSize : 0;

    private bool MediumPresent => !_trayOpen && TotalBlocks > 0;

    /// <summary>The monitor loaded (tray closed) or unloaded (tray opened) the medium: start the change sequence and tell the guest.</summary>
    public override string? ChangeMedia(bool load)
    {
        _trayOpen = !load;
        _mediaChanged = 1;
        _newMediaEvent = true;
        _ejectRequestEvent = false;
        Channel.RaiseIrq();
        return null;
    }

    /// <summary>The monitor wants a locked tray opened: post an "eject requested" event; force also drops the lock.</summary>
    public override void EjectRequested(bool force)
    {
        _ejectRequestEvent = true;
        if (force)
        {
            _trayLocked = false;
        }

        Channel.RaiseIrq();
    }

    internal override void Reset()
    {
        base.Reset();
        _senseKey = SenseKey.NoSense;
        _asc = ScsiAsc.None;
        _mediaChanged = 0;
        _trayLocked = false;
        _trayOpen = false;
        _atapiDma = false;
        _transferLeft = 0;
        _pos = _chunkEnd = 0;
    }

    internal bool DeviceReset()
    {
        Reset();
        Status = AtaStatus.None;
        return false;
    }

    internal bool IdentifyPacket()
    {
        AtaIdentify.BuildPacket(IoBuffer, this);
        Status = AtaStatus.Drdy | AtaStatus.Dsc;
        StartTransfer(0, AtaIdentify.PageBytes, hostToDevice: false, IdeTransferStep.Stop);
        Channel.RaiseIrq();
        return false;
    }

    /// <summary>PACKET: wait for the 12-byte command with C/D set; QEMU raises no IRQ for this DRQ.</summary>
    internal bool Packet()
    {
        if ((Feature & FeatureOverlap) != 0)
        {
            AbortCommand();
            return true;
        }

        _atapiDma = (Feature & FeatureDma) != 0;
        Status = AtaStatus.Drdy | AtaStatus.Dsc;
        NSector = (int)AtapiInterruptReason.CommandOrData;
        StartTransfer(0, PacketBytes, hostToDevice: true, IdeTransferStep.AtapiPacket);
        return false;
    }

    // ---- Packet command handlers (see AtapiCommandTable) ----

    internal void CommandOk()
    {
        StopTransfer();
        Error = 0;
        Status = AtaStatus.Drdy | AtaStatus.Dsc;
        SetReason(AtapiInterruptReason.ToHost | AtapiInterruptReason.CommandOrData);
        Channel.RaiseIrq();
    }

    internal void SenseError(SenseKey key, ScsiAsc asc)
    {
        StopTransfer();
        Error = (byte)((int)key << SenseKeyShift);
        Status = AtaStatus.Drdy | AtaStatus.Err;
        SetReason(AtapiInterruptReason.ToHost | AtapiInterruptReason.CommandOrData);
        _senseKey = key;
        _asc = asc;
        Channel.RaiseIrq();
    }

    internal void RequestSense(byte[] cdb)
    {
        var length = AtapiReplies.RequestSense(IoBuffer, _senseKey, _asc);
        if (_senseKey == SenseKey.UnitAttention)
        {
            _senseKey = SenseKey.NoSense;
        }

        Reply(length, cdb[4]);
    }

    internal void Inquiry(byte[] cdb)
    {
        var allocation = cdb[4];
        if ((cdb[1] & EvpdBit) != 0)
        {
            // Vital product data pages are not provided.
            SenseError(SenseKey.IllegalRequest, ScsiAsc.InvalidFieldInCdb);
            return;
        }

        Reply(AtapiReplies.Inquiry(IoBuffer, Model, FirmwareRevision), allocation);
    }

    internal void ModeSense(byte[] cdb, bool tenByte)
    {
        var allocation = tenByte ? Cdb.Be16(cdb, 7) : cdb[4];
        var control = cdb[2] >> PageControlShift;
        var code = cdb[2] & PageCodeMask;
        const int current = 0;
        const int saved = 3;
        if (control == saved)
        {
            SenseError(SenseKey.IllegalRequest, ScsiAsc.SavingParametersNotSupported);
            return;
        }

        var headerBytes = tenByte ? 8 : 4;
        var page = control == current ? AtapiReplies.ModePage(IoBuffer[headerBytes..], code, _trayLocked) : -1;
        if (page < 0)
        {
            // Changeable and default values are not reported, as on QEMU.
            SenseError(SenseKey.IllegalRequest, ScsiAsc.InvalidFieldInCdb);
            return;
        }

        AtapiReplies.ModeHeader(IoBuffer, tenByte, page);
        Reply(headerBytes + page, allocation);
    }

    internal void StartStopUnit(byte[] cdb)
    {
        var start = (cdb[4] & StartBit) != 0;
        var loadEject = (cdb[4] & LoadEjectBit) != 0;
        if ((cdb[4] & PowerConditionMask) != 0)
        {
            CommandOk();
            return;
        }

        if (loadEject)
        {
            if (!start && !_trayOpen && _trayLocked)
            {
                SenseError(Backend.IsInserted ? SenseKey.NotReady : SenseKey.IllegalRequest, ScsiAsc.MediumRemovalPrevented);
                return;
            }

            if (_trayOpen != !start)
            {
                _trayOpen = !start;
                Backend.GuestEject(_trayOpen);
            }
        }

        CommandOk();
    }

    internal void PreventAllowMediumRemoval(byte[] cdb)
    {
        _trayLocked = (cdb[4] & PreventBit) != 0;
        CommandOk();
    }

    internal void ReadCapacity()
    {
        var blocks = TotalBlocks;
        BinaryPrimitives.WriteUInt32BigEndian(IoBuffer, (uint)(blocks - 1));
        BinaryPrimitives.WriteUInt32BigEndian(IoBuffer[4..], SectorSize);
        Reply(8, 8);
    }

    internal void Read(uint lba, uint count)
    {
        if (count == 0)
        {
            CommandOk();
            return;
        }

        if ((long)lba + count > TotalBlocks)
        {
            SenseError(SenseKey.IllegalRequest, ScsiAsc.LogicalBlockAddressOutOfRange);
            return;
        }

        _readLba = lba;
        _readBlocksLeft = count;
        _transferLeft = (long)count * SectorSize;
        if (_atapiDma)
        {
            StartDma(_transferLeft);
        }
        else
        {
            FetchChunk(dma: false);
        }
    }

    internal void ReadCd(byte[] cdb)
    {
        var count = Cdb.Be24(cdb, 6);
        var lba = Cdb.Be32(cdb, 2);
        if (count == 0)
        {
            CommandOk();
            return;
        }

        if ((long)lba + count > TotalBlocks)
        {
            SenseError(SenseKey.IllegalRequest, ScsiAsc.LogicalBlockAddressOutOfRange);
            return;
        }

        switch (cdb[9] & ReadCdSelectMask)
        {
            case ReadCdNoData:
                CommandOk();
                break;
            case ReadCdUserData:
                // READ CD checks the byte count limit only when it will return data.
                if (!_atapiDma && _byteCountLimit < 2)
                {
                    AbortCommand();
                    Channel.RaiseIrq();
                    return;
                }

                Read(lba, count);
                break;
            default:
                SenseError(SenseKey.IllegalRequest, ScsiAsc.InvalidFieldInCdb);
                break;
        }
    }

    internal void Seek(uint lba)
    {
        if (lba >= TotalBlocks)
        {
            SenseError(SenseKey.IllegalRequest, ScsiAsc.LogicalBlockAddressOutOfRange);
            return;
        }

        CommandOk();
    }

    internal void ReadToc(byte[] cdb)
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
            0 => AtapiReplies.Toc(IoBuffer, TotalBlocks, msf, cdb[6]),
            1 => AtapiReplies.SessionInfo(IoBuffer, msf),
            2 => AtapiReplies.FullToc(IoBuffer, TotalBlocks, msf),
            _ => -1,
        };
        if (length < 0)
        {
            SenseError(SenseKey.IllegalRequest, ScsiAsc.InvalidFieldInCdb);
            return;
        }

        Reply(length, allocation);
    }

    internal void GetConfiguration(byte[] cdb)
    {
        if (cdb[2] != 0 || cdb[3] != 0)
        {
            // Only the listing that starts at feature 0 is provided.
            SenseError(SenseKey.IllegalRequest, ScsiAsc.InvalidFieldInCdb);
            return;
        }

        var allocation = Math.Min((int)Cdb.Be16(cdb, 7), MaxConfigurationBytes);
        Reply(AtapiReplies.Configuration(IoBuffer, MediumPresent ? TotalBlocks : 0), allocation);
    }

    internal void GetEventStatusNotification(byte[] cdb)
    {
        if ((cdb[1] & PolledBit) == 0)
        {
            SenseError(SenseKey.IllegalRequest, ScsiAsc.InvalidFieldInCdb);
            return;
        }

        var allocation = Cdb.Be16(cdb, 7);
        var mediaRequested = (cdb[4] & MediaClassBit) != 0;
        var status = _trayOpen ? MediaStatus.TrayOpen : Backend.IsInserted ? MediaStatus.MediaPresent : MediaStatus.TrayClosedEmpty;
        var code = MediaEventCode.NoChange;
        if (mediaRequested && status != MediaStatus.TrayOpen)
        {
            // Each event is reported once; new media outranks an eject request.
            if (_newMediaEvent)
            {
                code = MediaEventCode.NewMedia;
                _newMediaEvent = false;
            }
            else if (_ejectRequestEvent)
            {
                code = MediaEventCode.EjectRequest;
                _ejectRequestEvent = false;
            }
        }

        Reply(AtapiReplies.EventStatus(IoBuffer, mediaRequested, code, status), allocation);
    }

    internal void ReadDiscInformation(byte[] cdb)
    {
        if ((cdb[1] & DiscInfoTypeMask) != 0)
        {
            SenseError(SenseKey.IllegalRequest, ScsiAsc.InvalidFieldInCdb);
            return;
        }

        Reply(AtapiReplies.DiscInformation(IoBuffer), Cdb.Be16(cdb, 7));
    }

    internal void MechanismStatus(byte[] cdb) => Reply(AtapiReplies.MechanismStatus(IoBuffer), Cdb.Be16(cdb, 8));

    // ---- Protocol ----

    protected override void OnTransferEnd(IdeTransferStep step)
    {
        switch (step)
        {
            case IdeTransferStep.AtapiPacket:
                IoBuffer[..PacketBytes].CopyTo(_packet);
                ExecutePacket();
                break;
            case IdeTransferStep.AtapiDataBlock:
                _pos += _blockBytes;
                _transferLeft -= _blockBytes;
                ServeBlock();
                break;
        }
    }

    protected override void OnIoCompleted(IdeIo io)
    {
        if (io == IdeIo.Flush)
        {
            CompleteFlush();
            return;
        }

        var fetched = (int)Math.Min(_readBlocksLeft, BufferSectors);
        _readLba += fetched;
        _readBlocksLeft -= fetched;
        _pos = 0;
        _chunkEnd = fetched * SectorSize;
        if (_atapiDma)
        {
            Channel.BusMaster.WriteToGuest(IoBuffer[.._chunkEnd]);
            _transferLeft -= _chunkEnd;
            ContinueDma();
            return;
        }

        Status &= ~AtaStatus.Bsy;
        ServeBlock();
    }

    protected override void OnIoFailed(IdeIo io, BlockError error)
    {
        if (io == IdeIo.Flush)
        {
            AbortCommand();
            Channel.RaiseIrq();
            return;
        }

        if (error == BlockError.NoMedium)
        {
            SenseError(SenseKey.NotReady, ScsiAsc.MediumNotPresent);
        }
        else
        {
            SenseError(SenseKey.IllegalRequest, ScsiAsc.LogicalBlockAddressOutOfRange);
        }

        if (_atapiDma)
        {
            EndDma(stayActive: false);
        }
    }

    protected override void ContinueDma()
    {
        if (_transferLeft <= 0)
        {
            Error = 0;
            SetReason(AtapiInterruptReason.ToHost | AtapiInterruptReason.CommandOrData);
            CompleteDma(AtaStatus.Drdy | AtaStatus.Dsc);
            return;
        }

        if (_readBlocksLeft > 0)
        {
            FetchChunk(dma: true);
            return;
        }

        // A reply built in the buffer goes out in one piece.
        Channel.BusMaster.WriteToGuest(IoBuffer[..(int)_transferLeft]);
        _transferLeft = 0;
        ContinueDma();
    }

    /// <summary>The packet prologue (QEMU's ide_atapi_cmd): unit attention, the media-change sequence, readiness, byte count limit.</summary>
    private void ExecutePacket()
    {
        var entry = AtapiCommandTable.Lookup(_packet[0]);
        var allowUa = (entry.Flags & AtapiCommandFlags.AllowUnitAttention) != 0;
        if (_senseKey == SenseKey.UnitAttention && !allowUa)
        {
            // "Check status": ERR only (no DRDY), error = unit attention with MC, count 0.
            StopTransfer();
            Error = (byte)(((int)SenseKey.UnitAttention << SenseKeyShift) | (int)AtaErrorBits.Mc);
            Status = AtaStatus.Err;
            NSector = 0;
            Channel.RaiseIrq();
            return;
        }

        if (!allowUa && !_trayOpen && Backend.IsInserted && _mediaChanged != 0)
        {
            // First the guest sees the medium gone, then the unit attention for the new one.
            if (_mediaChanged == 1)
            {
                _mediaChanged = 2;
                SenseError(SenseKey.NotReady, ScsiAsc.MediumNotPresent);
            }
            else
            {
                _mediaChanged = 0;
                SenseError(SenseKey.UnitAttention, ScsiAsc.NotReadyToReadyChange);
            }

            return;
        }

        if ((entry.Flags & AtapiCommandFlags.CheckReady) != 0 && !MediumPresent)
        {
            SenseError(SenseKey.NotReady, ScsiAsc.MediumNotPresent);
            return;
        }

        var raw = Lcyl | (Hcyl << 8);
        _byteCountLimit = raw == ByteCountUnlimited ? ByteCountUnlimitedEven : raw;
        if ((entry.Flags & AtapiCommandFlags.NonData) == 0 && !_atapiDma && _byteCountLimit < 2)
        {
            AbortCommand();
            Channel.RaiseIrq();
            return;
        }

        if (entry.Handler is null)
        {
            SenseError(SenseKey.IllegalRequest, ScsiAsc.InvalidCommandOperationCode);
            return;
        }

        _readBlocksLeft = 0;
        entry.Handler(this, _packet);
    }

    /// <summary>Sends <paramref name="size"/> bytes already in the buffer, cut to the allocation length, by PIO or DMA.</summary>
    private void Reply(int size, int allocation)
    {
        _transferLeft = Math.Min(size, allocation);
        _readBlocksLeft = 0;
        _pos = 0;
        _chunkEnd = (int)_transferLeft;
        if (_atapiDma)
        {
            StartDma(_transferLeft);
            return;
        }

        Status = AtaStatus.Drdy | AtaStatus.Dsc;
        ServeBlock();
    }

    /// <summary>Opens the next PIO DRQ block (byte count in LBA mid/high, reason I/O, IRQ), fetches more sectors, or finishes.</summary>
    private void ServeBlock()
    {
        if (_transferLeft <= 0)
        {
            CommandOk();
            return;
        }

        if (_pos >= _chunkEnd)
        {
            FetchChunk(dma: false);
            return;
        }

        var size = (int)Math.Min(_transferLeft, _chunkEnd - _pos);
        if (size > _byteCountLimit)
        {
            size = _byteCountLimit & ~1;
        }

        _blockBytes = size;
        Lcyl = (byte)size;
        Hcyl = (byte)(size >> 8);
        SetReason(AtapiInterruptReason.ToHost);
        Status = AtaStatus.Drdy | AtaStatus.Dsc;
        StartTransfer(_pos, size, hostToDevice: false, IdeTransferStep.AtapiDataBlock);
        Channel.RaiseIrq();
    }

    private void FetchChunk(bool dma)
    {
        var blocks = (int)Math.Min(_readBlocksLeft, BufferSectors);
        Request.PrepareRead(_readLba * SectorSize, IoMemory[..(blocks * SectorSize)]);
        Submit(IdeIo.AtapiRead, busy: !dma);
    }

    private void SetReason(AtapiInterruptReason reason) =>
        NSector = (NSector & ~(int)AtapiInterruptReason.Mask & byte.MaxValue) | (int)reason;
}
