using static Emulator.Devices.Tests.Floppy.FloppyTestBed;

namespace Emulator.Devices.Tests.Floppy;

/// <summary>The housekeeping commands (CONFIGURE, PERPENDICULAR, SAVE/RESTORE, POWERDOWN, OPTION), TDR boot select and the deleted-data and track reads.</summary>
public class FloppyCommandSetTests
{
    private const byte Configure = 0x13;
    private const byte Perpendicular = 0x12;
    private const byte DumpReg = 0x0E;
    private const byte Save = 0x2E;
    private const byte Restore = 0x4E;
    private const byte PowerDownMode = 0x17;
    private const byte Option = 0x33;
    private const byte Seek = 0x0F;
    private const byte SenseInterrupt = 0x08;
    private const byte ReadDeleted = 0x4C;
    private const byte ReadTrack = 0x42;
    private const byte ReadData = 0x46;
    private const byte SizeCode512 = 2;
    private const byte Gap = 0x1B;
    private const byte Dtl = 0xFF;
    private const uint Buffer = 0x40000;

    private FloppyTestBed _bed = null!;

    [SetUp]
    public void SetUp()
    {
        _bed = new FloppyTestBed();
        _bed.AttachImage(0, 1_474_560);
        _bed.AttachImage(1, 737_280);
        _bed.Start();
        _bed.ResetController();
    }

    [TearDown]
    public void TearDown() => _bed.Dispose();

    [Test]
    public void Configure_IsReportedByDumpReg()
    {
        _bed.Command(Configure, 0x00, 0x57, 0x10);

        _bed.Command(DumpReg);
        var dump = _bed.Result(10);

        Assert.Multiple(() =>
        {
            Assert.That(dump[8], Is.EqualTo(0x57));
            Assert.That(dump[9], Is.EqualTo(0x10));
            Assert.That(_bed.In(Msr), Is.EqualTo(Rqm));
        });
    }

    [Test]
    public void PerpendicularMode_IsReportedByDumpReg()
    {
        _bed.Command(Perpendicular, 0x83);

        _bed.Command(DumpReg);

        Assert.That(_bed.Result(10)[7], Is.EqualTo(0x03 << 2));
    }

    [Test]
    public void SaveThenRestore_BringsBackTheHeadPosition()
    {
        _bed.Command(Save);
        var saved = _bed.Result(15);
        _bed.Command(Seek, 0x00, 30);
        _bed.Command(SenseInterrupt);
        _bed.Result(2);

        _bed.Command([Restore, .. saved, 0, 0]);
        _bed.Command(DumpReg);
        var dump = _bed.Result(10);

        Assert.Multiple(() =>
        {
            Assert.That(saved[2], Is.EqualTo(0));
            Assert.That(dump[0], Is.EqualTo(0), "drive 0 back on the saved track");
            Assert.That(_bed.In(Msr), Is.EqualTo(Rqm));
        });
    }

    [Test]
    public void PowerDownMode_EchoesItsParameter()
    {
        // QEMU takes two parameter bytes and echoes the first.
        _bed.Command(PowerDownMode, 0x03, 0x00);

        Assert.That(_bed.Result(1)[0], Is.EqualTo(0x03));
    }

    [Test]
    public void Option_HasNoResultPhase()
    {
        _bed.Command(Option, 0x01);

        Assert.That(_bed.In(Msr), Is.EqualTo(Rqm));
    }

    [Test]
    public void TapeDriveBootSelect_SwapsDrivesZeroAndOne()
    {
        _bed.Out(Tdr, 0x04);

        _bed.Command(DumpReg);
        var sectorsPerTrack = _bed.Result(10)[6];

        Assert.Multiple(() =>
        {
            Assert.That(sectorsPerTrack, Is.EqualTo(9), "unit 0 is now the 720 KB drive");
            Assert.That(_bed.In(Tdr), Is.EqualTo(0x04));
        });
    }

    [Test]
    public void ReadDeletedData_TerminatesAbnormally()
    {
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);

        _bed.Command(ReadDeleted, 0x00, 0, 0, 1, SizeCode512, 1, Gap, Dtl);

        Assert.That(_bed.Result(7)[0] & 0xE0, Is.EqualTo(0x60));
    }

    [Test]
    public void ReadTrack_ReadsLikeReadData()
    {
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, 2 * SectorBytes);

        _bed.Command(ReadTrack, 0x00, 0, 0, 1, SizeCode512, 2, Gap, Dtl);
        var result = _bed.Result(7);

        Assert.Multiple(() =>
        {
            Assert.That(result[0] & 0xC0, Is.EqualTo(0));
            Assert.That(_bed.ReadMemory(Buffer, 2 * SectorBytes), Is.EqualTo(Enumerable.Range(0, 2 * SectorBytes).Select(i => Pattern(i)).ToArray()));
        });
    }

    [Test]
    public void ReadData_DmaProgrammedForTheOtherDirection_EndsWithoutTouchingMemory()
    {
        _bed.WriteMemory(Buffer, Enumerable.Repeat((byte)0xEE, SectorBytes).ToArray());
        _bed.ProgramDma(DmaModeReadCh2, Buffer, SectorBytes);

        _bed.Command(ReadData, 0x00, 0, 0, 1, SizeCode512, 1, Gap, Dtl);
        var result = _bed.Result(7);

        Assert.Multiple(() =>
        {
            Assert.That(result.AsSpan(3, 3).ToArray(), Is.EqualTo(new byte[] { 0, 0, 1 }), "no sector was transferred");
            Assert.That(_bed.ReadMemory(Buffer, SectorBytes), Is.All.EqualTo(0xEE));
        });
    }

    [Test]
    public void DsrPowerDown_ResetsTheController()
    {
        _bed.Out(Dsr, 0x40);
        var irq = _bed.Irq;

        _bed.Command(SenseInterrupt);

        Assert.Multiple(() =>
        {
            Assert.That(irq, Is.True);
            Assert.That(_bed.Result(2)[0], Is.EqualTo(0xC0));
        });
    }
}
