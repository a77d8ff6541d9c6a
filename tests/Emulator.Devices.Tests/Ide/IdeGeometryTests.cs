using Emulator.Devices.Ide;

namespace Emulator.Devices.Tests.Ide;

/// <summary>
/// The geometry and BIOS translation guessed for a disk from its size and MBR, against the table of
/// QEMU 7.2's hd-geo-test (hw/block/hd-geometry.c): a blank MBR, a partition laid out through a
/// translating BIOS (128 heads), and one laid out with 16 heads, on a 30 MiB and a 4 GiB disk.
/// </summary>
public class IdeGeometryTests
{
    private const long SmallDisk = 61_440;
    private const long LargeDisk = 8_388_608;

    /// <summary>hd-geo-test's partition entries: 0/1/1 (LBA 63) to 0/127/63, and 0/1/1 to 7/15/63, both 8001 sectors.</summary>
    private static readonly byte[] PartitionLba = [0x80, 1, 1, 0, 6, 127, 63, 0, 63, 0, 0, 0, 0x41, 0x1F, 0, 0];
    private static readonly byte[] PartitionChs = [0x80, 1, 1, 0, 6, 15, 63, 7, 63, 0, 0, 0, 0x41, 0x1F, 0, 0];

    [TestCase(SmallDisk, "blank", 60, BiosChsTranslation.None, TestName = "Guess_SmallBlank_StandardGeometryNoTranslation")]
    [TestCase(SmallDisk, "lba", 60, BiosChsTranslation.Large, TestName = "Guess_SmallWith128HeadPartition_Large")]
    [TestCase(SmallDisk, "chs", 60, BiosChsTranslation.None, TestName = "Guess_SmallWith16HeadPartition_None")]
    [TestCase(LargeDisk, "blank", 8322, BiosChsTranslation.Lba, TestName = "Guess_LargeBlank_AutoIsLba")]
    [TestCase(LargeDisk, "lba", 8322, BiosChsTranslation.Lba, TestName = "Guess_LargeWith128HeadPartition_LbaPast131072Tracks")]
    [TestCase(LargeDisk, "chs", 8322, BiosChsTranslation.None, TestName = "Guess_LargeWith16HeadPartition_None")]
    public void Guess_DiskAndMbr_MatchesQemu(long sectors, string mbr, int cylinders, BiosChsTranslation translation)
    {
        var sector = new byte[512];
        if (mbr != "blank")
        {
            sector[510] = 0x55;
            sector[511] = 0xAA;
            (mbr == "lba" ? PartitionLba : PartitionChs).CopyTo(sector, 0x1BE);
        }

        var (geometry, guessed) = IdeGeometry.Guess(sectors, sector);

        Assert.Multiple(() =>
        {
            Assert.That(geometry, Is.EqualTo(new IdeGeometry(cylinders, 16, 63)));
            Assert.That(guessed, Is.EqualTo(translation));
        });
    }

    [Test]
    public void AutoTranslation_MoreThan1024CylindersFewTracks_LbaNeverLarge()
    {
        // QEMU's hd_bios_chs_auto_trans only ever picks none or LBA; LARGE comes from an MBR guess or the user.
        Assert.That(new IdeGeometry(2000, 16, 63).AutoTranslation(), Is.EqualTo(BiosChsTranslation.Lba));
    }

    [TestCase(0, 16, 63, "cyls must be between 1 and 65535")]
    [TestCase(10, 0, 63, "heads must be between 1 and 16")]
    [TestCase(10, 16, 256, "secs must be between 1 and 255")]
    public void Validate_OutOfRange_QemuMessage(int cylinders, int heads, int sectors, string message)
    {
        Assert.That(() => new IdeGeometry(cylinders, heads, sectors).Validate(), Throws.ArgumentException.With.Message.EqualTo(message));
    }
}
