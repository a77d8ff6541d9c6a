using Emulator.Testing.Qos;

namespace Emulator.Testing.Tests.Qos;

/// <summary>
/// The LBA48 helpers of <see cref="AtaChannel"/> in process against the PIIX3 IDE disk: DMA and PIO EXT commands
/// past the 2^28-sector limit of LBA28, on a sparse raw image of 200 GiB.
/// </summary>
public class AtaLba48Tests
{
    private const int RamBytes = 128 << 20;
    private const long DiskBytes = 200L << 30;
    private const long Beyond28Bits = (1L << 28) + 12_345;
    private const int Sectors = 16;

    private string _dir = null!;
    private string _image = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("emu-qos-lba48-").FullName;
        _image = Path.Combine(_dir, "big.img");
        using var file = File.Create(_image);
        file.SetLength(DiskBytes);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void WriteDmaExtThenReadDmaExt_Beyond2To28Sectors_DataBackAndAtTheRightOffset()
    {
        byte[] pattern = [.. Enumerable.Range(0, Sectors * AtaChannel.SectorSize).Select(i => (byte)(i * 13))];
        AtaDmaResult write;
        AtaDmaResult read;
        byte[] back;
        using (var qts = QtestHarness.Start("-nodefaults", "-drive", $"file={_image},if=ide,format=raw"))
        {
            var allocator = GuestAllocator.ForPc(RamBytes);
            var ide = AtaChannel.Open(new PciBus(qts), allocator);
            ide.Select(0);
            var buffer = (uint)allocator.Allocate((ulong)pattern.Length);
            qts.Write(buffer, pattern);
            write = ide.WriteDmaExt(Beyond28Bits, Sectors, buffer);
            qts.Memset(buffer, pattern.Length, 0);
            read = ide.ReadDmaExt(Beyond28Bits, Sectors, buffer);
            back = qts.Memread(buffer, pattern.Length);
        }

        Assert.Multiple(() =>
        {
            Assert.That(write.Status & (AtaChannel.Err | AtaChannel.Bsy | AtaChannel.Drq), Is.Zero);
            Assert.That(read.Status & (AtaChannel.Err | AtaChannel.Bsy | AtaChannel.Drq), Is.Zero);
            Assert.That(read.IrqRaised, Is.True);
            Assert.That(back, Is.EqualTo(pattern));
            Assert.That(OnDisk(Beyond28Bits, pattern.Length), Is.EqualTo(pattern));
        });
    }

    [Test]
    public void WriteSectorsExtThenReadSectorsExt_Beyond2To28Sectors_DataBackAndStatusReady()
    {
        byte[] pattern = [.. Enumerable.Range(0, 3 * AtaChannel.SectorSize).Select(i => (byte)(255 - (i % 251)))];
        byte written;
        byte status;
        byte[] back;
        using (var qts = QtestHarness.Start("-nodefaults", "-drive", $"file={_image},if=ide,format=raw"))
        {
            var ide = AtaChannel.Open(new PciBus(qts), GuestAllocator.ForPc(RamBytes));
            ide.Select(0);
            written = ide.WriteSectorsExt(Beyond28Bits + 1000, pattern);
            back = ide.ReadSectorsExt(Beyond28Bits + 1000, 3, out status);
        }

        Assert.Multiple(() =>
        {
            Assert.That(written & (AtaChannel.Err | AtaChannel.Bsy | AtaChannel.Drq | AtaChannel.Drdy), Is.EqualTo(AtaChannel.Drdy));
            Assert.That(status & (AtaChannel.Err | AtaChannel.Bsy | AtaChannel.Drq | AtaChannel.Drdy), Is.EqualTo(AtaChannel.Drdy));
            Assert.That(back, Is.EqualTo(pattern));
            Assert.That(OnDisk(Beyond28Bits + 1000, pattern.Length), Is.EqualTo(pattern));
        });
    }

    [Test]
    public void Identify_200GiBDisk_Lba48SupportedWithFullSectorCount()
    {
        using var qts = QtestHarness.Start("-nodefaults", "-drive", $"file={_image},if=ide,format=raw");
        var ide = AtaChannel.Open(new PciBus(qts), GuestAllocator.ForPc(RamBytes));
        ide.Select(0);

        var words = ide.Identify();
        var lba48Sectors = words[100] | ((long)words[101] << 16) | ((long)words[102] << 32) | ((long)words[103] << 48);

        Assert.Multiple(() =>
        {
            Assert.That(words[83] & (1 << 10), Is.Not.Zero, "word 83 bit 10: 48-bit address feature set supported");
            Assert.That(lba48Sectors, Is.EqualTo(DiskBytes / AtaChannel.SectorSize));
        });
    }

    private byte[] OnDisk(long lba, int length)
    {
        using var file = File.OpenRead(_image);
        file.Position = lba * AtaChannel.SectorSize;
        var data = new byte[length];
        file.ReadExactly(data);
        return data;
    }
}
