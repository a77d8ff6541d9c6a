using Emulator.Block.Backend;
using Emulator.Devices.Floppy;
using static Emulator.Devices.Tests.Floppy.FloppyTestBed;

namespace Emulator.Devices.Tests.Floppy;

/// <summary>
/// Real guest floppies from the shared corpus (opened read-only, never copied): the geometry the
/// controller picks from their size must let a BIOS read their boot sector and their last sector.
/// </summary>
public class FloppyRealImageTests
{
    private const byte ReadData = 0x46;
    private const byte SizeCode512 = 2;
    private const byte Gap = 0x1B;
    private const byte Dtl = 0xFF;
    private const uint Buffer = 0x10000;
    private const int SignatureOffset = 510;

    private FloppyTestBed _bed = null!;

    [SetUp]
    public void SetUp() => _bed = new FloppyTestBed();

    [TearDown]
    public void TearDown() => _bed.Dispose();

    private static string Image(params string[] relative) =>
        SharedFolder.Find(["images", .. relative]) ?? throw new IgnoreException($"shared/images/{string.Join('/', relative)} is not available here.");

    private byte[] ReadSector(byte cylinder, byte head, byte sector)
    {
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);
        _bed.Command(ReadData, (byte)(head << 2), cylinder, head, sector, SizeCode512, sector, Gap, Dtl);
        var result = _bed.Result(7);
        Assert.That(result[0] & 0xC0, Is.EqualTo(0), $"ST0 0x{result[0]:X2} ST1 0x{result[1]:X2}");
        return _bed.ReadMemory(Buffer, SectorBytes);
    }

    private void Boot(string path, byte rate)
    {
        var backend = _bed.Layer.OpenImage(new BlockBackendOptions { Name = "fda", ReadOnly = true }, path, "raw");
        _bed.Fdc.AttachDrive(0, backend, FloppyDriveType.Auto, "floppy0");
        _bed.Start();
        _bed.ResetController();
        _bed.Out(Ccr, rate);
    }

    [Test]
    public void MikeOs_BootSectorAndLastSector_ReadAt500K()
    {
        var path = Image("mikeos", "mikeos.flp");
        Boot(path, Rate500K);

        var boot = ReadSector(0, 0, 1);
        var last = ReadSector(79, 1, 18);

        var file = File.ReadAllBytes(path);
        Assert.Multiple(() =>
        {
            Assert.That(boot, Is.EqualTo(file.AsSpan(0, SectorBytes).ToArray()));
            Assert.That(boot.AsSpan(SignatureOffset, 2).ToArray(), Is.EqualTo(new byte[] { 0x55, 0xAA }));
            Assert.That(last, Is.EqualTo(file.AsSpan(file.Length - SectorBytes).ToArray()));
        });
    }

    [Test]
    public void BootOs360K_WithoutBpb_GeometryFromSizeAt300K()
    {
        var path = Image("bootos", "osall.img");
        Boot(path, Rate300K);

        var track5 = ReadSector(5, 0, 1);

        var file = File.ReadAllBytes(path);
        Assert.That(track5, Is.EqualTo(file.AsSpan(5 * 2 * 9 * SectorBytes, SectorBytes).ToArray()));
    }

    [Test]
    public void BootOsBootSectorOnly_IsAn288MediumWithZerosPastIt()
    {
        // No geometry has 1 sector: an auto drive takes the fallback type's first format (2.88 MB at 1 Mbps), as QEMU does.
        var path = Image("bootos", "os.img");
        Boot(path, Rate1M);

        var boot = ReadSector(0, 0, 1);
        var second = ReadSector(0, 0, 2);

        Assert.Multiple(() =>
        {
            Assert.That(_bed.Cmos(0x10) >> 4, Is.EqualTo(5));
            Assert.That(boot.AsSpan(SignatureOffset, 2).ToArray(), Is.EqualTo(new byte[] { 0x55, 0xAA }));
            Assert.That(second, Is.All.EqualTo(0));
        });
    }
}
