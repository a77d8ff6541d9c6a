using Emulator.Devices.Floppy;

namespace Emulator.Devices.Tests.Floppy;

/// <summary>Drive type and medium geometry as the guest sees them: the CMOS type nibble and DUMPREG's sectors per track.</summary>
public class FloppyGeometryTests
{
    private const byte DumpReg = 0x0E;

    [TestCase(1_474_560L, FloppyDriveType.Auto, 0x4, 18)]
    [TestCase(737_280L, FloppyDriveType.Drive144, 0x4, 9)]
    [TestCase(737_280L, FloppyDriveType.Drive120, 0x2, 9)]
    [TestCase(368_640L, FloppyDriveType.Auto, 0x2, 9)]
    [TestCase(1_228_800L, FloppyDriveType.Auto, 0x2, 15)]
    [TestCase(1_228_800L, FloppyDriveType.Drive144, 0x4, 18)]
    [TestCase(2_949_120L, FloppyDriveType.Drive144, 0x4, 36)]
    [TestCase(1_720_320L, FloppyDriveType.Auto, 0x4, 21)]
    [TestCase(1_048_576L, FloppyDriveType.Auto, 0x5, 36)]
    [TestCase(163_840L, FloppyDriveType.Auto, 0x2, 8)]
    public void Medium_PicksGeometryAndDriveType(long size, FloppyDriveType type, int cmosNibble, int sectorsPerTrack)
    {
        using var bed = new FloppyTestBed();
        bed.AttachImage(0, size, type);
        bed.Start();
        bed.ResetController();

        bed.Command(DumpReg);
        var dump = bed.Result(10);

        Assert.Multiple(() =>
        {
            Assert.That(bed.Cmos(0x10) >> 4, Is.EqualTo(cmosNibble));
            Assert.That(dump[6], Is.EqualTo(sectorsPerTrack));
        });
    }

    [Test]
    public void DriveTypeNone_ReportsNoDriveInCmos()
    {
        using var bed = new FloppyTestBed();
        bed.AttachImage(0, 1_474_560, FloppyDriveType.None);

        Assert.That(bed.Cmos(0x10), Is.EqualTo(0x00));
    }

    [Test]
    public void ChangeMedium_ToAnotherSize_TakesTheNewGeometry()
    {
        using var bed = new FloppyTestBed();
        var backend = bed.AttachImage(0, 1_474_560);
        var small = bed.CreateImage(737_280, "small.img");
        bed.Start();
        bed.ResetController();

        bed.Layer.Media.ChangeMedium(backend, small, "raw");
        bed.Command(DumpReg);

        Assert.That(bed.Result(10)[6], Is.EqualTo(9));
    }
}
