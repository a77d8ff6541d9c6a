using Emulator.Devices.Floppy;
using static Emulator.Devices.Tests.Floppy.FloppyTestBed;

namespace Emulator.Devices.Tests.Floppy;

/// <summary>
/// Guests that lie: counts past the track, bad sector size codes, EOT below R, cylinders past the
/// medium, DMA outside RAM, missing or empty drives selected mid-command, command bytes past the
/// FIFO (the VENOM class). Each gets the controller's status, never a host exception or a hang.
/// </summary>
public class FloppyHostileGuestTests
{
    private const byte ReadData = 0x46;
    private const byte SenseInterrupt = 0x08;
    private const byte ReadId = 0x4A;
    private const byte DriveSpecification = 0x8E;
    private const byte Version = 0x10;
    private const byte Specify = 0x03;
    private const byte SizeCode512 = 2;
    private const byte Gap = 0x1B;
    private const byte Dtl = 0xFF;
    private const uint Buffer = 0x20000;
    private const int TrackBytes = 18 * SectorBytes;

    private FloppyTestBed _bed = null!;

    [SetUp]
    public void SetUp() => _bed = new FloppyTestBed();

    [TearDown]
    public void TearDown() => _bed.Dispose();

    private void Boot()
    {
        _bed.AttachImage(0, 1_474_560);
        _bed.Start();
        _bed.ResetController();
    }

    [Test]
    public void EotBelowStartSector_AbnormalTerminationWithRequestedChs()
    {
        Boot();
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);

        _bed.Command(ReadData, 0x00, 0, 0, 5, SizeCode512, 3, Gap, Dtl);
        var result = _bed.Result(7);

        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(new byte[] { 0x40, 0x01, 0, 0, 0, 5, 2 }));
            Assert.That(_bed.DmaCurrentCount(), Is.EqualTo(SectorBytes - 1), "no DMA happened");
        });
    }

    [Test]
    public void EotPastTheTrack_TransferStopsAtTheEndOfTheTrack()
    {
        Boot();
        _bed.WriteMemory(Buffer, Enumerable.Repeat((byte)0xEE, TrackBytes + SectorBytes).ToArray());
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, 0x10000);

        _bed.Command(ReadData, 0x00, 0, 0, 1, SizeCode512, 0xFF, Gap, Dtl);
        var result = _bed.Result(7);

        var memory = _bed.ReadMemory(Buffer, TrackBytes + SectorBytes);
        Assert.Multiple(() =>
        {
            Assert.That(memory.AsSpan(0, TrackBytes).ToArray(), Is.EqualTo(Enumerable.Range(0, TrackBytes).Select(i => Pattern(i)).ToArray()));
            Assert.That(memory.AsSpan(TrackBytes).ToArray(), Is.All.EqualTo(0xEE));
            Assert.That(result.AsSpan(3, 3).ToArray(), Is.EqualTo(new byte[] { 1, 0, 1 }));
            Assert.That(_bed.DmaCurrentCount(), Is.EqualTo(0xFFFF - TrackBytes));
        });
    }

    [TestCase((byte)8)]
    [TestCase((byte)0xFF)]
    public void SizeCodeAbove7_TransferIsBoundedByTheDmaCount(byte sizeCode)
    {
        Boot();
        _bed.WriteMemory(Buffer, Enumerable.Repeat((byte)0xEE, 2 * SectorBytes).ToArray());
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);

        _bed.Command(ReadData, 0x00, 0, 0, 1, sizeCode, 18, Gap, Dtl);
        var result = _bed.Result(7);

        var memory = _bed.ReadMemory(Buffer, 2 * SectorBytes);
        Assert.Multiple(() =>
        {
            Assert.That(result[0] & 0xC0, Is.EqualTo(0));
            Assert.That(memory.AsSpan(SectorBytes).ToArray(), Is.All.EqualTo(0xEE), "nothing past the programmed count");
            Assert.That(_bed.DmaCurrentCount(), Is.EqualTo(0xFFFF));
        });
    }

    [Test]
    public void CylinderJustPastTheLastTrack_ReadsZeros()
    {
        // QEMU accepts cylinder == track count (an off-by-one it keeps); there is no data there.
        Boot();
        _bed.WriteMemory(Buffer, Enumerable.Repeat((byte)0xEE, SectorBytes).ToArray());
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);

        _bed.Command(ReadData, 0x00, 80, 0, 1, SizeCode512, 1, Gap, Dtl);
        var result = _bed.Result(7);

        Assert.Multiple(() =>
        {
            Assert.That(result[0] & 0xC0, Is.EqualTo(0));
            Assert.That(_bed.ReadMemory(Buffer, SectorBytes), Is.All.EqualTo(0));
        });
    }

    [TestCase((byte)81)]
    [TestCase((byte)0xFF)]
    public void CylinderPastTheMedium_NoDataMoves(byte cylinder)
    {
        Boot();
        _bed.WriteMemory(Buffer, Enumerable.Repeat((byte)0xEE, SectorBytes).ToArray());
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);

        _bed.Command(ReadData, 0x00, cylinder, 0, 1, SizeCode512, 1, Gap, Dtl);
        var result = _bed.Result(7);

        Assert.Multiple(() =>
        {
            Assert.That(result[0] & 0xC0, Is.EqualTo(0x40));
            Assert.That(_bed.ReadMemory(Buffer, SectorBytes), Is.All.EqualTo(0xEE));
        });
    }

    [Test]
    public void CylinderPastTheMedium_AbnormalTerminationEchoesRequest()
    {
        Boot();
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);

        _bed.Command(ReadData, 0x00, 200, 0, 1, SizeCode512, 1, Gap, Dtl);

        Assert.That(_bed.Result(7), Is.EqualTo(new byte[] { 0x40, 0, 0, 200, 0, 1, 2 }));
    }

    [Test]
    public void SectorPastTheTrack_AbnormalTerminationWithEndOfCylinder()
    {
        Boot();
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);

        _bed.Command(ReadData, 0x00, 0, 0, 19, SizeCode512, 19, Gap, Dtl);

        Assert.That(_bed.Result(7).AsSpan(0, 2).ToArray(), Is.EqualTo(new byte[] { 0x40, 0x80 }));
    }

    [Test]
    public void HeadOneOfASingleSidedDisk_AbnormalTermination()
    {
        _bed.AttachImage(0, 184_320);
        _bed.Start();
        _bed.ResetController();
        _bed.Out(Ccr, Rate300K);
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);

        _bed.Command(ReadData, 0x04, 0, 1, 1, SizeCode512, 1, Gap, Dtl);

        Assert.That(_bed.Result(7)[0] & 0xC0, Is.EqualTo(0x40));
    }

    [Test]
    public void DmaBeyondRam_TransferCompletesAndRamIsUntouched()
    {
        Boot();
        const uint beyondRam = 0x00F0_0000;
        _bed.ProgramDma(DmaModeWriteCh2, beyondRam, 2 * SectorBytes);

        _bed.Command(ReadData, 0x00, 0, 0, 1, SizeCode512, 2, Gap, Dtl);
        var result = _bed.Result(7);

        Assert.Multiple(() =>
        {
            Assert.That(result[0] & 0xC0, Is.EqualTo(0));
            Assert.That(_bed.DmaCurrentCount(), Is.EqualTo(0xFFFF));
        });
    }

    [Test]
    public void ReadOnMissingDrive_AbnormalTerminationWithoutDma()
    {
        Boot();
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);

        _bed.Command(ReadData, 0x01, 0, 0, 1, SizeCode512, 1, Gap, Dtl);
        var result = _bed.Result(7);

        Assert.Multiple(() =>
        {
            Assert.That(result[0], Is.EqualTo(0x41));
            Assert.That(_bed.DmaCurrentCount(), Is.EqualTo(SectorBytes - 1));
        });
    }

    [Test]
    public void ReadOnEmptyDrive_AbnormalTermination()
    {
        _bed.AttachEmpty(0);
        _bed.Start();
        _bed.ResetController();
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);

        _bed.Command(ReadData, 0x00, 0, 0, 1, SizeCode512, 1, Gap, Dtl);

        Assert.That(_bed.Result(7)[0] & 0xC0, Is.EqualTo(0x40));
    }

    [Test]
    public void MissingDriveSelectedMidCommand_TransferFinishesAndResultIsDelivered()
    {
        Boot();
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);
        _bed.Out(DmaSingleMask, DmaMaskCh2);
        _bed.Command(ReadData, 0x00, 0, 0, 1, SizeCode512, 1, Gap, Dtl);
        _bed.Settle();

        _bed.Out(Dor, DorRunDriveB);
        _bed.Out(DmaSingleMask, DmaUnmaskCh2);
        var result = _bed.Result(7);

        Assert.Multiple(() =>
        {
            Assert.That(result[0] & 0x03, Is.EqualTo(1), "ST0 names the drive now selected");
            Assert.That(_bed.ReadMemory(Buffer, 2), Is.EqualTo(new[] { Pattern(0), Pattern(1) }));
        });
    }

    [Test]
    public void MediumEjectedDuringNonDmaRead_ReadsZerosAndFinishes()
    {
        var backend = _bed.AttachImage(0, 1_474_560);
        _bed.Start();
        _bed.ResetController();
        _bed.Command(Specify, 0xAF, 0x03);
        _bed.Command(ReadData, 0x00, 0, 0, 1, SizeCode512, 2, Gap, Dtl);
        _bed.WaitFor(() => (_bed.In(Msr) & Rqm) != 0, "the first sector");

        _bed.Layer.Media.Eject(backend);
        var data = new byte[2 * SectorBytes];
        for (var i = 0; i < data.Length; i++)
        {
            _bed.WaitFor(() => (_bed.In(Msr) & (Rqm | NonDma)) == (Rqm | NonDma), "a data byte");
            data[i] = _bed.In(Fifo);
        }

        var result = _bed.Result(7);
        Assert.Multiple(() =>
        {
            Assert.That(data.AsSpan(SectorBytes).ToArray(), Is.All.EqualTo(0));
            Assert.That(result.Length, Is.EqualTo(7));
            Assert.That(_bed.In(Msr), Is.EqualTo(Rqm));
        });
    }

    [TestCase(ReadId)]
    [TestCase(DriveSpecification)]
    [TestCase(Specify)]
    public void CommandBytesPastTheFifo_AreDroppedAndTheControllerStillWorks(byte command)
    {
        Boot();

        _bed.Out(Fifo, command);
        for (var i = 0; i < 4096; i++)
        {
            _bed.Out(Fifo, 0x01);
        }

        _bed.ResetController();
        _bed.Command(Version);

        Assert.That(_bed.Result(1)[0], Is.EqualTo(0x90));
    }

    [Test]
    public void DriveSpecificationWithoutTerminator_AnswersInvalid()
    {
        Boot();

        _bed.Command(DriveSpecification, 0x01, 0x02, 0x03, 0x04, 0x05);

        Assert.That(_bed.Result(1)[0] & 0xC0, Is.EqualTo(0x80));
    }

    [Test]
    public void DriveSpecificationTerminated_WithResultRequest_AnswersFourBytes()
    {
        Boot();

        _bed.Command(DriveSpecification, 0x01, 0xC0);

        Assert.That(_bed.Result(4).Length, Is.EqualTo(4));
    }

    [Test]
    public void ResetDuringTransfer_NextCommandGetsItsOwnData()
    {
        Boot();
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);
        _bed.Command(ReadData, 0x00, 0, 0, 1, SizeCode512, 1, Gap, Dtl);

        _bed.ResetController();
        _bed.Out(Ccr, Rate500K);
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);
        _bed.Command(ReadData, 0x00, 0, 0, 3, SizeCode512, 3, Gap, Dtl);
        var result = _bed.Result(7);
        _bed.Settle();

        var expected = Enumerable.Range(2 * SectorBytes, SectorBytes).Select(i => Pattern(i)).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(result[0] & 0xC0, Is.EqualTo(0));
            Assert.That(_bed.ReadMemory(Buffer, SectorBytes), Is.EqualTo(expected));
            Assert.That(_bed.In(Msr), Is.EqualTo(Rqm));
        });
    }

    [Test]
    public void SenseInterrupt_AfterResultDrained_ReportsNothingPending()
    {
        Boot();
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);
        _bed.Command(ReadData, 0x00, 0, 0, 1, SizeCode512, 1, Gap, Dtl);
        _bed.Result(7);

        _bed.Command(SenseInterrupt);

        Assert.That(_bed.Result(1)[0], Is.EqualTo(0x80));
    }

    [Test]
    public void Constructor_AutoFallback_IsRefused()
    {
        Assert.That(() => new FloppyController(_bed.Machine, FloppyDriveType.Auto), Throws.ArgumentException);
    }
}
