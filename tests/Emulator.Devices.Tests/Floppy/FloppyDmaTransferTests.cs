using Emulator.Devices.Floppy;
using static Emulator.Devices.Tests.Floppy.FloppyTestBed;

namespace Emulator.Devices.Tests.Floppy;

/// <summary>READ/WRITE DATA, VERIFY and multi-track over ISA DMA channel 2, checked against the image file.</summary>
public class FloppyDmaTransferTests
{
    private const byte ReadData = 0x46;
    private const byte ReadDataMultiTrack = 0xC6;
    private const byte WriteData = 0x45;
    private const byte Verify = 0x56;
    private const byte SizeCode512 = 2;
    private const byte Gap = 0x1B;
    private const byte Dtl = 0xFF;
    private const uint Buffer = 0x10000;

    private FloppyTestBed _bed = null!;

    [SetUp]
    public void SetUp() => _bed = new FloppyTestBed();

    [TearDown]
    public void TearDown() => _bed.Dispose();

    // size, sectors per track, heads, tracks, data rate
    public static readonly object[] Geometries =
    [
        new object[] { 368_640L, 9, 2, 40, Rate300K },   // 360 KB
        new object[] { 737_280L, 9, 2, 80, Rate250K },   // 720 KB
        new object[] { 1_228_800L, 15, 2, 80, Rate500K }, // 1.2 MB
        new object[] { 1_474_560L, 18, 2, 80, Rate500K }, // 1.44 MB
        new object[] { 1_720_320L, 21, 2, 80, Rate500K }, // 1.68 MB DMF
        new object[] { 1_763_328L, 21, 2, 82, Rate500K }, // 1.72 MB
        new object[] { 2_949_120L, 36, 2, 80, Rate1M },   // 2.88 MB
        new object[] { 184_320L, 9, 1, 40, Rate300K },    // 180 KB single-sided
    ];

    private void Boot(long size, byte rate)
    {
        _bed.AttachImage(0, size);
        _bed.Start();
        _bed.ResetController();
        _bed.Out(Ccr, rate);
    }

    [TestCaseSource(nameof(Geometries))]
    public void Read_LastSectorOfACylinder_MatchesImageAndResultNamesNextTrack(long size, int spt, int heads, int tracks, byte rate)
    {
        Boot(size, rate);
        byte head = (byte)(heads - 1);
        var lba = ((1 * heads) + head) * spt + (spt - 1);
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);

        _bed.Command(ReadData, (byte)(head << 2), 1, head, (byte)spt, SizeCode512, (byte)spt, Gap, Dtl);
        var result = _bed.Result(7);

        var expected = Enumerable.Range(0, SectorBytes).Select(i => Pattern((lba * SectorBytes) + i)).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(_bed.ReadMemory(Buffer, SectorBytes), Is.EqualTo(expected));
            Assert.That(result, Is.EqualTo(new byte[] { (byte)(0x20 | (head << 2)), 0, 0, 2, head, 1, 2 }));
            Assert.That(_bed.Irq, Is.False, "draining the result lowers IRQ 6");
        });
    }

    [TestCaseSource(nameof(Geometries))]
    public void Write_TwoSectors_LandInImageAtChsOffset(long size, int spt, int heads, int tracks, byte rate)
    {
        Boot(size, rate);
        byte head = (byte)(heads - 1);
        var data = Enumerable.Range(0, 2 * SectorBytes).Select(i => (byte)(i * 3 + 5)).ToArray();
        _bed.WriteMemory(Buffer, data);
        _bed.ProgramDma(DmaModeReadCh2, Buffer, data.Length);

        _bed.Command(WriteData, (byte)(head << 2), 2, head, 3, SizeCode512, 4, Gap, Dtl);
        var result = _bed.Result(7);
        _bed.Settle();

        var offset = ((((2 * heads) + head) * spt) + 2) * SectorBytes;
        var image = _bed.ImageBytes();
        Assert.Multiple(() =>
        {
            Assert.That(image.AsSpan(offset, data.Length).ToArray(), Is.EqualTo(data));
            Assert.That(image[offset - 1], Is.EqualTo(Pattern(offset - 1)), "the sector before is untouched");
            Assert.That(result[0] & 0xC0, Is.EqualTo(0));
            Assert.That(result.AsSpan(3, 3).ToArray(), Is.EqualTo(new byte[] { 3, head, 1 }), "EOT reached: next track, sector 1");
            Assert.That(image.Length, Is.EqualTo(size));
        });
        _ = tracks;
    }

    [Test]
    public void Read_WholeTrackMultiTrack_CrossesToHeadOne()
    {
        Boot(1_474_560, Rate500K);
        const int bytes = 19 * SectorBytes;
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, bytes);

        // Sector 18 of head 0, then all of head 1: MT continues onto the other side (19 sectors).
        _bed.Command(ReadDataMultiTrack, 0x00, 0, 0, 18, SizeCode512, 18, Gap, Dtl);
        var result = _bed.Result(7);

        var expected = Enumerable.Range(17 * SectorBytes, bytes).Select(i => Pattern(i)).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(_bed.ReadMemory(Buffer, bytes), Is.EqualTo(expected));
            Assert.That(result, Is.EqualTo(new byte[] { 0x20, 0, 0, 1, 0, 1, 2 }), "after head 1's EOT: next cylinder, head 0, sector 1");
            Assert.That(_bed.DmaCurrentCount(), Is.EqualTo(0xFFFF), "terminal count");
        });
    }

    [Test]
    public void Read_DmaCountEndsEarly_StopsAtThatByte()
    {
        Boot(1_474_560, Rate500K);
        _bed.WriteMemory(Buffer, new byte[4 * SectorBytes]);
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes + 100);

        _bed.Command(ReadData, 0x00, 0, 0, 1, SizeCode512, 18, Gap, Dtl);
        var result = _bed.Result(7);

        var memory = _bed.ReadMemory(Buffer, 2 * SectorBytes);
        Assert.Multiple(() =>
        {
            Assert.That(memory.AsSpan(0, SectorBytes + 100).ToArray(), Is.EqualTo(Enumerable.Range(0, SectorBytes + 100).Select(i => Pattern(i)).ToArray()));
            Assert.That(memory.AsSpan(SectorBytes + 100).ToArray(), Is.All.EqualTo(0), "nothing past the DMA count");
            Assert.That(result[0] & 0xC0, Is.EqualTo(0));
            Assert.That(result[5], Is.EqualTo(2), "stopped inside sector 2");
        });
    }

    [Test]
    public void Write_DmaCountEndsInsideSector_KeepsRestOfSector()
    {
        Boot(1_474_560, Rate500K);
        var data = Enumerable.Repeat((byte)0xA5, 100).ToArray();
        _bed.WriteMemory(Buffer, data);
        _bed.ProgramDma(DmaModeReadCh2, Buffer, 100);

        _bed.Command(WriteData, 0x00, 0, 0, 5, SizeCode512, 18, Gap, Dtl);
        _bed.Result(7);
        _bed.Settle();

        var image = _bed.ImageBytes();
        const int offset = 4 * SectorBytes;
        Assert.Multiple(() =>
        {
            Assert.That(image.AsSpan(offset, 100).ToArray(), Is.All.EqualTo(0xA5));
            Assert.That(image.AsSpan(offset + 100, SectorBytes - 100).ToArray(),
                Is.EqualTo(Enumerable.Range(offset + 100, SectorBytes - 100).Select(i => Pattern(i)).ToArray()));
        });
    }

    [Test]
    public void Verify_WithDma_MovesNoDataAndNamesNextSector()
    {
        Boot(1_474_560, Rate500K);
        _bed.WriteMemory(Buffer, new byte[SectorBytes]);
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, 3 * SectorBytes);

        _bed.Command(Verify, 0x00, 0, 0, 1, SizeCode512, 3, Gap, Dtl);
        var result = _bed.Result(7);

        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo(new byte[] { 0x20, 0, 0, 1, 0, 1, 2 }));
            Assert.That(_bed.ReadMemory(Buffer, SectorBytes), Is.All.EqualTo(0));
            Assert.That(_bed.DmaCurrentCount(), Is.EqualTo((3 * SectorBytes) - 1), "the channel was not touched");
        });
    }

    [Test]
    public void Read_ImageShorterThanGeometry_ReadsZerosPastItsEnd()
    {
        _bed.AttachImage(0, SectorBytes, FloppyDriveType.Drive144);
        _bed.Start();
        _bed.ResetController();
        _bed.Out(Ccr, Rate500K);
        _bed.WriteMemory(Buffer, Enumerable.Repeat((byte)0xEE, 2 * SectorBytes).ToArray());
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, 2 * SectorBytes);

        _bed.Command(ReadData, 0x00, 0, 0, 1, SizeCode512, 2, Gap, Dtl);
        var result = _bed.Result(7);

        var memory = _bed.ReadMemory(Buffer, 2 * SectorBytes);
        Assert.Multiple(() =>
        {
            Assert.That(memory.AsSpan(0, SectorBytes).ToArray(), Is.EqualTo(Enumerable.Range(0, SectorBytes).Select(i => Pattern(i)).ToArray()));
            Assert.That(memory.AsSpan(SectorBytes).ToArray(), Is.All.EqualTo(0));
            Assert.That(result[0] & 0xC0, Is.EqualTo(0));
        });
    }

    [Test]
    public void Read_WrongDataRate_FailsWithMissingAddressMark()
    {
        Boot(1_474_560, Rate250K);
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);

        _bed.Command(ReadData, 0x00, 3, 0, 1, SizeCode512, 1, Gap, Dtl);
        var result = _bed.Result(7);

        Assert.That(result, Is.EqualTo(new byte[] { 0x60, 0x01, 0, 3, 0, 1, 2 }));
    }

    [Test]
    public void Read_DmaUnmaskedAfterCommand_TransferRunsWhenChannelIsReady()
    {
        Boot(1_474_560, Rate500K);
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);
        _bed.Out(DmaSingleMask, DmaMaskCh2);

        _bed.Command(ReadData, 0x00, 0, 0, 1, SizeCode512, 1, Gap, Dtl);
        _bed.Settle();
        var msrWhileMasked = _bed.In(Msr);
        _bed.Out(DmaSingleMask, DmaUnmaskCh2);
        var result = _bed.Result(7);

        Assert.Multiple(() =>
        {
            Assert.That(msrWhileMasked, Is.EqualTo(Busy));
            Assert.That(result[0] & 0xC0, Is.EqualTo(0));
            Assert.That(_bed.ReadMemory(Buffer, 4), Is.EqualTo(new[] { Pattern(0), Pattern(1), Pattern(2), Pattern(3) }));
        });
    }
}
