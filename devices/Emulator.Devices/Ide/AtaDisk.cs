using System.Buffers.Binary;
using Emulator.Block.Backend;

namespace Emulator.Devices.Ide;

/// <summary>
/// An ATA hard disk (QEMU's ide-hd; ATA/ATAPI-6): IDENTIFY, PIO READ/WRITE SECTORS and MULTIPLE
/// (LBA28, LBA48 and CHS with the current translated geometry), READ/WRITE DMA through the channel's
/// bus master, DATA SET MANAGEMENT (TRIM → discard), FLUSH CACHE, and the small configuration
/// commands. Sector I/O goes through the backend asynchronously with one reused request and a
/// 128 KiB bounce buffer allocated at attach time.
/// <para>
/// PIO reads fetch up to 256 sectors per request and then hand them out one DRQ block of 1 sector
/// or the multiple count at a time, with an IRQ per block, as the guest sees on QEMU; only an I/O
/// error lands on the first sector of the fetch rather than the exact failing one.
/// The whole LBA range of a READ/WRITE is checked before any I/O (QEMU checks per block, so a
/// transfer that crosses the end there delivers its first blocks before aborting).
/// </para>
/// </summary>
public sealed class AtaDisk : IdeDrive
{
    /// <summary>The largest READ/WRITE MULTIPLE block in sectors the disk reports in IDENTIFY word 47 and accepts from SET MULTIPLE MODE.</summary>
    public const int MaxMultipleSectors = 16;

    private const string DefaultModel = "QEMU HARDDISK";
    private const int BufferSectors = 256;
    private const byte TrimFeature = 0x01;
    private const int TrimEntryBytes = 8;
    private const long TrimLbaMask = 0x0000_FFFF_FFFF_FFFF;
    private const int TrimCountShift = 48;
    private const int ByteBits = 8;

    private int _heads;
    private int _sectorsPerTrack;
    private int _blockSectors;
    private int _drqSectors;
    private int _chunkSectors;
    private int _chunkPos;
    private AtaDmaKind _dmaKind;
    private int _trimEntry;
    private int _trimEntries;
    private bool _direct;
    private ulong _directAddress;

    internal AtaDisk(IdeChannel channel, int unit, BlockBackend backend, IdeDriveOptions options, string defaultSerial)
        : base(channel, unit, backend, options, DefaultModel, defaultSerial, BufferSectors * AtaSectorSize)
    {
        if (options.Geometry is { } given)
        {
            given.Validate();
            Geometry = given;
            Translation = options.Translation ?? given.AutoTranslation();
        }
        else
        {
            // Configuration time, not the guest's I/O path: one synchronous read of the MBR for the guess.
            var mbr = IoBuffer[..AtaSectorSize];
            var readable = TotalSectors > 0 && Backend.Read(0, IoMemory[..AtaSectorSize]) == BlockError.None;
            (Geometry, var guessed) = IdeGeometry.Guess(TotalSectors, readable ? mbr : []);

            // As hd_geometry_guess, a translation the user gave wins over the guessed one.
            Translation = options.Translation ?? guessed;
        }
        _heads = Geometry.Heads;
        _sectorsPerTrack = Geometry.Sectors;
        MultipleSectors = MaxMultipleSectors;
        Reset();
    }

    /// <summary>Always <see cref="IdeDriveKind.HardDisk"/>.</summary>
    public override IdeDriveKind Kind => IdeDriveKind.HardDisk;

    /// <summary>A hard disk reacts to resizes only: no removable medium, tray or lock.</summary>
    public override BlockDevCapabilities Capabilities => BlockDevCapabilities.Resize;

    /// <summary>The default (IDENTIFY words 1, 3, 6) geometry.</summary>
    public IdeGeometry Geometry { get; }

    /// <summary>The CHS translation a BIOS should use for this disk (QEMU's bios-chs-trans hint).</summary>
    public BiosChsTranslation Translation { get; }

    /// <summary>Capacity in 512-byte sectors, read from the backend so a resize shows at the next IDENTIFY.</summary>
    public long TotalSectors => Backend.Length / AtaSectorSize;

    /// <summary>The current translation (words 54-56): INITIALIZE DEVICE PARAMETERS changes heads and sectors.</summary>
    public (int Cylinders, int Heads, int Sectors) CurrentGeometry
    {
        get
        {
            var cylinders = Math.Min(TotalSectors / ((long)_heads * _sectorsPerTrack), ushort.MaxValue);
            return ((int)cylinders, _heads, _sectorsPerTrack);
        }
    }

    /// <summary>The DRQ block size of READ/WRITE MULTIPLE; 0 = multiple mode off. After reset: 16, as on QEMU.</summary>
    public int MultipleSectors { get; private set; }

    /// <summary>The medium size changed; IDENTIFY is built from the backend each time, so nothing is cached to fix.</summary>
    public override void Resized()
    {
    }

    internal override void Reset()
    {
        base.Reset();
        MultipleSectors = MaxMultipleSectors;
        _heads = Geometry.Heads;
        _sectorsPerTrack = Geometry.Sectors;
    }

    internal bool Identify()
    {
        AtaIdentify.BuildDisk(IoBuffer, this);
        return SendIdentifyPage();
    }

    /// <summary>READ SECTORS (EXT) and READ MULTIPLE (EXT).</summary>
    internal bool ReadPio(byte opcode) => StartPio((AtaCommand)opcode, write: false);

    /// <summary>WRITE SECTORS (EXT), WRITE VERIFY and WRITE MULTIPLE (EXT): the first block is requested without an IRQ.</summary>
    internal bool WritePio(byte opcode) => StartPio((AtaCommand)opcode, write: true);

    /// <summary>
    /// A PIO data command: a MULTIPLE command needs SET MULTIPLE first, the range must lie on the disk (ABRT
    /// otherwise), a block is one sector or the multiple count; then the first block is read, or requested from the
    /// host. Returns true when the command ended at once (aborted).
    /// </summary>
    private bool StartPio(AtaCommand command, bool write)
    {
        var multiple = command is AtaCommand.ReadMultiple or AtaCommand.ReadMultipleExt or AtaCommand.WriteMultiple or AtaCommand.WriteMultipleExt;
        if (multiple && MultipleSectors == 0)
        {
            AbortCommand();
            return true;
        }

        Lba48Transform(command is AtaCommand.ReadSectorsExt or AtaCommand.ReadMultipleExt or AtaCommand.WriteSectorsExt or AtaCommand.WriteMultipleExt);
        _blockSectors = multiple ? MultipleSectors : 1;
        if (!RangeOk(GetSector(), NSector))
        {
            AbortCommand();
            return true;
        }

        Status = AtaStatus.Drdy | AtaStatus.Dsc;
        if (write)
        {
            OpenWriteDrq();
        }
        else
        {
            FetchReadChunk();
        }

        return false;
    }

    /// <summary>READ/WRITE DMA (EXT): DRQ now; the range is checked when the bus master starts, as QEMU does.</summary>
    internal bool StartDmaCommand(byte opcode)
    {
        var command = (AtaCommand)opcode;
        _dmaKind = command is AtaCommand.WriteDma or AtaCommand.WriteDmaNoRetry or AtaCommand.WriteDmaExt ? AtaDmaKind.Write : AtaDmaKind.Read;
        Lba48Transform(command is AtaCommand.ReadDmaExt or AtaCommand.WriteDmaExt);
        StartDma((long)NSector * AtaSectorSize);
        return false;
    }

    /// <summary>
    /// DATA SET MANAGEMENT with the TRIM bit: the sector count gives 512-byte blocks of 8-byte range
    /// entries, moved by DMA. As on QEMU, the count is the 8-bit register as written (no 48-bit
    /// transform: the previous count byte is not taken as its high half, and 0 transfers nothing).
    /// </summary>
    internal bool DataSetManagement()
    {
        if (Feature != TrimFeature)
        {
            AbortCommand();
            return true;
        }

        _dmaKind = AtaDmaKind.Trim;
        NSector &= byte.MaxValue;
        StartDma((long)NSector * AtaSectorSize);
        return false;
    }

    internal bool ReadNativeMax(bool lba48)
    {
        if (TotalSectors == 0)
        {
            AbortCommand();
            return true;
        }

        Lba48Transform(lba48);
        SetSector(TotalSectors - 1);
        return true;
    }

    /// <summary>INITIALIZE DEVICE PARAMETERS: heads = head bits + 1, sectors per track = sector count (0 is refused: it would address nothing).</summary>
    internal bool InitializeDeviceParameters()
    {
        var sectors = NSector & byte.MaxValue;
        if (sectors == 0)
        {
            AbortCommand();
            return true;
        }

        _heads = (Select & (byte)AtaDeviceHead.HeadMask) + 1;
        _sectorsPerTrack = sectors;
        return true;
    }

    /// <summary>SET MULTIPLE MODE: 0 (off) or a power of two up to 16.</summary>
    internal bool SetMultipleMode()
    {
        var count = NSector & byte.MaxValue;
        if (count > MaxMultipleSectors || (count & (count - 1)) != 0)
        {
            AbortCommand();
        }
        else
        {
            MultipleSectors = count;
        }

        return true;
    }

    private protected override void OnTransferEnd(IdeTransferStep step)
    {
        switch (step)
        {
            case IdeTransferStep.AtaReadBlock:
                _chunkPos += _drqSectors;
                if (NSector == 0)
                {
                    Status = AtaStatus.Drdy | AtaStatus.Dsc;
                }
                else if (_chunkPos >= _chunkSectors)
                {
                    FetchReadChunk();
                }
                else
                {
                    ServeReadDrq();
                }

                break;
            case IdeTransferStep.AtaWriteBlock:
                Request.PrepareWrite(GetSector() * AtaSectorSize, IoMemory[..(_drqSectors * AtaSectorSize)]);
                Submit(IdeIo.PioWrite);
                break;
        }
    }

    private protected override void OnIoCompleted(IdeIo io)
    {
        switch (io)
        {
            case IdeIo.PioRead:
                Status &= ~AtaStatus.Bsy;
                ServeReadDrq();
                break;
            case IdeIo.PioWrite:
                NSector -= _drqSectors;
                SetSector(GetSector() + _drqSectors);
                Status = AtaStatus.Drdy | AtaStatus.Dsc;
                if (NSector > 0)
                {
                    OpenWriteDrq();
                }

                Channel.RaiseIrq();
                break;
            case IdeIo.DmaRead when _direct:
                Channel.BusMaster.Skip(_chunkSectors * AtaSectorSize);
                Channel.BusMaster.NotifyWritten(_directAddress, _chunkSectors * AtaSectorSize);
                AdvanceDma();
                break;
            case IdeIo.DmaRead:
                Channel.BusMaster.WriteToGuest(IoBuffer[..(_chunkSectors * AtaSectorSize)]);
                AdvanceDma();
                break;
            case IdeIo.DmaWrite:
                if (_direct)
                {
                    Channel.BusMaster.Skip(_chunkSectors * AtaSectorSize);
                }

                AdvanceDma();
                break;
            case IdeIo.Trim:
                NextTrimEntry();
                break;
            case IdeIo.Flush:
                CompleteFlush();
                break;
        }
    }

    private protected override void OnIoFailed(IdeIo io, BlockError error)
    {
        if (io == IdeIo.Trim && error == BlockError.Unsupported)
        {
            // Discard is advisory: a medium that cannot unmap simply keeps its data.
            NextTrimEntry();
            return;
        }

        if (io is IdeIo.DmaRead or IdeIo.DmaWrite or IdeIo.Trim)
        {
            FailDma();
            return;
        }

        AbortCommand();
        Channel.RaiseIrq();
    }

    private protected override void ContinueDma()
    {
        if (NSector == 0)
        {
            CompleteDma(AtaStatus.Drdy | AtaStatus.Dsc);
            return;
        }

        var sector = GetSector();
        if (_dmaKind != AtaDmaKind.Trim && !RangeOk(sector, NSector))
        {
            FailDma();
            return;
        }

        if (_dmaKind != AtaDmaKind.Trim && TryTransferInPlace(sector))
        {
            return;
        }

        _direct = false;
        _chunkSectors = Math.Min(NSector, BufferSectors);
        var chunk = IoMemory[..(_chunkSectors * AtaSectorSize)];
        switch (_dmaKind)
        {
            case AtaDmaKind.Read:
                Request.PrepareRead(sector * AtaSectorSize, chunk);
                Submit(IdeIo.DmaRead, busy: false);
                break;
            case AtaDmaKind.Write:
                Channel.BusMaster.ReadFromGuest(chunk.Span);
                Request.PrepareWrite(sector * AtaSectorSize, chunk);
                Submit(IdeIo.DmaWrite, busy: false);
                break;
            default:
                Channel.BusMaster.ReadFromGuest(chunk.Span);
                _trimEntry = 0;
                _trimEntries = chunk.Length / TrimEntryBytes;
                NextTrimEntry();
                break;
        }
    }

    /// <summary>
    /// The zero-copy path: when the PRDs at the cursor describe at least one sector of contiguous RAM,
    /// the block request reads into (or writes from) guest memory itself, skipping the bounce buffer.
    /// </summary>
    private bool TryTransferInPlace(long sector)
    {
        var mapped = Channel.BusMaster.TryMapContiguous(NSector * AtaSectorSize, out var ram, out var address);
        var sectors = mapped / AtaSectorSize;
        if (sectors == 0)
        {
            return false;
        }

        _direct = true;
        _directAddress = address;
        _chunkSectors = sectors;
        var span = ram[..(sectors * AtaSectorSize)];
        if (_dmaKind == AtaDmaKind.Read)
        {
            Request.PrepareRead(sector * AtaSectorSize, span);
            Submit(IdeIo.DmaRead, busy: false);
        }
        else
        {
            Request.PrepareWrite(sector * AtaSectorSize, span);
            Submit(IdeIo.DmaWrite, busy: false);
        }

        return true;
    }

    /// <summary>Issues the discard of the next non-empty TRIM entry of the current payload block, or moves on.</summary>
    private void NextTrimEntry()
    {
        var entries = IoBuffer;
        while (_trimEntry < _trimEntries)
        {
            var entry = BinaryPrimitives.ReadUInt64LittleEndian(entries[(_trimEntry * TrimEntryBytes)..]);
            _trimEntry++;
            var lba = (long)(entry & TrimLbaMask);
            var count = (long)(entry >> TrimCountShift);
            if (count == 0)
            {
                continue;
            }

            if (!RangeOk(lba, count))
            {
                FailDma();
                return;
            }

            Request.PrepareDiscard(lba * AtaSectorSize, count * AtaSectorSize);
            Submit(IdeIo.Trim, busy: false);
            return;
        }

        NSector -= _chunkSectors;
        ContinueDma();
    }

    private void AdvanceDma()
    {
        NSector -= _chunkSectors;
        SetSector(GetSector() + _chunkSectors);
        ContinueDma();
    }

    private void FetchReadChunk()
    {
        _chunkSectors = Math.Min(NSector, BufferSectors);
        _chunkPos = 0;
        Request.PrepareRead(GetSector() * AtaSectorSize, IoMemory[..(_chunkSectors * AtaSectorSize)]);
        Submit(IdeIo.PioRead);
    }

    /// <summary>Hands the guest the next DRQ block; the address registers already point past it, as QEMU advances them.</summary>
    private void ServeReadDrq()
    {
        _drqSectors = Math.Min(Math.Min(_blockSectors, NSector), _chunkSectors - _chunkPos);
        SetSector(GetSector() + _drqSectors);
        NSector -= _drqSectors;
        Status = AtaStatus.Drdy | AtaStatus.Dsc;
        StartTransfer(_chunkPos * AtaSectorSize, _drqSectors * AtaSectorSize, hostToDevice: false, IdeTransferStep.AtaReadBlock);
        Channel.RaiseIrq();
    }

    private void OpenWriteDrq()
    {
        _drqSectors = Math.Min(_blockSectors, NSector);
        StartTransfer(0, _drqSectors * AtaSectorSize, hostToDevice: true, IdeTransferStep.AtaWriteBlock);
    }

    private bool RangeOk(long sector, long count) =>
        sector >= 0 && count >= 0 && count <= TotalSectors && sector <= TotalSectors - count;

    /// <summary>The address in the task file: LBA48, LBA28 or CHS with the current translation (-1 for an impossible CHS sector 0).</summary>
    private long GetSector()
    {
        if ((Select & (byte)AtaDeviceHead.Lba) != 0)
        {
            long low = (Hcyl << (2 * ByteBits)) | (Lcyl << ByteBits) | Sector;
            return Lba48
                ? ((long)HobHcyl << (5 * ByteBits)) | ((long)HobLcyl << (4 * ByteBits)) | ((long)HobSector << (3 * ByteBits)) | low
                : ((long)(Select & (byte)AtaDeviceHead.HeadMask) << (3 * ByteBits)) | low;
        }

        if (Sector == 0)
        {
            return -1;
        }

        var cylinder = (Hcyl << ByteBits) | Lcyl;
        return ((((long)cylinder * _heads) + (Select & (byte)AtaDeviceHead.HeadMask)) * _sectorsPerTrack) + Sector - 1;
    }

    /// <summary>Writes <paramref name="sector"/> back in the addressing mode in use (ATA requires it for error reporting).</summary>
    private void SetSector(long sector)
    {
        var headBits = (byte)(Select & ~(byte)AtaDeviceHead.HeadMask);
        if ((Select & (byte)AtaDeviceHead.Lba) != 0)
        {
            Sector = (byte)sector;
            Lcyl = (byte)(sector >> ByteBits);
            Hcyl = (byte)(sector >> (2 * ByteBits));
            if (Lba48)
            {
                HobSector = (byte)(sector >> (3 * ByteBits));
                HobLcyl = (byte)(sector >> (4 * ByteBits));
                HobHcyl = (byte)(sector >> (5 * ByteBits));
            }
            else
            {
                Select = (byte)(headBits | ((sector >> (3 * ByteBits)) & (byte)AtaDeviceHead.HeadMask));
            }

            return;
        }

        var perCylinder = (long)_heads * _sectorsPerTrack;
        var cylinder = sector / perCylinder;
        var rest = sector % perCylinder;
        Hcyl = (byte)(cylinder >> ByteBits);
        Lcyl = (byte)cylinder;
        Select = (byte)(headBits | ((rest / _sectorsPerTrack) & (byte)AtaDeviceHead.HeadMask));
        Sector = (byte)((rest % _sectorsPerTrack) + 1);
    }
}
