namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// A floppy driver written only in qtest commands: the 8237's channel 2 programmed for one
/// memory-to-device sector, then WRITE DATA on drive 0 at 500 kbit/s (a 1.44 MB medium), and the
/// seven result bytes read back. Constants are the 82078 and 8237A datasheets', not the device model's.
/// </summary>
internal sealed class QtestFloppyGuest(LineChannel qtest)
{
    public const int Sector = 512;

    private const ushort DigitalOutput = 0x3F2;
    private const ushort MainStatus = 0x3F4;
    private const ushort Fifo = 0x3F5;
    private const ushort ConfigurationControl = 0x3F7;

    /// <summary>DOR: motor A on, DMA/IRQ gate, not in reset, drive 0.</summary>
    private const byte MotorAEnabled = 0x1C;
    private const byte Rate500Kbps = 0x00;

    /// <summary>MSR: RQM and DIO together mean a result byte waits.</summary>
    private const uint RequestForMaster = 0x80;
    private const uint DataToHost = 0x40;

    /// <summary>WRITE DATA with MFM (82078 section 5.2), SENSE DRIVE STATUS.</summary>
    private const byte WriteDataMfm = 0x45;
    private const byte SenseDriveStatus = 0x04;
    private const byte SizeCode512 = 2;
    private const byte SectorsPerTrack = 18;
    private const byte Gap3 = 0x1B;
    private const byte DataLength = 0xFF;
    private const int ResultBytes = 7;

    /// <summary>8237A ports for channel 2 and the mode "single, read transfer (memory to device), channel 2".</summary>
    private const ushort DmaChannel2Address = 0x04;
    private const ushort DmaChannel2Count = 0x05;
    private const ushort DmaChannel2Page = 0x81;
    private const ushort DmaSingleMask = 0x0A;
    private const ushort DmaMode = 0x0B;
    private const ushort DmaClearFlipFlop = 0x0C;
    private const byte MaskChannel2 = 0x06;
    private const byte UnmaskChannel2 = 0x02;
    private const byte SingleReadChannel2 = 0x4A;

    private const uint Buffer = 0x1_0000;
    private const int PollSteps = 200;
    private const int StepNanoseconds = 1_000_000;

    /// <summary>Writes one sector filled with <paramref name="fill"/> at C/H/S 0/0/<paramref name="sector"/>; returns ST0..N, or null when no result phase came.</summary>
    public uint[]? WriteSector(byte sector, byte fill)
    {
        qtest.Command($"memset 0x{Buffer:x} {Sector} 0x{fill:x}");
        qtest.Command($"outb 0x{DmaSingleMask:x} 0x{MaskChannel2:x}");
        qtest.Command($"outb 0x{DmaClearFlipFlop:x} 0");
        qtest.Command($"outb 0x{DmaMode:x} 0x{SingleReadChannel2:x}");
        qtest.Command($"outb 0x{DmaChannel2Address:x} 0x{Buffer & 0xFF:x}");
        qtest.Command($"outb 0x{DmaChannel2Address:x} 0x{(Buffer >> 8) & 0xFF:x}");
        qtest.Command($"outb 0x{DmaChannel2Page:x} 0x{Buffer >> 16:x}");
        qtest.Command($"outb 0x{DmaChannel2Count:x} 0x{(Sector - 1) & 0xFF:x}");
        qtest.Command($"outb 0x{DmaChannel2Count:x} 0x{(Sector - 1) >> 8:x}");
        qtest.Command($"outb 0x{DmaSingleMask:x} 0x{UnmaskChannel2:x}");
        qtest.Command($"outb 0x{DigitalOutput:x} 0x{MotorAEnabled:x}");
        qtest.Command($"outb 0x{ConfigurationControl:x} 0x{Rate500Kbps:x}");
        foreach (var b in new byte[] { WriteDataMfm, 0, 0, 0, sector, SizeCode512, SectorsPerTrack, Gap3, DataLength })
        {
            qtest.Command($"outb 0x{Fifo:x} 0x{b:x}");
        }

        for (var i = 0; i < PollSteps; i++)
        {
            if ((qtest.Value($"inb 0x{MainStatus:x}") & (RequestForMaster | DataToHost)) == (RequestForMaster | DataToHost))
            {
                return [.. Enumerable.Range(0, ResultBytes).Select(_ => qtest.Value($"inb 0x{Fifo:x}"))];
            }

            qtest.Command($"clock_step {StepNanoseconds}");
        }

        return null;
    }

    /// <summary>SENSE DRIVE STATUS for drive 0, head 0: ST3.</summary>
    public uint SenseDrive()
    {
        qtest.Command($"outb 0x{Fifo:x} 0x{SenseDriveStatus:x}");
        qtest.Command($"outb 0x{Fifo:x} 0");
        return qtest.Value($"inb 0x{Fifo:x}");
    }
}
