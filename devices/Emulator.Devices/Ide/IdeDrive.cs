using Emulator.Devices.Lifecycle;
using System.Buffers.Binary;
using Emulator.Block.Backend;
using Emulator.Block.Memory;
using Emulator.Machine.Bus;
using Emulator.Block.Tracing;

namespace Emulator.Devices.Ide;

/// <summary>
/// What every IDE drive shares (QEMU's IDEState): the task-file registers with their LBA48 "HOB"
/// copies, status and error, the PIO data engine behind the data port, the ATA command prologue and
/// epilogue (one table, <see cref="AtaCommandTable"/>), the one reusable block request with the
/// error-policy plumbing (report / ignore / stop-and-retry), and the bus-master DMA state machine.
/// Subclasses: <see cref="AtaDisk"/> (ide-hd) and <see cref="AtapiCdrom"/> (ide-cd).
/// Runs on the machine thread only; the guest reaches it only through <see cref="IdeChannel"/>.
/// </summary>
public abstract class IdeDrive : IBlockCompletionHandler, IBlockDevOps
{
    /// <summary>Bytes per ATA logical sector (512); a hard disk's capacity and every LBA count in these sectors.</summary>
    public const int AtaSectorSize = 512;

    private const byte SignatureCount = 1;
    private const byte DiskSignatureMid = 0x00;
    private const byte DiskSignatureHigh = 0x00;
    private const byte PacketSignatureMid = 0x14;
    private const byte PacketSignatureHigh = 0xEB;
    private const int MaxLba28Count = 256;
    private const int MaxLba48Count = 65536;
    private const int ByteBits = 8;
    private const byte DefaultUltraDmaMode = 5;
    private const int TransferModeClassShift = 3;
    private const byte TransferModeValueMask = 0x07;
    private const byte DefaultTransferMode = ((byte)AtaTransferModeClass.UltraDma << TransferModeClassShift) | DefaultUltraDmaMode;

    /// <summary>SET FEATURES subcommands QEMU accepts and ignores (APM, read look-ahead, reverting to defaults, …).</summary>
    private static ReadOnlySpan<byte> IgnoredFeatures => [0x05, 0x85, 0xAA, 0x55, 0xCC, 0x66, 0x42, 0xC2, 0x67, 0x69, 0x96, 0x9A];

    private readonly AlignedBuffer _ioBuffer;
    private int _dataPos;
    private int _dataEnd;
    private bool _pioOut;
    private IdeTransferStep _onEnd;
    private IdeIo _pendingIo;
    private bool _parked;
    private bool _orphaned;
    private bool _dmaPending;
    private bool _dmaRunning;
    private bool _dmaStayActive;
    private long _dmaBytes;

    private protected IdeDrive(IdeChannel channel, int unit, BlockBackend backend, IdeDriveOptions options, string defaultModel, string defaultSerial, int ioBufferBytes)
    {
        Channel = channel ?? throw new ArgumentNullException(nameof(channel));
        Backend = backend ?? throw new ArgumentNullException(nameof(backend));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        Unit = unit;
        Model = options.Model ?? defaultModel;
        Serial = options.Serial ?? defaultSerial;
        FirmwareRevision = options.FirmwareRevision ?? IdeDriveOptions.DefaultFirmwareRevision;
        _ioBuffer = new AlignedBuffer(ioBufferBytes);
        Request = new BlockRequest(this) { TraceTrack = channel.TraceTrack };
    }

    /// <summary>Whether this is a hard disk (ide-hd) or a CD-ROM drive (ide-cd).</summary>
    public abstract IdeDriveKind Kind { get; }

    /// <summary>The media operations the drive supports, as the block layer's device operations see them.</summary>
    public abstract BlockDevCapabilities Capabilities { get; }

    /// <summary>The channel the drive is attached to.</summary>
    public IdeChannel Channel { get; }

    /// <summary>The drive's position on its channel: 0 (master) or 1 (slave).</summary>
    public int Unit { get; }

    /// <summary>The block backend the drive reads and writes; attached to the drive for its lifetime.</summary>
    public BlockBackend Backend { get; }

    /// <summary>The properties the drive was attached with.</summary>
    public IdeDriveOptions Options { get; }

    /// <summary>The model string IDENTIFY (and INQUIRY for a CD-ROM) reports: the option given, or QEMU's default.</summary>
    public string Model { get; }

    /// <summary>The serial number IDENTIFY reports: the option given, or QEMU's "QM%05d" numbering by attach order.</summary>
    public string Serial { get; }

    /// <summary>The firmware revision IDENTIFY reports (<see cref="IdeDriveOptions.DefaultFirmwareRevision"/> unless given).</summary>
    public string FirmwareRevision { get; }

    // The task file, named as in QEMU's IDEState. NSector holds the full LBA48 count while a command runs.
    internal byte Feature { get; set; }

    internal byte HobFeature { get; set; }

    internal int NSector { get; set; }

    internal byte HobNSector { get; set; }

    internal byte Sector { get; set; }

    internal byte HobSector { get; set; }

    internal byte Lcyl { get; set; }

    internal byte HobLcyl { get; set; }

    internal byte Hcyl { get; set; }

    internal byte HobHcyl { get; set; }

    internal byte Select { get; set; } = (byte)AtaDeviceHead.AlwaysOn;

    internal AtaStatus Status { get; set; }

    internal byte Error { get; set; }

    /// <summary>The transfer mode SET FEATURES selected: class in bits 7:3, mode in 2:0 (default UDMA 5, as QEMU reports it).</summary>
    internal byte TransferMode { get; private set; } = DefaultTransferMode;

    /// <summary>True while the running command uses 48-bit addressing.</summary>
    internal bool Lba48 { get; private set; }

    /// <inheritdoc />
    public virtual bool IsTrayOpen => false;

    /// <inheritdoc />
    public virtual bool IsMediumLocked => false;

    /// <inheritdoc />
    public virtual string? ChangeMedia(bool load) => null;

    /// <inheritdoc />
    public virtual void EjectRequested(bool force)
    {
    }

    /// <inheritdoc />
    public virtual void Resized()
    {
    }

    /// <summary>True while a request is queued for retry after the <c>stop</c> error policy paused the machine.</summary>
    public bool HasParkedRequest => _parked;

    /// <summary>True while the drive's block request is in flight (or its completion is queued).</summary>
    internal bool IsWaitingForIo => Request.IsInFlight;

    private protected BlockRequest Request { get; }

    private protected Memory<byte> IoMemory => _ioBuffer.Memory;

    private protected Span<byte> IoBuffer => _ioBuffer.Span;

    private protected int IoBufferBytes => _ioBuffer.Length;

    /// <summary>The command prologue and epilogue (QEMU's ide_exec_cmd after the bus checks).</summary>
    internal void ExecuteCommand(byte opcode)
    {
        var entry = AtaCommandTable.Lookup(opcode);
        if ((entry.Kinds & Kind) == 0)
        {
            AbortCommand();
            Channel.RaiseIrq();
            return;
        }

        Status = AtaStatus.Drdy | AtaStatus.Bsy;
        Error = 0;
        if (!entry.Handler!(this, opcode))
        {
            return;
        }

        Status &= ~AtaStatus.Bsy;
        if (entry.SetsDsc && Error == 0)
        {
            Status |= AtaStatus.Dsc;
        }

        Channel.RaiseIrq();
    }

    /// <summary>Turns the sector count into a transfer length: LBA28 0 means 256, LBA48 0/0 means 65536.</summary>
    internal void Lba48Transform(bool lba48)
    {
        Lba48 = lba48;
        var count = lba48 ? (HobNSector << ByteBits) | (NSector & byte.MaxValue) : NSector & byte.MaxValue;
        NSector = count != 0 ? count : (lba48 ? MaxLba48Count : MaxLba28Count);
    }

    /// <summary>ABRT: status DRDY|ERR, error ABRT, PIO stopped (the caller raises the IRQ).</summary>
    internal void AbortCommand()
    {
        StopTransfer();
        Status = AtaStatus.Drdy | AtaStatus.Err;
        Error = (byte)AtaErrorBits.Abrt;
    }

    /// <summary>The reset signature (ATA/ATAPI-6, section 9.12): count 1, sector 1, 0x14/0xEB for a packet device, head bits cleared.</summary>
    internal void SetSignature()
    {
        Select = (byte)(Select & ~(byte)AtaDeviceHead.HeadMask);
        NSector = SignatureCount;
        Sector = SignatureCount;
        var packet = Kind == IdeDriveKind.Cdrom;
        Lcyl = packet ? PacketSignatureMid : DiskSignatureMid;
        Hcyl = packet ? PacketSignatureHigh : DiskSignatureHigh;
    }

    /// <summary>
    /// Drive reset (QEMU's ide_reset): in-flight I/O is waited for and orphaned, PIO and DMA
    /// stopped, registers cleared, signature loaded, status DRDY|DSC. Used by SRST, DEVICE RESET and
    /// machine reset, which then adjust status for their own diagnostics.
    /// </summary>
    internal virtual void Reset()
    {
        if (Request.IsInFlight)
        {
            _orphaned = true;
            Backend.Drain();
        }

        _orphaned = false;
        _parked = false;
        _pendingIo = IdeIo.None;
        _dmaPending = _dmaRunning = _dmaStayActive = false;
        StopTransfer();
        Feature = HobFeature = HobNSector = Sector = HobSector = Lcyl = HobLcyl = Hcyl = HobHcyl = 0;
        NSector = 0;
        Error = 0;
        Select = (byte)AtaDeviceHead.AlwaysOn;
        Status = AtaStatus.Drdy | AtaStatus.Dsc;
        Lba48 = false;
        TransferMode = DefaultTransferMode;
        SetSignature();
    }

    /// <summary>The SRST / EXECUTE DEVICE DIAGNOSTIC result: signature, error 01, disks DRDY|DSC, packet devices 0.</summary>
    internal void RunDiagnostic()
    {
        SetSignature();
        Error = (byte)AtaErrorBits.DiagnosticPassed;
        Status = Kind == IdeDriveKind.Cdrom ? AtaStatus.None : AtaStatus.Drdy | AtaStatus.Dsc;
    }

    /// <summary>SET FEATURES (ATA/ATAPI-6, 8.37). Returns false when the command continues asynchronously (disabling the write cache flushes).</summary>
    internal bool SetFeatures()
    {
        switch ((AtaSetFeature)Feature)
        {
            case AtaSetFeature.EnableWriteCache:
                Backend.WriteCacheEnabled = true;
                return true;
            case AtaSetFeature.DisableWriteCache:
                Backend.WriteCacheEnabled = false;
                StartFlush();
                return false;
            case AtaSetFeature.SetTransferMode:
                var mode = (byte)NSector;
                switch ((AtaTransferModeClass)(mode >> TransferModeClassShift))
                {
                    case AtaTransferModeClass.PioDefault or AtaTransferModeClass.Pio or AtaTransferModeClass.SingleWordDma
                        or AtaTransferModeClass.MultiwordDma or AtaTransferModeClass.UltraDma:
                        TransferMode = mode;
                        break;
                    default:
                        AbortCommand();
                        break;
                }

                return true;
            default:
                if (!IgnoredFeatures.Contains(Feature))
                {
                    AbortCommand();
                }

                return true;
        }
    }

    /// <summary>The "selected" bit for identify word 62 (SW-DMA), 63 (MW-DMA) or 88 (UDMA): 1 &lt;&lt; (mode + 8) when that class is selected.</summary>
    internal ushort SelectedModeBit(AtaTransferModeClass modeClass) =>
        (AtaTransferModeClass)(TransferMode >> TransferModeClassShift) == modeClass ? (ushort)(1 << ((TransferMode & TransferModeValueMask) + ByteBits)) : (ushort)0;

    /// <summary>FLUSH CACHE: asynchronous, BSY while in flight; completion sets DRDY|DSC and raises the IRQ.</summary>
    internal void StartFlush()
    {
        Request.PrepareFlush();
        Submit(IdeIo.Flush);
    }

    /// <summary>A flush (or SET FEATURES' write-cache flush) finished.</summary>
    private protected void CompleteFlush()
    {
        Status = AtaStatus.Drdy | AtaStatus.Dsc;
        Channel.RaiseIrq();
    }

    // ---- PIO data port ----

    internal uint ReadData(PortWidth width)
    {
        var n = (int)width;
        if (width == PortWidth.Byte)
        {
            // An 8-bit access does not move data (QEMU answers 0xFF).
            return byte.MaxValue;
        }

        if ((Status & AtaStatus.Drq) == 0 || _pioOut || _dataPos + n > _dataEnd)
        {
            // Outside a data-in phase the result is indeterminate; QEMU returns 0 and moves nothing.
            return 0;
        }

        var span = IoBuffer.Slice(_dataPos, n);
        uint value = width == PortWidth.Word ? BinaryPrimitives.ReadUInt16LittleEndian(span) : BinaryPrimitives.ReadUInt32LittleEndian(span);
        _dataPos += n;
        if (_dataPos >= _dataEnd)
        {
            EndTransfer();
        }

        return value;
    }

    internal void WriteData(PortWidth width, uint value)
    {
        var n = (int)width;
        if (width == PortWidth.Byte || (Status & AtaStatus.Drq) == 0 || !_pioOut || _dataPos + n > _dataEnd)
        {
            return;
        }

        var span = IoBuffer.Slice(_dataPos, n);
        if (width == PortWidth.Word)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span, value);
        }

        _dataPos += n;
        if (_dataPos >= _dataEnd)
        {
            EndTransfer();
        }
    }

    /// <summary>The <c>rep insw</c> fast path: serves whole elements while a data-in block is ready, across blocks that are ready at once.</summary>
    internal int ReadDataRun(PortWidth width, Span<byte> destination)
    {
        var done = 0;
        for (var bytes = NextDataRun(width, destination.Length, output: false); bytes > 0; bytes = NextDataRun(width, destination.Length - done, output: false))
        {
            IoBuffer.Slice(_dataPos, bytes).CopyTo(destination[done..]);
            done += bytes;
            AdvanceDataRun(bytes);
        }

        return done / (int)width;
    }

    /// <summary>The <c>rep outsw</c> fast path.</summary>
    internal int WriteDataRun(PortWidth width, ReadOnlySpan<byte> source)
    {
        var done = 0;
        for (var bytes = NextDataRun(width, source.Length, output: true); bytes > 0; bytes = NextDataRun(width, source.Length - done, output: true))
        {
            source.Slice(done, bytes).CopyTo(IoBuffer[_dataPos..]);
            done += bytes;
            AdvanceDataRun(bytes);
        }

        return done / (int)width;
    }

    /// <summary>
    /// Bytes of whole <paramref name="width"/> elements the open PIO block in direction <paramref name="output"/> can
    /// move now, at most <paramref name="room"/>; 0 ends the run (byte accesses, no DRQ, the other direction, no room).
    /// </summary>
    private int NextDataRun(PortWidth width, int room, bool output)
    {
        var step = (int)width;
        if (width == PortWidth.Byte || (Status & AtaStatus.Drq) == 0 || _pioOut != output)
        {
            return 0;
        }

        return Math.Min((_dataEnd - _dataPos) / step, room / step) * step;
    }

    /// <summary>Moves the data pointer past a run; the block's end runs its end-of-transfer step (which may open the next block).</summary>
    private void AdvanceDataRun(int bytes)
    {
        _dataPos += bytes;
        if (_dataPos >= _dataEnd)
        {
            EndTransfer();
        }
    }

    /// <summary>IDENTIFY (PACKET) DEVICE: the page built in the I/O buffer goes to the host as one PIO block, with an IRQ.</summary>
    private protected bool SendIdentifyPage()
    {
        Status = AtaStatus.Drdy | AtaStatus.Dsc;
        StartTransfer(0, AtaIdentify.PageBytes, hostToDevice: false, IdeTransferStep.Stop);
        Channel.RaiseIrq();
        return false;
    }

    /// <summary>Opens a PIO data block over the I/O buffer: DRQ is set unless the command already failed.</summary>
    private protected void StartTransfer(int offset, int length, bool hostToDevice, IdeTransferStep onEnd)
    {
        _dataPos = offset;
        _dataEnd = offset + length;
        _pioOut = hostToDevice;
        _onEnd = onEnd;
        if ((Status & AtaStatus.Err) == 0)
        {
            Status |= AtaStatus.Drq;
        }
    }

    /// <summary>Ends any PIO data phase: DRQ clears and data-port accesses move nothing.</summary>
    private protected void StopTransfer()
    {
        _dataPos = _dataEnd = 0;
        _pioOut = false;
        _onEnd = IdeTransferStep.Stop;
        Status &= ~AtaStatus.Drq;
    }

    /// <summary>Continues after the guest moved the last byte of a data block.</summary>
    private protected abstract void OnTransferEnd(IdeTransferStep step);

    private void EndTransfer()
    {
        var step = _onEnd;
        StopTransfer();
        if (step != IdeTransferStep.Stop)
        {
            OnTransferEnd(step);
        }
    }

    // ---- Block I/O through the one reusable request ----

    /// <summary>
    /// Submits <see cref="Request"/> (prepared by the caller) as <paramref name="io"/>. PIO and
    /// non-data commands are BSY until it completes; DMA keeps DRDY|DSC|DRQ as QEMU shows it.
    /// </summary>
    private protected void Submit(IdeIo io, bool busy = true)
    {
        _pendingIo = io;
        if (busy)
        {
            Status |= AtaStatus.Bsy;
        }

        IoTrace.Decoded(Channel.TraceTrack);
        Backend.Submit(Request);
        Channel.RequestCompletionRun();
    }

    /// <summary>
    /// The drive's block request finished; called by the block layer's completion queue on the machine
    /// thread. Applies the backend's error policy (report, ignore, or park for retry under <c>stop</c>)
    /// and continues the command.
    /// </summary>
    /// <param name="request">The drive's own request.</param>
    public void OnBlockRequestCompleted(BlockRequest request)
    {
        var io = _pendingIo;
        _pendingIo = IdeIo.None;
        if (_orphaned)
        {
            return;
        }

        if (StopPolicy.ShouldPark(request))
        {
            // Park it: the guest sees nothing (still BSY) and the request runs again when the machine resumes.
            _pendingIo = io;
            _parked = true;
            return;
        }

        if (request.Error != BlockError.None && request.ErrorAction == BlockErrorAction.Report)
        {
            OnIoFailed(io, request.Error);
            return;
        }

        OnIoCompleted(io);
    }

    /// <summary>Resubmits a request the <c>stop</c> policy parked, exactly as it was (the machine just resumed).</summary>
    internal void RetryParked()
    {
        if (!_parked)
        {
            return;
        }

        _parked = false;
        Backend.Submit(Request);
        Channel.RequestCompletionRun();
    }

    private protected abstract void OnIoCompleted(IdeIo io);

    /// <summary>The <c>report</c> action: map the error to the guest-visible failure (one place per drive kind).</summary>
    private protected abstract void OnIoFailed(IdeIo io, BlockError error);

    // ---- Bus-master DMA ----

    /// <summary>A DMA command is ready: DRQ set; the transfer begins now if the engine was started, else at START.</summary>
    private protected void StartDma(long totalBytes)
    {
        Status = AtaStatus.Drdy | AtaStatus.Dsc | AtaStatus.Drq;
        _dmaPending = true;
        _dmaRunning = false;
        _dmaBytes = totalBytes;
        Channel.DmaDrive = this;
        if (Channel.BusMaster.IsActive)
        {
            BeginDma();
        }
    }

    /// <summary>The guest set START while this drive's DMA command waits.</summary>
    internal void OnBusMasterStart()
    {
        if (_dmaPending && !_dmaRunning)
        {
            BeginDma();
        }
    }

    /// <summary>The guest cleared START: QEMU waits for the transfer in flight to finish (never a partial one).</summary>
    internal void OnBusMasterStop()
    {
        if (_dmaRunning && Request.IsInFlight)
        {
            Backend.Drain();
        }
    }

    /// <summary>Moves the next part of the DMA transfer (the PRD table is known to cover all of it).</summary>
    private protected abstract void ContinueDma();

    /// <summary>The transfer finished: status, IRQ, then ACTIVE clears unless the PRDs were longer than the transfer.</summary>
    private protected void CompleteDma(AtaStatus status, bool allowStayActive = true)
    {
        Status = status;
        Channel.RaiseIrq();
        EndDma(allowStayActive && _dmaStayActive);
    }

    /// <summary>Ends the DMA command; ACTIVE clears unless <paramref name="stayActive"/>.</summary>
    private protected void EndDma(bool stayActive)
    {
        _dmaPending = _dmaRunning = false;
        Channel.BusMaster.SetInactive(stayActive);
        if (ReferenceEquals(Channel.DmaDrive, this))
        {
            Channel.DmaDrive = null;
        }
    }

    /// <summary>The DMA command failed: abort, IRQ, engine inactive.</summary>
    private protected void FailDma()
    {
        AbortCommand();
        Channel.RaiseIrq();
        EndDma(stayActive: false);
    }

    private void BeginDma()
    {
        _dmaRunning = true;
        var described = Channel.BusMaster.Describe();
        if (described < _dmaBytes)
        {
            // The PRDs are too short: nothing moves, ACTIVE clears and no interrupt is raised (QEMU's ide_dma_cb).
            Status = AtaStatus.Drdy | AtaStatus.Dsc;
            EndDma(stayActive: false);
            return;
        }

        _dmaStayActive = described > _dmaBytes;
        ContinueDma();
    }
}
