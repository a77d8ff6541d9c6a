using System.Buffers.Binary;
using Emulator.Testing.Qos;

namespace Emulator.Testing.Tests.Qos;

/// <summary>The libqos-style ATA/ATAPI helpers against the PIIX3 IDE function: bus-master DMA with PRD tables and ATAPI PACKET reads.</summary>
public class AtaChannelTests
{
    private const int Sectors = 2048;
    private const int CdSector = 2048;
    private const byte ScsiRead10 = 0x28;
    private const int PageSize = 4096;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-ata-qos-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void ReadDma_TwoPrdEntries_PatternInMemoryIrqRaisedThenAcknowledged()
    {
        var disk = Image("disk.img", Sectors * AtaChannel.SectorSize, AtaChannel.SectorSize);
        using var qts = QtestHarness.Start("-drive", $"file={disk},if=ide,format=raw");
        var allocator = GuestAllocator.ForPc(128 << 20);
        var ide = AtaChannel.Open(new PciBus(qts), allocator);
        var first = (uint)allocator.Allocate(PageSize);
        var second = (uint)allocator.Allocate(PageSize);
        ide.Select(0);

        var result = ide.Dma(AtaChannel.ReadDmaCommand, 10, 4, [new PrdEntry(first, 1024), new PrdEntry(second, 1024, EndOfTable: true)], toMemory: true);

        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(new AtaDmaResult(AtaChannel.BmInterrupt, true, AtaChannel.Drdy | AtaChannel.Dsc, 0, false)));
            Assert.That(qts.Memread(first, 1024), Is.EqualTo(Pattern(10, 2)));
            Assert.That(qts.Memread(second, 1024), Is.EqualTo(Pattern(12, 2)));
        });
    }

    [Test]
    public void WriteDma_ThenReadDma_SameBytesAndOnDisk()
    {
        var disk = Image("disk.img", Sectors * AtaChannel.SectorSize, AtaChannel.SectorSize);
        byte[] data = [.. Enumerable.Range(0, 2 * AtaChannel.SectorSize).Select(i => (byte)(i * 7))];
        using (var qts = QtestHarness.Start("-drive", $"file={disk},if=ide,format=raw"))
        {
            var allocator = GuestAllocator.ForPc(128 << 20);
            var ide = AtaChannel.Open(new PciBus(qts), allocator);
            var source = (uint)allocator.Allocate(PageSize);
            var target = (uint)allocator.Allocate(PageSize);
            qts.Write(source, data);
            ide.Select(0);

            var written = ide.WriteDma(100, 2, source);
            var read = ide.ReadDma(100, 2, target);

            Assert.Multiple(() =>
            {
                Assert.That(written.Status, Is.EqualTo(AtaChannel.Drdy | AtaChannel.Dsc));
                Assert.That(read.IrqRaised, Is.True);
                Assert.That(qts.Memread(target, data.Length), Is.EqualTo(data));
            });
        }

        Assert.That(File.ReadAllBytes(disk).AsSpan(100 * AtaChannel.SectorSize, data.Length).ToArray(), Is.EqualTo(data), "flushed and closed on dispose");
    }

    [Test]
    public void ReadDma_ShortPrd_NoIrqBusMasterIdle()
    {
        var disk = Image("disk.img", Sectors * AtaChannel.SectorSize, AtaChannel.SectorSize);
        using var qts = QtestHarness.Start("-drive", $"file={disk},if=ide,format=raw");
        var allocator = GuestAllocator.ForPc(128 << 20);
        var ide = AtaChannel.Open(new PciBus(qts), allocator);
        var buffer = (uint)allocator.Allocate(PageSize);
        ide.Select(0);

        var result = ide.Dma(AtaChannel.ReadDmaCommand, 0, 4, [new PrdEntry(buffer, 1024, EndOfTable: true)], toMemory: true);

        Assert.Multiple(() =>
        {
            Assert.That(result.BusMasterStatus, Is.Zero, "PRDs shorter than the transfer: ACTIVE and INTR clear (QEMU's ide_dma_cb)");
            Assert.That(result.IrqRaised, Is.False);
            Assert.That(qts.Memread(buffer, 1024), Is.All.Zero);
        });
    }

    [Test]
    public void PacketRead_Read10OnCd_SectorData()
    {
        var iso = Image("cd.iso", 64 * CdSector, CdSector);
        using var qts = QtestHarness.Start("-drive", $"file={iso},if=ide,index=0,media=cdrom,format=raw");
        var ide = AtaChannel.Open(new PciBus(qts), GuestAllocator.ForPc(128 << 20));
        ide.Select(0);

        var data = ide.PacketRead(Read10(3, 1), CdSector, out var status);

        Assert.Multiple(() =>
        {
            Assert.That(data, Is.EqualTo(Pattern(3, 1, CdSector)));
            Assert.That(status & (AtaChannel.Err | AtaChannel.Drq | AtaChannel.Bsy), Is.Zero);
        });
    }

    [Test]
    public void PacketDma_Read10OnCd_DataInMemory()
    {
        var iso = Image("cd.iso", 64 * CdSector, CdSector);
        using var qts = QtestHarness.Start("-drive", $"file={iso},if=ide,index=0,media=cdrom,format=raw");
        var allocator = GuestAllocator.ForPc(128 << 20);
        var ide = AtaChannel.Open(new PciBus(qts), allocator);
        var buffer = (uint)allocator.Allocate(2 * CdSector);
        ide.Select(0);

        var result = ide.PacketDma(Read10(5, 2), [new PrdEntry(buffer, 2 * CdSector, EndOfTable: true)]);

        Assert.Multiple(() =>
        {
            Assert.That(result.IrqRaised, Is.True);
            Assert.That(result.Status & AtaChannel.Err, Is.Zero);
            Assert.That(qts.Memread(buffer, 2 * CdSector), Is.EqualTo(Pattern(5, 2, CdSector)));
        });
    }

    private static byte[] Read10(uint lba, ushort blocks)
    {
        var cdb = new byte[12];
        cdb[0] = ScsiRead10;
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(2), lba);
        BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(7), blocks);
        return cdb;
    }

    /// <summary>Each sector filled with its number's low byte, offset by the byte's position.</summary>
    private static byte[] Pattern(int firstSector, int count, int sectorSize = AtaChannel.SectorSize) =>
        [.. Enumerable.Range(firstSector * sectorSize, count * sectorSize).Select(i => (byte)((i / sectorSize) + (i % 251)))];

    private string Image(string name, int length, int sectorSize)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, Pattern(0, length / sectorSize, sectorSize));
        return path;
    }
}
