namespace Emulator.Testing.Qos;

/// <summary>
/// Floppy command helpers in qtest operations only, as QEMU's fdc-test drives the 82078: the 8237's channel 2
/// programmed for one sector (from a buffer the <see cref="GuestAllocator"/> gives, below 16 MiB as ISA DMA
/// needs), drive 0 at 500 kbit/s (a 1.44 MB medium), READ DATA / WRITE DATA and the seven result bytes, SENSE
/// DRIVE STATUS. Constants are the 82078 and 8237A datasheets', not the device model's. (Moved here from
/// Emulator.Cli.Tests' QtestFloppyGuest, so socket and in-process tests share it.)
/// </summary>
public sealed class FloppyController
{
    /// <summary>Bytes in a sector of a 1.44 MB medium.</summary>
    public const int Sector = 512;

    /// <summary>The digital output register (DOR) of the primary controller.</summary>
    public const ushort DigitalOutput = 0x3F2;
    /// <summary>The main status register (MSR).</summary>
    public const ushort MainStatus = 0x3F4;
    /// <summary>The data FIFO: command and result bytes.</summary>
    public const ushort Fifo = 0x3F5;
    /// <summary>The configuration control register (CCR, write): the data rate.</summary>
    public const ushort ConfigurationControl = 0x3F7;

    /// <summary>DOR: motor A on, DMA/IRQ gate, not in reset, drive 0.</summary>
    private const byte MotorAEnabled = 0x1C;
    private const byte Rate500Kbps = 0x00;

    /// <summary>MSR: RQM and DIO together mean a result byte waits.</summary>
    private const byte RequestForMaster = 0x80;
    private const byte DataToHost = 0x40;

    /// <summary>READ DATA and WRITE DATA with MFM (82078 section 5.2), SENSE DRIVE STATUS.</summary>
    private const byte ReadDataMfm = 0x46;
    private const byte WriteDataMfm = 0x45;
    private const byte SenseDriveStatus = 0x04;
    private const byte SizeCode512 = 2;
    private const byte SectorsPerTrack = 18;
    private const byte Gap3 = 0x1B;
    private const byte DataLength = 0xFF;
    private const int ResultBytes = 7;

    /// <summary>8237A ports for channel 2 and the single-transfer modes of channel 2 (memory to device, device to memory).</summary>
    private const ushort DmaChannel2Address = 0x04;
    private const ushort DmaChannel2Count = 0x05;
    private const ushort DmaChannel2Page = 0x81;
    private const ushort DmaSingleMask = 0x0A;
    private const ushort DmaMode = 0x0B;
    private const ushort DmaClearFlipFlop = 0x0C;
    private const byte MaskChannel2 = 0x06;
    private const byte UnmaskChannel2 = 0x02;
    private const byte SingleReadChannel2 = 0x4A;
    private const byte SingleWriteChannel2 = 0x46;
    private const ulong IsaDmaLimit = 1 << 24;

    private const int PollSteps = 200;
    private const ulong StepNanoseconds = 1_000_000;

    private readonly IQtest _qtest;
    private readonly ulong _buffer;

    /// <summary>Helpers over <paramref name="qtest"/>, with a one-sector DMA buffer from <paramref name="allocator"/> (below 16 MiB, or an <see cref="InvalidOperationException"/>).</summary>
    public FloppyController(IQtest qtest, GuestAllocator allocator)
    {
        ArgumentNullException.ThrowIfNull(qtest);
        ArgumentNullException.ThrowIfNull(allocator);
        _qtest = qtest;
        _buffer = allocator.Allocate(Sector);
        if (_buffer + Sector > IsaDmaLimit)
        {
            throw new InvalidOperationException($"the DMA buffer at 0x{_buffer:x} is beyond ISA DMA's 16 MiB");
        }
    }

    /// <summary>Writes one sector filled with <paramref name="fill"/> at C/H/S 0/0/<paramref name="sector"/>; returns ST0..N, or null when no result phase came.</summary>
    public byte[]? WriteSector(byte sector, byte fill)
    {
        _qtest.Memset(_buffer, Sector, fill);
        ProgramDma(SingleReadChannel2);
        return Transfer(WriteDataMfm, sector);
    }

    /// <summary>Reads one sector at C/H/S 0/0/<paramref name="sector"/>; returns ST0..N and the data, or null when no result phase came.</summary>
    public (byte[] Result, byte[] Data)? ReadSector(byte sector)
    {
        ProgramDma(SingleWriteChannel2);
        return Transfer(ReadDataMfm, sector) is { } result ? (result, _qtest.Memread(_buffer, Sector)) : null;
    }

    /// <summary>SENSE DRIVE STATUS for drive 0, head 0: ST3.</summary>
    public byte SenseDrive()
    {
        _qtest.OutB(Fifo, SenseDriveStatus);
        _qtest.OutB(Fifo, 0);
        return _qtest.InB(Fifo);
    }

    private void ProgramDma(byte mode)
    {
        _qtest.OutB(DmaSingleMask, MaskChannel2);
        _qtest.OutB(DmaClearFlipFlop, 0);
        _qtest.OutB(DmaMode, mode);
        _qtest.OutB(DmaChannel2Address, (byte)_buffer);
        _qtest.OutB(DmaChannel2Address, (byte)(_buffer >> 8));
        _qtest.OutB(DmaChannel2Page, (byte)(_buffer >> 16));
        _qtest.OutB(DmaChannel2Count, (Sector - 1) & 0xFF);
        _qtest.OutB(DmaChannel2Count, (Sector - 1) >> 8);
        _qtest.OutB(DmaSingleMask, UnmaskChannel2);
    }

    private byte[]? Transfer(byte command, byte sector)
    {
        _qtest.OutB(DigitalOutput, MotorAEnabled);
        _qtest.OutB(ConfigurationControl, Rate500Kbps);
        foreach (var b in new byte[] { command, 0, 0, 0, sector, SizeCode512, SectorsPerTrack, Gap3, DataLength })
        {
            _qtest.OutB(Fifo, b);
        }

        for (var i = 0; i < PollSteps; i++)
        {
            if ((_qtest.InB(MainStatus) & (RequestForMaster | DataToHost)) == (RequestForMaster | DataToHost))
            {
                return [.. Enumerable.Range(0, ResultBytes).Select(_ => _qtest.InB(Fifo))];
            }

            _qtest.ClockStep(StepNanoseconds);
        }

        return null;
    }
}
