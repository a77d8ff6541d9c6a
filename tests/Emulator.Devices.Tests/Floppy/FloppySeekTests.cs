using static Emulator.Devices.Tests.Floppy.FloppyTestBed;

namespace Emulator.Devices.Tests.Floppy;

/// <summary>SEEK, RELATIVE SEEK, READ ID on a spinning disk, SENSE DRIVE STATUS and the disk change line.</summary>
public class FloppySeekTests
{
    private const byte SenseInterrupt = 0x08;
    private const byte Seek = 0x0F;
    private const byte RelativeSeekOut = 0x8F;
    private const byte RelativeSeekIn = 0xCF;
    private const byte ReadId = 0x4A;
    private const byte SenseDriveStatus = 0x04;
    private const byte DiskChanged = 0x80;
    private const long OneRevolutionNs = 20_000_000;

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

    private byte[] SeekTo(byte command, byte parameter)
    {
        _bed.Command(command, 0x00, parameter);
        _bed.Command(SenseInterrupt);
        return _bed.Result(2);
    }

    [Test]
    public void Seek_MovesHead_SenseReportsSeekEndAndCylinder()
    {
        Boot();

        var sense = SeekTo(Seek, 40);

        Assert.That(sense, Is.EqualTo(new byte[] { 0x20, 40 }));
    }

    [Test]
    public void RelativeSeekIn_PastLastTrack_ClampsAtLastTrack()
    {
        Boot();
        SeekTo(Seek, 70);

        var sense = SeekTo(RelativeSeekIn, 50);

        Assert.That(sense[1], Is.EqualTo(79));
    }

    [Test]
    public void RelativeSeekOut_PastTrackZero_ClampsAtZero()
    {
        Boot();
        SeekTo(Seek, 10);

        var sense = SeekTo(RelativeSeekOut, 30);

        Assert.That(sense[1], Is.EqualTo(0));
    }

    [Test]
    public void RelativeSeek_InThenOut_Steps()
    {
        Boot();

        var afterIn = SeekTo(RelativeSeekIn, 12)[1];
        var afterOut = SeekTo(RelativeSeekOut, 5)[1];

        Assert.Multiple(() =>
        {
            Assert.That(afterIn, Is.EqualTo(12));
            Assert.That(afterOut, Is.EqualTo(7));
        });
    }

    [Test]
    public void ReadId_AnswersAfterOneRevolution_WithTheNextSectorEachTime()
    {
        Boot();

        _bed.Command(ReadId, 0x00);
        var busyBefore = _bed.In(Msr);
        _bed.Machine.Clock.Advance(OneRevolutionNs - 1);
        var stillBusy = _bed.In(Msr);
        _bed.Machine.Clock.Advance(1);
        var first = _bed.Result(7);
        _bed.Command(ReadId, 0x00);
        _bed.Machine.Clock.Advance(OneRevolutionNs);
        var second = _bed.Result(7);

        Assert.Multiple(() =>
        {
            Assert.That(busyBefore, Is.EqualTo(Busy));
            Assert.That(stillBusy, Is.EqualTo(Busy));
            Assert.That(first, Is.EqualTo(new byte[] { 0x00, 0, 0, 0, 0, 2, 2 }));
            Assert.That(second[5], Is.EqualTo(3), "the disk turned on under the head");
        });
    }

    [Test]
    public void ReadId_WrongDataRate_FailsWithMissingAddressMark()
    {
        Boot();
        _bed.Out(Ccr, Rate1M);

        _bed.Command(ReadId, 0x00);
        _bed.Machine.Clock.Advance(OneRevolutionNs);
        var result = _bed.Result(7);

        Assert.That(result.AsSpan(0, 2).ToArray(), Is.EqualTo(new byte[] { 0x40, 0x01 }));
    }

    [Test]
    public void SenseDriveStatus_ReportsTrack0HeadAndWriteProtect()
    {
        _bed.AttachImage(0, 1_474_560, readOnly: true);
        _bed.Start();
        _bed.ResetController();

        _bed.Command(SenseDriveStatus, 0x04);
        var st3 = _bed.Result(1)[0];

        Assert.That(st3, Is.EqualTo(0x40 | 0x20 | 0x10 | 0x08 | 0x04));
    }

    [Test]
    public void DiskChange_SetAtPowerOn_ReadingDirDoesNotClearIt()
    {
        Boot();

        var first = _bed.In(Dir);
        var second = _bed.In(Dir);

        Assert.Multiple(() =>
        {
            Assert.That(first & DiskChanged, Is.EqualTo(DiskChanged));
            Assert.That(second & DiskChanged, Is.EqualTo(DiskChanged));
        });
    }

    [Test]
    public void DiskChange_SeekToSameTrack_KeepsIt_SeekElsewhere_ClearsIt()
    {
        Boot();

        SeekTo(Seek, 0);
        var afterSameTrack = _bed.In(Dir) & DiskChanged;
        SeekTo(Seek, 1);
        var afterMove = _bed.In(Dir) & DiskChanged;

        Assert.Multiple(() =>
        {
            Assert.That(afterSameTrack, Is.EqualTo(DiskChanged));
            Assert.That(afterMove, Is.EqualTo(0));
        });
    }

    [Test]
    public void DiskChange_EjectSetsIt_SeekOnEmptyDriveKeepsIt_InsertAndSeekClearsIt()
    {
        var backend = _bed.AttachImage(0, 1_474_560);
        var spare = _bed.CreateImage(1_474_560, "spare.img");
        _bed.Start();
        _bed.ResetController();
        SeekTo(Seek, 5);
        var clearedAtStart = _bed.In(Dir) & DiskChanged;

        _bed.Layer.Media.Eject(backend);
        var afterEject = _bed.In(Dir) & DiskChanged;
        SeekTo(Seek, 9);
        var afterEmptySeek = _bed.In(Dir) & DiskChanged;
        _bed.Layer.Media.ChangeMedium(backend, spare, "raw");
        var afterInsert = _bed.In(Dir) & DiskChanged;
        SeekTo(Seek, 20);
        var afterSeek = _bed.In(Dir) & DiskChanged;

        Assert.Multiple(() =>
        {
            Assert.That(clearedAtStart, Is.EqualTo(0));
            Assert.That(afterEject, Is.EqualTo(DiskChanged));
            Assert.That(afterEmptySeek, Is.EqualTo(DiskChanged), "a seek on an empty drive does not clear the line");
            Assert.That(afterInsert, Is.EqualTo(DiskChanged));
            Assert.That(afterSeek, Is.EqualTo(0));
        });
    }

    [Test]
    public void Dir_FollowsTheSelectedDrive()
    {
        _bed.AttachImage(0, 1_474_560);
        _bed.AttachImage(1, 1_474_560);
        _bed.Start();
        _bed.ResetController();
        SeekTo(Seek, 3);

        var driveA = _bed.In(Dir) & DiskChanged;
        _bed.Out(Dor, DorRunDriveB);
        var driveB = _bed.In(Dir) & DiskChanged;

        Assert.Multiple(() =>
        {
            Assert.That(driveA, Is.EqualTo(0));
            Assert.That(driveB, Is.EqualTo(DiskChanged));
        });
    }
}
