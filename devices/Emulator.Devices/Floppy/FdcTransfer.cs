using Emulator.Block.Backend;
using Emulator.Block.Memory;
using Emulator.Devices.Lifecycle;
using Emulator.Machine.Dma;
using Emulator.Machine.Timers;
using Emulator.Block.Tracing;

namespace Emulator.Devices.Floppy;

/// <summary>
/// The execution phase of the floppy data commands (READ/WRITE DATA, READ TRACK, VERIFY, the SCANs
/// and FORMAT TRACK) for <see cref="FloppyController"/>. It walks the medium one 512-byte sector at
/// a time as QEMU does: each sector is one asynchronous block request (one device-owned
/// <see cref="BlockRequest"/> and one aligned buffer, so nothing is allocated per request), and each
/// sector's bytes move either through ISA DMA channel 2 or, in non-DMA mode, through the FIFO with
/// MSR's RQM held low while the medium is busy.
/// <para>
/// A transfer ends at the byte count the command asked for, at the end of the track (or cylinder
/// with MT), or when the DMA count runs out, whichever comes first; the result then names the next
/// sector. Reads of sectors the image does not have (an image shorter than its geometry) read as
/// zeros, as QEMU papers over read errors. A write error ends the command with abnormal
/// termination, unless the backend's werror=enospc policy stopped the VM: then the request is kept
/// and resubmitted when the machine runs again.
/// </para>
/// </summary>
internal sealed class FdcTransfer : IBlockCompletionHandler
{
    /// <summary>N = 2: 128 &lt;&lt; 2 = 512-byte sectors, the only size on the media reported back.</summary>
    public const byte SectorSizeCode512 = 2;

    private const int SectorSize = FloppyController.SectorSize;
    private const int MaxSizeCode = 7;

    /// <summary>Sector bytes for N = 0: sizes are 128 &lt;&lt; N.</summary>
    private const int SizeCodeBase = 128;
    private const int HeadSelectShift = 2;
    private const int FormatIdBytes = 4;
    private const int FormatIdSectorOffset = 2;
    private const int MaxFormatSectors = byte.MaxValue;

    /// <summary>How often a transfer waiting for a masked DMA channel looks again: 10 µs of virtual time.</summary>
    private const long DmaRetryNs = 10_000;

    private readonly FloppyController _fdc;
    private readonly DmaChannel _dma;
    private readonly VirtualTimer _dmaRetry;
    private readonly AlignedBuffer _sector = new(SectorSize);
    private readonly byte[] _memory = new byte[SectorSize];
    private readonly byte[] _formatIds = new byte[MaxFormatSectors * FormatIdBytes];
    private readonly BlockRequest _request;

    private FdcTransferDirection _direction;
    private FloppyDrive _drive = null!;
    private bool _active;
    private bool _dmaMode;
    private bool _multiTrack;
    private bool _dmaEnded;
    private bool _parked;
    private byte _eot;
    private int _pos;
    private int _length;
    private int _chunk;
    private int _formatIdCount;
    private int _formatNext;
    private FdcStatus2 _scanStatus;
    private FdcIoStep _step;
    private int _generation;
    private int _requestGeneration;
    private FdcIoStep _wantedAfterStale;

    public FdcTransfer(FloppyController fdc, DmaChannel dma, VirtualClock clock)
    {
        _fdc = fdc;
        _dma = dma;
        _dmaRetry = clock.CreateTimer(OnDmaRetry, "fdc-dma");
        _request = new BlockRequest(this) { TraceTrack = fdc.TraceTrack };
    }

    /// <summary>
    /// Starts READ/WRITE DATA, READ TRACK, VERIFY or a SCAN from the parameters in the FIFO:
    /// [HDS|DS, C, H, R, N, EOT, GPL, DTL]. Addressing errors end it at once with the requested C/H/R.
    /// </summary>
    public void Start(FdcTransferDirection direction, bool multiTrack)
    {
        var fifo = _fdc.Fifo;
        var drive = _fdc.SelectFromParameter(fifo[1]);
        byte track = fifo[2], head = fifo[3], sector = fifo[4], sizeCode = fifo[5], eot = fifo[6], dtl = fifo[8];
        switch (drive.Seek(head, track, sector))
        {
            case FdcSeekResult.InvalidTrack:
                _fdc.StopTransfer(FdcStatus0.AbnormalTermination, FdcStatus1.None, track, head, sector);
                return;
            case FdcSeekResult.InvalidSector:
                _fdc.StopTransfer(FdcStatus0.AbnormalTermination, FdcStatus1.EndOfCylinder, track, head, sector);
                return;
            case FdcSeekResult.TrackChanged:
                _fdc.Status0 |= FdcStatus0.SeekEnd;
                break;
        }

        if (_fdc.ProgrammedRate != drive.MediaRate)
        {
            _fdc.StopTransfer(FdcStatus0.AbnormalTermination, FdcStatus1.MissingAddressMark, track, head, sector);
            return;
        }

        int length;
        if (sizeCode == 0)
        {
            length = dtl;
        }
        else
        {
            // EOT below the start sector would make the count negative (CVE-2021-3507): refuse it.
            var sectors = eot - sector + 1;
            if (sectors < 0)
            {
                _fdc.StopTransfer(FdcStatus0.AbnormalTermination, FdcStatus1.MissingAddressMark, track, head, sector);
                return;
            }

            sectors += multiTrack ? eot : 0;
            length = (SizeCodeBase << Math.Min((int)sizeCode, MaxSizeCode)) * sectors;
        }

        if (direction == FdcTransferDirection.Write && drive.ReadOnly)
        {
            _fdc.StopTransfer(FdcStatus0.AbnormalTermination | FdcStatus0.SeekEnd, FdcStatus1.NotWritable, FdcStatus2.None);
            return;
        }

        Begin(drive, direction, multiTrack, eot, length);
        if (length == 0 || direction == FdcTransferDirection.Verify)
        {
            // VERIFY reads the sectors inside the controller: nothing crosses DMA or the FIFO.
            _fdc.Msr &= ~FdcMainStatus.RequestForMaster;
            Verify();
        }
        else if (_dmaMode)
        {
            _fdc.Msr &= ~FdcMainStatus.RequestForMaster;
            _dma.SetRequest(true);
            NextDmaSector();
        }
        else if (direction == FdcTransferDirection.Write)
        {
            _fdc.Msr |= FdcMainStatus.NonDma | FdcMainStatus.RequestForMaster;
            _fdc.RaiseIrq();
        }
        else
        {
            // Each sector is fetched before RQM rises; the first one's arrival raises IRQ 6.
            _fdc.Msr = (_fdc.Msr | FdcMainStatus.NonDma | FdcMainStatus.DataToHost) & ~FdcMainStatus.RequestForMaster;
            Issue(FdcIoStep.ReadForPio, write: false);
        }
    }

    /// <summary>Starts FORMAT TRACK from [HDS|DS, N, SC, GPL, D]: SC four-byte sector IDs follow by DMA or FIFO.</summary>
    public void StartFormat()
    {
        var fifo = _fdc.Fifo;
        var drive = _fdc.SelectFromParameter(fifo[1]);
        var head = (byte)((fifo[1] >> HeadSelectShift) & 1);
        int sectors = fifo[3];
        var filler = fifo[5];
        if (!drive.IsInserted || (head != 0 && !drive.DoubleSided))
        {
            _fdc.StopTransfer(FdcStatus0.AbnormalTermination, FdcStatus1.None, FdcStatus2.None);
            return;
        }

        if (drive.ReadOnly)
        {
            _fdc.StopTransfer(FdcStatus0.AbnormalTermination, FdcStatus1.NotWritable, FdcStatus2.None);
            return;
        }

        if (_fdc.ProgrammedRate != drive.MediaRate)
        {
            _fdc.StopTransfer(FdcStatus0.AbnormalTermination, FdcStatus1.MissingAddressMark, FdcStatus2.None);
            return;
        }

        drive.Head = head;
        _sector.Span.Fill(filler);
        Begin(drive, FdcTransferDirection.Format, multiTrack: false, eot: 0, sectors * FormatIdBytes);
        _formatIdCount = 0;
        _formatNext = 0;
        if (_length == 0)
        {
            Finish();
        }
        else if (_dmaMode)
        {
            _fdc.Msr &= ~FdcMainStatus.RequestForMaster;
            _dma.SetRequest(true);
            FetchFormatIds();
        }
        else
        {
            _fdc.Msr |= FdcMainStatus.NonDma | FdcMainStatus.RequestForMaster;
            _fdc.RaiseIrq();
        }
    }

    /// <summary>A FIFO read in the non-DMA execution phase.</summary>
    public byte ReadByte()
    {
        if (!_active || _direction == FdcTransferDirection.Write || _direction == FdcTransferDirection.Format)
        {
            return 0;
        }

        var value = _fdc.Fifo[_pos % SectorSize];
        _pos++;
        if (_pos >= _length)
        {
            // As QEMU's fdctrl_read_data: the last byte ends the command where the head is (the
            // result names the last sector read, not the next one, unlike a DMA read).
            Finish();
        }
        else if (_pos % SectorSize == 0)
        {
            if (SectorDone())
            {
                // RQM drops while the next sector is fetched; IRQ 6 stays as the start raised it.
                _fdc.Msr &= ~FdcMainStatus.RequestForMaster;
                Issue(FdcIoStep.ReadForPio, write: false);
            }
            else
            {
                Finish();
            }
        }

        return value;
    }

    /// <summary>A FIFO write in the non-DMA execution phase: sector data, or FORMAT TRACK sector IDs.</summary>
    public void WriteByte(byte value)
    {
        if (!_active)
        {
            return;
        }

        if (_direction == FdcTransferDirection.Format)
        {
            _formatIds[_pos] = value;
            _pos++;
            if (_pos % FormatIdBytes == 0)
            {
                _formatIdCount = _pos / FormatIdBytes;
                _fdc.Msr &= ~FdcMainStatus.RequestForMaster;
                _fdc.LowerIrq();
                FormatNextSector();
            }

            return;
        }

        if (_direction != FdcTransferDirection.Write)
        {
            return;
        }

        _fdc.Fifo[_pos % SectorSize] = value;
        _pos++;
        var filled = _pos % SectorSize;
        if (filled == 0)
        {
            _fdc.Msr &= ~FdcMainStatus.RequestForMaster;
            _fdc.Fifo.CopyTo(_sector.Span);
            Issue(FdcIoStep.WritePio, write: true);
        }
        else if (_pos >= _length)
        {
            // The transfer ends inside a sector: keep the rest of it from the medium.
            _chunk = filled;
            _fdc.Msr &= ~FdcMainStatus.RequestForMaster;
            Issue(FdcIoStep.ReadBeforePioWrite, write: false);
        }
    }

    public void OnBlockRequestCompleted(BlockRequest request)
    {
        if (_requestGeneration != _generation || !_active)
        {
            // A request from before a reset finished; start the one the new command has been waiting for.
            var wanted = _wantedAfterStale;
            _wantedAfterStale = FdcIoStep.None;
            if (wanted != FdcIoStep.None && _active)
            {
                Issue(wanted, IsWriteStep(wanted));
            }

            return;
        }

        var failed = request.Error != BlockError.None && request.ErrorAction != BlockErrorAction.Ignore;
        if (failed && request.Kind == BlockRequestKind.Read)
        {
            // QEMU treats an unreadable sector (typically past the end of a short image) as zeros.
            _sector.Span.Clear();
            failed = false;
        }

        if (failed && StopPolicy.ShouldPark(request))
        {
            _parked = true;
            return;
        }

        if (failed)
        {
            _fdc.StopTransfer(FdcStatus0.AbnormalTermination | FdcStatus0.SeekEnd, FdcStatus1.None, FdcStatus2.None);
            _active = false;
            return;
        }

        Continue(_step);
    }

    /// <summary>Resubmits a write the stop policy parked, once the VM runs again.</summary>
    public void RetryParked()
    {
        if (_parked && _active)
        {
            _parked = false;
            _requestGeneration = _generation;
            _drive.Backend!.Submit(_request);
        }
    }

    /// <summary>Drops the command in progress (controller or machine reset); a request in flight is ignored when it lands.</summary>
    public void Abort()
    {
        _generation++;
        _active = false;
        _parked = false;
        _wantedAfterStale = FdcIoStep.None;
        _dmaRetry.Cancel();
        _dma.SetRequest(false);
    }

    /// <summary>Drops DREQ at the end of a DMA command.</summary>
    public void ReleaseRequest()
    {
        if (_dmaMode)
        {
            _dma.SetRequest(false);
        }

        _dmaRetry.Cancel();
    }

    private static bool IsWriteStep(FdcIoStep step) => step is FdcIoStep.WriteDma or FdcIoStep.WritePio or FdcIoStep.FormatWrite;

    private void Begin(FloppyDrive drive, FdcTransferDirection direction, bool multiTrack, byte eot, int length)
    {
        _generation++;
        _drive = drive;
        _direction = direction;
        _multiTrack = multiTrack;
        _eot = eot;
        _pos = 0;
        _length = length;
        _dmaMode = _fdc.DmaEnabled;
        _dmaEnded = false;
        _parked = false;
        _scanStatus = direction is FdcTransferDirection.ScanEqual or FdcTransferDirection.ScanLowOrEqual or FdcTransferDirection.ScanHighOrEqual
            ? FdcStatus2.ScanNotSatisfied
            : FdcStatus2.None;
        _active = true;
    }

    private void Continue(FdcIoStep step)
    {
        switch (step)
        {
            case FdcIoStep.ReadForDma:
            case FdcIoStep.WaitDmaRead:
                DmaReadSector();
                break;
            case FdcIoStep.ReadBeforeDmaWrite:
            case FdcIoStep.WaitDmaWrite:
                DmaFetchSector();
                break;
            case FdcIoStep.WriteDma:
                _pos += _chunk;
                AfterDmaChunk();
                break;
            case FdcIoStep.ReadForPio:
                _sector.Span.CopyTo(_fdc.Fifo);
                _fdc.Msr |= FdcMainStatus.RequestForMaster;
                if (_pos == 0)
                {
                    // One interrupt announces the whole non-DMA transfer, as QEMU raises it at the start.
                    _fdc.RaiseIrq();
                }

                break;
            case FdcIoStep.ReadBeforePioWrite:
                _fdc.Fifo.AsSpan(0, _chunk).CopyTo(_sector.Span);
                Issue(FdcIoStep.WritePio, write: true);
                break;
            case FdcIoStep.WritePio:
                var more = (_pos % SectorSize != 0 || SectorDone()) && _pos < _length;
                if (more)
                {
                    // IRQ 6 stays as the start raised it (QEMU's fdctrl_write_data does not pulse it per sector).
                    _fdc.Msr |= FdcMainStatus.RequestForMaster;
                }
                else
                {
                    Finish();
                }

                break;
            case FdcIoStep.FormatWrite:
                FormatNextSector();
                break;
            case FdcIoStep.WaitDmaFormat:
                FetchFormatIds();
                break;
        }
    }

    /// <summary>Reads (or fetches for writing) the sector under the head for a DMA transfer.</summary>
    private void NextDmaSector()
    {
        if (_direction == FdcTransferDirection.Write)
        {
            DmaFetchSector();
        }
        else
        {
            Issue(FdcIoStep.ReadForDma, write: false);
        }
    }

    /// <summary>Moves the sector just read to memory (READ) or compares it with memory (SCAN).</summary>
    private void DmaReadSector()
    {
        if (!WaitForDma(FdcIoStep.WaitDmaRead))
        {
            return;
        }

        var offset = _pos % SectorSize;
        var wanted = Math.Min(SectorSize - offset, _length - _pos);
        var disk = _sector.Span.Slice(offset, wanted);
        int moved;
        if (_direction == FdcTransferDirection.Read)
        {
            moved = _dma.WriteToMemory(disk);
        }
        else
        {
            moved = _dma.ReadFromMemory(_memory.AsSpan(0, wanted));
            if (moved > 0 && Scan(disk[..moved], _memory.AsSpan(0, moved)))
            {
                Finish();
                return;
            }
        }

        _pos += moved;
        _dmaEnded = _dma.TerminalCountReached || moved < wanted;
        if (moved == 0)
        {
            // The channel moved nothing (programmed for the other direction): the command ends where it stands.
            Finish();
            return;
        }

        AfterDmaChunk();
    }

    /// <summary>Fetches the next sector's bytes from memory for WRITE DATA; a partial sector is first read from the medium.</summary>
    private void DmaFetchSector()
    {
        if (!WaitForDma(FdcIoStep.WaitDmaWrite))
        {
            return;
        }

        var offset = _pos % SectorSize;
        var wanted = Math.Min(Math.Min(SectorSize - offset, _length - _pos), _dma.RemainingBytes);
        if (wanted < SectorSize && _step != FdcIoStep.ReadBeforeDmaWrite)
        {
            Issue(FdcIoStep.ReadBeforeDmaWrite, write: false);
            return;
        }

        _chunk = _dma.ReadFromMemory(_sector.Span.Slice(offset, wanted));
        _dmaEnded = _dma.TerminalCountReached || _chunk < wanted;
        if (_chunk == 0)
        {
            Finish();
            return;
        }

        Issue(FdcIoStep.WriteDma, write: true);
    }

    private void AfterDmaChunk()
    {
        var atBoundary = _pos % SectorSize == 0;
        if ((atBoundary && !SectorDone()) || _dmaEnded || _pos >= _length)
        {
            Finish();
            return;
        }

        NextDmaSector();
    }

    /// <summary>True when the channel can move data now; otherwise looks again shortly (the guest may unmask it late).</summary>
    private bool WaitForDma(FdcIoStep resume)
    {
        if (_dma.IsReady)
        {
            return true;
        }

        _step = resume;
        _dmaRetry.ArmAfter(DmaRetryNs);
        return false;
    }

    private void OnDmaRetry()
    {
        if (_active && !_request.IsInFlight)
        {
            Continue(_step);
        }
    }

    /// <summary>VERIFY: walks the sectors as a read would, without moving data.</summary>
    private void Verify()
    {
        while (_pos < _length)
        {
            _pos += Math.Min(SectorSize - (_pos % SectorSize), _length - _pos);
            if (_pos % SectorSize == 0 && !SectorDone())
            {
                break;
            }
        }

        Finish();
    }

    /// <summary>
    /// Compares one chunk for a SCAN (82078 datasheet, "SCAN Commands"): 0xFF in memory matches
    /// anything. Returns true when the condition is met, with ST2 set for the result.
    /// </summary>
    private bool Scan(ReadOnlySpan<byte> disk, ReadOnlySpan<byte> memory)
    {
        var equal = true;
        var low = true;
        var high = true;
        for (var i = 0; i < disk.Length; i++)
        {
            if (memory[i] == byte.MaxValue)
            {
                continue;
            }

            equal &= disk[i] == memory[i];
            low &= disk[i] <= memory[i];
            high &= disk[i] >= memory[i];
        }

        var met = _direction switch
        {
            FdcTransferDirection.ScanEqual => equal,
            FdcTransferDirection.ScanLowOrEqual => low,
            _ => high,
        };
        if (met)
        {
            _scanStatus = equal ? FdcStatus2.ScanEqualHit : FdcStatus2.None;
        }

        return met;
    }

    private void FetchFormatIds()
    {
        if (!WaitForDma(FdcIoStep.WaitDmaFormat))
        {
            return;
        }

        var moved = _dma.ReadFromMemory(_formatIds.AsSpan(0, _length));
        _formatIdCount = moved / FormatIdBytes;
        FormatNextSector();
    }

    /// <summary>Writes the filler byte into the next sector named by an ID (C, H, R, N); IDs naming no sector of the track are skipped.</summary>
    private void FormatNextSector()
    {
        while (_formatNext < _formatIdCount)
        {
            var sector = _formatIds[(_formatNext * FormatIdBytes) + FormatIdSectorOffset];
            _formatNext++;
            if (sector >= 1 && sector <= _drive.SectorsPerTrack)
            {
                _drive.Sector = sector;
                Issue(FdcIoStep.FormatWrite, write: true);
                return;
            }
        }

        if (_dmaMode || _pos >= _length)
        {
            Finish();
        }
        else
        {
            _fdc.Msr |= FdcMainStatus.RequestForMaster;
            _fdc.RaiseIrq();
        }
    }

    /// <summary>
    /// Steps to the next sector after a full one: past EOT (or the last sector of the track) to
    /// sector 1, with MT to head 1, else to the next track with SEEK END. False when the transfer
    /// must end there (end of track without MT, or after head 1 / a single-sided track).
    /// </summary>
    private bool SectorDone()
    {
        var drive = _drive;
        byte head = drive.Head, track = drive.Track, sector = drive.Sector;
        var more = true;
        if (sector >= drive.SectorsPerTrack || sector == _eot)
        {
            sector = 1;
            if (_multiTrack && head == 0 && drive.DoubleSided)
            {
                head = 1;
            }
            else
            {
                // Without MT the head stays; with MT QEMU goes on to the next cylinder after head 1
                // (the byte count still bounds it).
                more = _multiTrack && drive.DoubleSided;
                head = _multiTrack ? (byte)0 : head;
                track = unchecked((byte)(track + 1));
                _fdc.Status0 |= FdcStatus0.SeekEnd;
            }
        }
        else
        {
            sector++;
        }

        drive.Seek(head, track, sector);
        return more;
    }

    private void Issue(FdcIoStep step, bool write)
    {
        _step = step;
        if (_request.IsInFlight)
        {
            _wantedAfterStale = step;
            return;
        }

        if (_drive.Backend is not { } backend)
        {
            _fdc.StopTransfer(FdcStatus0.AbnormalTermination, FdcStatus1.None, FdcStatus2.None);
            _active = false;
            return;
        }

        // The sector index is built from byte-sized C/H/R and geometry, so it cannot overflow; a
        // negative one (sector 0) or one past the medium is refused by the block layer as a value.
        var offset = _drive.SectorIndex * SectorSize;
        if (write)
        {
            _request.PrepareWrite(offset, _sector.Memory);
        }
        else
        {
            _request.PrepareRead(offset, _sector.Memory);
        }

        _requestGeneration = _generation;
        IoTrace.Decoded(_fdc.TraceTrack);
        backend.Submit(_request);
    }

    private void Finish()
    {
        _active = false;
        _fdc.StopTransfer(FdcStatus0.None, FdcStatus1.None, _scanStatus);
    }
}
