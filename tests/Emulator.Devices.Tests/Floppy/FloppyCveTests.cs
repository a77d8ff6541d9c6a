using static Emulator.Devices.Tests.Floppy.FloppyTestBed;

namespace Emulator.Devices.Tests.Floppy;

/// <summary>
/// QEMU's floppy CVEs replayed as the guest sequences that triggered them: VENOM (CVE-2015-3456,
/// parameter bytes pushed past the FIFO), CVE-2021-20196 (a transfer on a drive with no medium) and
/// CVE-2021-3507 (EOT below R: a negative count that overran the DMA buffer), plus writes to a
/// write-protected medium. Each checks that the controller answers as the hardware would, that guest
/// RAM outside the programmed buffer and the image keep their bytes, and that the controller still works.
/// Related cases in <see cref="FloppyHostileGuestTests"/>: CommandBytesPastTheFifo_*, ReadOnMissingDrive_*,
/// EotBelowStartSector_*.
/// </summary>
public class FloppyCveTests
{
    private const byte ReadId = 0x4A;
    private const byte DriveSpecification = 0x8E;
    private const byte Version = 0x10;
    private const byte WriteDataMfm = 0x45;
    private const byte ReadDataMfm = 0x46;
    private const byte FormatTrackMfm = 0x4D;
    private const byte SizeCode512 = 2;
    private const byte Gap = 0x1B;
    private const byte Dtl = 0xFF;
    private const byte EnhancedController = 0x90;
    private const int FloppyBytes = 1_474_560;
    private const uint Buffer = 0x20000;
    private const int GuardBytes = 0x10000;
    private const int FifoFlood = 10_000;

    /// <summary>82078 status bits: ST0 interrupt code abnormal termination, ST1 not writable.</summary>
    private const byte St0InterruptCode = 0xC0;
    private const byte St0Abnormal = 0x40;
    private const byte St1NotWritable = 0x02;

    private FloppyTestBed _bed = null!;

    [SetUp]
    public void SetUp() => _bed = new FloppyTestBed();

    [TearDown]
    public void TearDown() => _bed.Dispose();

    [TestCase(DriveSpecification)]
    [TestCase(ReadId)]
    public void Cve2015_3456_Venom_ParameterBytesPastTheFifo_RamUntouchedAndControllerWorks(byte command)
    {
        Start(readOnly: false);
        var ram = _bed.ReadMemory(0, GuardBytes);

        _bed.Out(Fifo, command);
        for (var i = 0; i < FifoFlood; i++)
        {
            // DRIVE SPECIFICATION parameters without the terminating bit 7: the VENOM path.
            _bed.Out(Fifo, 0x01);
        }

        _bed.ResetController();
        _bed.Command(Version);

        Assert.Multiple(() =>
        {
            Assert.That(_bed.Result(1)[0], Is.EqualTo(EnhancedController));
            Assert.That(_bed.ReadMemory(0, GuardBytes), Is.EqualTo(ram));
        });
    }

    [TestCase(ReadDataMfm)]
    [TestCase(WriteDataMfm)]
    public void Cve2021_20196_TransferOnDriveWithoutMedium_AbnormalTerminationNoDma(byte command)
    {
        _bed.AttachEmpty(0);
        _bed.Start();
        _bed.ResetController();
        _bed.ProgramDma(command == WriteDataMfm ? DmaModeReadCh2 : DmaModeWriteCh2, Buffer, SectorBytes);

        _bed.Command(command, 0x00, 0, 0, 1, SizeCode512, 1, Gap, Dtl);
        var result = _bed.Result(7);

        Assert.Multiple(() =>
        {
            Assert.That(result[0] & St0InterruptCode, Is.EqualTo(St0Abnormal));
            Assert.That(_bed.DmaCurrentCount(), Is.EqualTo(SectorBytes - 1), "no byte crossed DMA");
        });
    }

    [Test]
    public void Cve2021_3507_WriteDataEotBelowStartSector_NoDmaAndImageUnchanged()
    {
        Start(readOnly: false);
        var before = _bed.ImageBytes();
        _bed.WriteMemory(Buffer, Enumerable.Repeat((byte)0xEE, 4 * SectorBytes).ToArray());
        _bed.ProgramDma(DmaModeReadCh2, Buffer, 4 * SectorBytes);

        _bed.Command(WriteDataMfm, 0x00, 0, 0, 5, SizeCode512, 3, Gap, Dtl);
        var result = _bed.Result(7);

        Assert.Multiple(() =>
        {
            Assert.That(result[0] & St0InterruptCode, Is.EqualTo(St0Abnormal));
            Assert.That(_bed.DmaCurrentCount(), Is.EqualTo((4 * SectorBytes) - 1), "no byte crossed DMA");
            Assert.That(_bed.ImageBytes(), Is.EqualTo(before));
        });
    }

    [Test]
    public void WriteData_WriteProtectedMedium_NotWritableAndImageUnchanged()
    {
        Start(readOnly: true);
        var before = _bed.ImageBytes();
        _bed.WriteMemory(Buffer, Enumerable.Repeat((byte)0xEE, SectorBytes).ToArray());
        _bed.ProgramDma(DmaModeReadCh2, Buffer, SectorBytes);

        _bed.Command(WriteDataMfm, 0x00, 0, 0, 1, SizeCode512, 1, Gap, Dtl);
        var result = _bed.Result(7);

        Assert.Multiple(() =>
        {
            Assert.That(result[0] & St0InterruptCode, Is.EqualTo(St0Abnormal));
            Assert.That(result[1] & St1NotWritable, Is.EqualTo(St1NotWritable));
            Assert.That(_bed.ImageBytes(), Is.EqualTo(before));
        });
    }

    [Test]
    public void FormatTrack_WriteProtectedMedium_NotWritableAndImageUnchanged()
    {
        Start(readOnly: true);
        var before = _bed.ImageBytes();
        _bed.ProgramDma(DmaModeReadCh2, Buffer, 18 * 4);

        _bed.Command(FormatTrackMfm, 0x00, SizeCode512, 18, Gap, 0xF6);
        var result = _bed.Result(7);

        Assert.Multiple(() =>
        {
            Assert.That(result[0] & St0InterruptCode, Is.EqualTo(St0Abnormal));
            Assert.That(result[1] & St1NotWritable, Is.EqualTo(St1NotWritable));
            Assert.That(_bed.ImageBytes(), Is.EqualTo(before));
        });
    }

    private void Start(bool readOnly)
    {
        _bed.AttachImage(0, FloppyBytes, readOnly: readOnly);
        _bed.Start();
        _bed.ResetController();
    }
}
