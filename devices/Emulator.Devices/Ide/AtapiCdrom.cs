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
    /// <summary>The length in bytes of the SCSI command block the guest writes after PACKET (12, as ATAPI requires).</summary>
    public const int PacketBytes = 12;
    /// <summary>Bytes per CD-ROM logical block (2048); the medium's capacity is counted in these blocks.</summary>
    public const int SectorSize = AtapiReplies.CdSectorSize;

    /// <summary>A raw CD frame: 12 sync, 4 header, 2048 data, 288 EDC/ECC bytes (ECMA-130 mode 1).</summary>
    public const int RawFrameBytes = 2352;

    private const string DefaultModel = "QEMU DVD-ROM";
    private const int BufferSectors = 64;

    /// <summary>Largest in-place DMA read per block request: 16 MiB keeps the byte count an int.</summary>
    private const int MaxInPlaceBytes = 16 << 20;
    private const int ByteCountUnlimited = 0xFFFF;
    private const int ByteCountUnlimitedEven = 0xFFFE;
    private const byte FeatureDma = 0x01;
    private const byte FeatureOverlap = 0x02;
    private const int SenseKeyShift = 4;
    private const int SyncBytes = 12;
    private const int RawHeaderBytes = 16;
    private const byte DataMode1 = 1;

    private readonly byte[] _packet = new byte[PacketBytes];
    private int _mediaChanged;
    private long _transferLeft;
    private int _pos;
    private int _chunkEnd;
    private int _blockBytes;
    private long _readLba;
    private long _readBlocksLeft;
    private int _fetchOffset;
    private int _frameBytes = SectorSize;
    private bool _direct;
    private ulong _directAddress;

    internal AtapiCdrom(IdeChannel channel, int unit, BlockBackend backend, IdeDriveOptions options, string defaultSerial)
        : base(channel, unit, backend, options, DefaultModel, defaultSerial, BufferSectors * SectorSize)
    {
        Reset();
    }

    /// <summary>Always <see cref="IdeDriveKind.Cdrom"/>.</summary>
    public override IdeDriveKind Kind => IdeDriveKind.Cdrom;

    /// <summary>A CD-ROM drive has a removable medium, a tray, a lock the guest controls and eject requests, and reacts to resizes.</summary>
    public override BlockDevCapabilities Capabilities =>
        BlockDevCapabilities.ChangeMedia | BlockDevCapabilities.EjectRequest | BlockDevCapabilities.Tray
        | BlockDevCapabilities.MediumLock | BlockDevCapabilities.Resize;

    /// <summary>Whether the tray is open (after an eject by the guest or the monitor); a medium is unreadable while it is.</summary>
    public override bool IsTrayOpen => TrayOpen;

    /// <summary>Whether the guest locked the medium with PREVENT ALLOW MEDIUM REMOVAL; a locked drive turns a monitor eject into an eject request.</summary>
    public override bool IsMediumLocked => TrayLocked;

    /// <summary>Capacity in 2048-byte blocks; 0 with no medium.</summary>
    public long TotalBlocks => Backend.IsInserted ? Backend.Length / SectorSize : 0;

    internal bool MediumPresent => !TrayOpen && TotalBlocks > 0;

    /// <summary>The reply area the command handlers build into (the drive's I/O buffer).</summary>
    internal Span<byte> ReplyBuffer => IoBuffer;

    internal SenseKey CurrentSenseKey { get; set; }

    internal ScsiAsc CurrentAsc { get; private set; }

    internal bool TrayOpen { get; set; }

    internal bool TrayLocked { get; set; }

    /// <summary>A "new media" event waits for GET EVENT STATUS NOTIFICATION.</summary>
    internal bool NewMediaEvent { get; set; }

    /// <summary>An "eject requested" event waits for GET EVENT STATUS NOTIFICATION.</summary>
    internal bool EjectRequestEvent { get; set; }

    /// <summary>The PACKET's feature bit 0: the data phase of this command goes through the bus master.</summary>
    internal bool AtapiDma { get; private set; }

    /// <summary>The byte count limit of this command (LBA mid/high, 0xFFFF read as 0xFFFE).</summary>
    internal int ByteCountLimit { get; private set; }

    /// <summary>The monitor loaded (tray closed) or unloaded (tray opened) the medium: start the change sequence and tell the guest.</summary>
    public override string? ChangeMedia(bool load)
    {
        TrayOpen = !load;
        _mediaChanged = 1;
        NewMediaEvent = true;
        EjectRequestEvent = false;
        Channel.RaiseIrq();
        return null;
    }

    /// <summary>The monitor wants a locked tray opened: post an "eject requested" event; force also drops the lock.</summary>
    public override void EjectRequested(bool force)
    {
        EjectRequestEvent = true;
        if (force)
        {
            TrayLocked = false;
        }

        Channel.RaiseIrq();
    }

    internal override void Reset()
    {
        base.Reset();
        _direct = false;
        CurrentSenseKey = SenseKey.NoSense;
        CurrentAsc = ScsiAsc.None;
        _mediaChanged = 0;
        TrayLocked = false;
        TrayOpen = false;
        AtapiDma = false;
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
        return SendIdentifyPage();
    }

    /// <summary>PACKET: wait for the 12-byte command with C/D set; QEMU raises no IRQ for this DRQ.</summary>
    internal bool Packet()
    {
        if ((Feature & FeatureOverlap) != 0)
        {
            AbortCommand();
            return true;
        }

        AtapiDma = (Feature & FeatureDma) != 0;
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
        CurrentSenseKey = key;
        CurrentAsc = asc;
        Channel.RaiseIrq();
    }

    /// <summary>Starts a read of <paramref name="count"/> blocks as 2048-byte sectors or 2352-byte raw frames, by PIO or DMA.</summary>
    internal void Read(uint lba, uint count, int frameBytes = SectorSize)
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
        _frameBytes = frameBytes;
        _pos = _chunkEnd = 0;
        _transferLeft = (long)count * frameBytes;
        if (AtapiDma)
        {
            StartDma(_transferLeft);
        }
        else
        {
            FetchChunk(dma: false);
        }
    }

    // ---- Protocol ----

    private protected override void OnTransferEnd(IdeTransferStep step)
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
                ServeDrq();
                break;
        }
    }

    private protected override void OnIoCompleted(IdeIo io)
    {
        if (io == IdeIo.Flush)
        {
            CompleteFlush();
            return;
        }

        var fetched = (int)Request.Length / SectorSize;
        if (_direct)
        {
            // The sectors went straight into guest memory.
            _direct = false;
            Channel.BusMaster.Skip((int)Request.Length);
            Channel.BusMaster.NotifyWritten(_directAddress, (int)Request.Length);
            _readLba += fetched;
            _readBlocksLeft -= fetched;
            _transferLeft -= Request.Length;
            ContinueDma();
            return;
        }

        if (_frameBytes == RawFrameBytes)
        {
            ExpandToRawFrames(fetched);
        }

        _readLba += fetched;
        _readBlocksLeft -= fetched;
        _pos = 0;
        _chunkEnd = _fetchOffset + (fetched * _frameBytes);
        if (AtapiDma)
        {
            Channel.BusMaster.WriteToGuest(IoBuffer[.._chunkEnd]);
            _transferLeft -= _chunkEnd;
            ContinueDma();
            return;
        }

        Status &= ~AtaStatus.Bsy;
        ServeDrq();
    }

    private protected override void OnIoFailed(IdeIo io, BlockError error)
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

        if (AtapiDma)
        {
            EndDma(stayActive: false);
        }
    }

    private protected override void ContinueDma()
    {
        if (_transferLeft <= 0)
        {
            // ATAPI DMA always leaves the engine inactive, however long the PRDs (QEMU's ide_atapi_cmd_read_dma_cb).
            Error = 0;
            SetReason(AtapiInterruptReason.ToHost | AtapiInterruptReason.CommandOrData);
            CompleteDma(AtaStatus.Drdy | AtaStatus.Dsc, allowStayActive: false);
            return;
        }

        if (_readBlocksLeft > 0)
        {
            if (_frameBytes != SectorSize || !TryReadInPlace())
            {
                FetchChunk(dma: true);
            }

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
        if (CurrentSenseKey == SenseKey.UnitAttention && !allowUa)
        {
            // "Check status": ERR only (no DRDY), error = unit attention with MC, count 0.
            StopTransfer();
            Error = (byte)(((int)SenseKey.UnitAttention << SenseKeyShift) | (int)AtaErrorBits.Mc);
            Status = AtaStatus.Err;
            NSector = 0;
            Channel.RaiseIrq();
            return;
        }

        if (!allowUa && !TrayOpen && Backend.IsInserted && _mediaChanged != 0)
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
        ByteCountLimit = raw == ByteCountUnlimited ? ByteCountUnlimitedEven : raw;
        if ((entry.Flags & AtapiCommandFlags.NonData) == 0 && !AtapiDma && ByteCountLimit < 2)
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
    internal void Reply(int size, int allocation)
    {
        _transferLeft = Math.Min(size, allocation);
        _readBlocksLeft = 0;
        _pos = 0;
        _chunkEnd = (int)_transferLeft;
        if (AtapiDma)
        {
            StartDma(_transferLeft);
            return;
        }

        Status = AtaStatus.Drdy | AtaStatus.Dsc;
        ServeDrq();
    }

    /// <summary>Opens the next PIO DRQ block, with its byte count in LBA mid/high, reason I/O and an IRQ; or fetches more sectors, or finishes.</summary>
    private void ServeDrq()
    {
        if (_transferLeft <= 0)
        {
            CommandOk();
            return;
        }

        var size = (int)Math.Min(_transferLeft, int.MaxValue);
        if (size > ByteCountLimit)
        {
            size = ByteCountLimit & ~1;
        }

        if (size > _chunkEnd - _pos && _readBlocksLeft == 0)
        {
            size = _chunkEnd - _pos;
        }
        else if (size > _chunkEnd - _pos)
        {
            // The block needs sectors not fetched yet: fetch them behind what is left, so the block stays whole as on QEMU.
            FetchChunk(dma: false);
            return;
        }

        _blockBytes = size;
        Lcyl = (byte)size;
        Hcyl = (byte)(size >> 8);
        SetReason(AtapiInterruptReason.ToHost);
        Status = AtaStatus.Drdy | AtaStatus.Dsc;
        StartTransfer(_pos, size, hostToDevice: false, IdeTransferStep.AtapiDataBlock);
        Channel.RaiseIrq();
    }

    /// <summary>The zero-copy DMA path: 2048-byte sectors read straight into contiguous guest RAM described by the PRDs.</summary>
    private bool TryReadInPlace()
    {
        var most = (int)Math.Min(_readBlocksLeft * SectorSize, MaxInPlaceBytes);
        var blocks = Channel.BusMaster.TryMapContiguous(most, out var ram, out var address) / SectorSize;
        if (blocks == 0)
        {
            return false;
        }

        _direct = true;
        _directAddress = address;
        Request.PrepareRead(_readLba * SectorSize, ram[..(blocks * SectorSize)]);
        Submit(IdeIo.AtapiRead, busy: false);
        return true;
    }

    /// <summary>Fetches the next sectors; a PIO fetch first moves the unread rest of the buffer to its start.</summary>
    private void FetchChunk(bool dma)
    {
        _direct = false;
        _fetchOffset = dma ? 0 : _chunkEnd - _pos;
        if (_fetchOffset > 0)
        {
            IoBuffer[_pos.._chunkEnd].CopyTo(IoBuffer);
        }

        var blocks = (int)Math.Min(_readBlocksLeft, (IoBufferBytes - _fetchOffset) / _frameBytes);
        Request.PrepareRead(_readLba * SectorSize, IoMemory.Slice(_fetchOffset, blocks * SectorSize));
        Submit(IdeIo.AtapiRead, busy: !dma);
    }

    /// <summary>
    /// Turns the fetched 2048-byte sectors into 2352-byte mode 1 frames in place, last first so no
    /// sector is overwritten before it moved: sync pattern, MSF header, user data, and zeroed EDC/ECC
    /// (not computed, as on QEMU).
    /// </summary>
    private void ExpandToRawFrames(int sectors)
    {
        var buffer = IoBuffer;
        for (var i = sectors - 1; i >= 0; i--)
        {
            var frame = buffer.Slice(_fetchOffset + (i * RawFrameBytes), RawFrameBytes);
            buffer.Slice(_fetchOffset + (i * SectorSize), SectorSize).CopyTo(frame[RawHeaderBytes..]);
            frame[..SyncBytes].Fill(byte.MaxValue);
            frame[0] = 0;
            frame[SyncBytes - 1] = 0;
            CdMsf.Write(frame[SyncBytes..], _readLba + i);
            frame[SyncBytes + 3] = DataMode1;
            frame[(RawHeaderBytes + SectorSize)..].Clear();
        }
    }

    private void SetReason(AtapiInterruptReason reason) =>
        NSector = (NSector & ~(int)AtapiInterruptReason.Mask & byte.MaxValue) | (int)reason;
}
