using Emulator.Block.Backend;
using Emulator.Block.Drivers.Blkdebug;
using Emulator.Block.Drivers.File;
using Emulator.Devices.Floppy;
using Emulator.Machine.Loop;
using static Emulator.Devices.Tests.Floppy.FloppyTestBed;

namespace Emulator.Devices.Tests.Floppy;

/// <summary>Drive configuration, CMOS types, write protection, FORMAT TRACK, SCAN and write errors through the backend's policy.</summary>
public class FloppyMediaTests
{
    private const byte WriteData = 0x45;
    private const byte ReadData = 0x46;
    private const byte FormatTrack = 0x4D;
    private const byte ScanEqual = 0x51;
    private const byte Specify = 0x03;
    private const byte SizeCode512 = 2;
    private const byte Gap = 0x1B;
    private const byte FormatGap = 0x54;
    private const byte Dtl = 0xFF;
    private const byte Filler = 0xF6;
    private const uint Buffer = 0x30000;
    private const long Image144 = 1_474_560;

    private FloppyTestBed _bed = null!;

    [SetUp]
    public void SetUp() => _bed = new FloppyTestBed();

    [TearDown]
    public void TearDown() => _bed.Dispose();

    [TestCase(BlockErrorPolicy.Report, BlockErrorPolicy.Stop, "werror")]
    [TestCase(BlockErrorPolicy.Report, BlockErrorPolicy.Ignore, "werror")]
    [TestCase(BlockErrorPolicy.Stop, BlockErrorPolicy.Enospc, "rerror")]
    [TestCase(BlockErrorPolicy.Ignore, BlockErrorPolicy.Report, "rerror")]
    public void AttachDrive_UnsupportedErrorPolicy_IsRefusedWithTheOption(BlockErrorPolicy rerror, BlockErrorPolicy werror, string option)
    {
        var backend = _bed.Layer.OpenImage(
            new BlockBackendOptions { Name = "fda", ReadErrorPolicy = rerror, WriteErrorPolicy = werror }, _bed.CreateImage(Image144), "raw");

        Assert.That(() => _bed.Fdc.AttachDrive(0, backend), Throws.ArgumentException.With.Message.Contains($"fdc doesn't support drive option {option}"));
    }

    [Test]
    public void AttachDrive_UnitInUse_IsRefused()
    {
        _bed.AttachImage(0, Image144);
        var other = _bed.Layer.CreateBackend(new BlockBackendOptions { Name = "other" });

        Assert.That(() => _bed.Fdc.AttachDrive(0, other), Throws.ArgumentException.With.Message.Contains("Floppy unit 0 is in use"));
    }

    [Test]
    public void AttachDrive_UnitTwo_IsRefused()
    {
        var other = _bed.Layer.CreateBackend(new BlockBackendOptions { Name = "other" });

        Assert.That(() => _bed.Fdc.AttachDrive(2, other), Throws.ArgumentException);
    }

    [Test]
    public void Cmos_TwoDrives_TypesAndEquipmentNoChecksum()
    {
        _bed.AttachImage(0, 2_949_120);
        _bed.AttachImage(1, 1_228_800, FloppyDriveType.Drive120);

        Assert.Multiple(() =>
        {
            Assert.That(_bed.Cmos(0x10), Is.EqualTo(0x52));
            Assert.That(_bed.Cmos(0x14) & 0xC1, Is.EqualTo(0x41));
            Assert.That((_bed.Cmos(0x2E), _bed.Cmos(0x2F)), Is.EqualTo((0, 0)), "QEMU writes no CMOS checksum");
        });
    }

    [Test]
    public void Cmos_AutoDriveWithoutMedium_ReportsTheFallback288()
    {
        _bed.AttachEmpty(0, FloppyDriveType.Auto);

        Assert.That(_bed.Cmos(0x10), Is.EqualTo(0x50));
    }

    [Test]
    public void Write_ReadOnlyMedium_NotWritableAndImageUntouched()
    {
        _bed.AttachImage(0, Image144, readOnly: true);
        _bed.Start();
        _bed.ResetController();
        _bed.WriteMemory(Buffer, new byte[SectorBytes]);
        _bed.ProgramDma(DmaModeReadCh2, Buffer, SectorBytes);

        _bed.Command(WriteData, 0x00, 0, 0, 1, SizeCode512, 1, Gap, Dtl);
        var result = _bed.Result(7);
        _bed.Settle();

        Assert.Multiple(() =>
        {
            Assert.That(result.AsSpan(0, 2).ToArray(), Is.EqualTo(new byte[] { 0x60, 0x02 }));
            Assert.That(_bed.ImageBytes()[0], Is.EqualTo(Pattern(0)));
            Assert.That(_bed.DmaCurrentCount(), Is.EqualTo(SectorBytes - 1));
        });
    }

    [Test]
    public void FormatTrack_WithDma_FillsEverySectorOfTheTrack()
    {
        _bed.AttachImage(0, Image144);
        _bed.Start();
        _bed.ResetController();
        _bed.Command(0x0F, 0x04, 3);
        _bed.Command(0x08);
        _bed.Result(2);
        var ids = Enumerable.Range(1, 18).SelectMany(r => new byte[] { 3, 1, (byte)r, SizeCode512 }).ToArray();
        _bed.WriteMemory(Buffer, ids);
        _bed.ProgramDma(DmaModeReadCh2, Buffer, ids.Length);

        _bed.Command(FormatTrack, 0x04, SizeCode512, 18, FormatGap, Filler);
        var result = _bed.Result(7);
        _bed.Settle();

        var image = _bed.ImageBytes();
        const int trackStart = ((3 * 2) + 1) * 18 * SectorBytes;
        Assert.Multiple(() =>
        {
            Assert.That(result[0] & 0xC0, Is.EqualTo(0));
            Assert.That(image.AsSpan(trackStart, 18 * SectorBytes).ToArray(), Is.All.EqualTo(Filler));
            Assert.That(image[trackStart - 1], Is.EqualTo(Pattern(trackStart - 1)), "head 0 untouched");
            Assert.That(image[trackStart + (18 * SectorBytes)], Is.EqualTo(Pattern(trackStart + (18 * SectorBytes))), "next track untouched");
        });
    }

    [Test]
    public void FormatTrack_NonDma_TakesIdsThroughTheFifo()
    {
        _bed.AttachImage(0, Image144);
        _bed.Start();
        _bed.ResetController();
        _bed.Command(Specify, 0xAF, 0x03);

        _bed.Command(FormatTrack, 0x00, SizeCode512, 2, FormatGap, Filler);
        foreach (var b in new byte[] { 0, 0, 1, 2, 0, 0, 2, 2 })
        {
            _bed.WaitFor(() => (_bed.In(Msr) & (Rqm | Dio | NonDma)) == (Rqm | NonDma), "room for an ID byte");
            _bed.Out(Fifo, b);
        }

        var result = _bed.Result(7);
        _bed.Settle();

        var image = _bed.ImageBytes();
        Assert.Multiple(() =>
        {
            Assert.That(result[0] & 0xC0, Is.EqualTo(0));
            Assert.That(image.AsSpan(0, 2 * SectorBytes).ToArray(), Is.All.EqualTo(Filler));
            Assert.That(image[2 * SectorBytes], Is.EqualTo(Pattern(2 * SectorBytes)));
        });
    }

    [Test]
    public void FormatTrack_ReadOnlyMedium_NotWritable()
    {
        _bed.AttachImage(0, Image144, readOnly: true);
        _bed.Start();
        _bed.ResetController();
        _bed.ProgramDma(DmaModeReadCh2, Buffer, 8);

        _bed.Command(FormatTrack, 0x00, SizeCode512, 2, FormatGap, Filler);

        Assert.That(_bed.Result(7).AsSpan(0, 2).ToArray(), Is.EqualTo(new byte[] { 0x40, 0x02 }));
    }

    [Test]
    public void ScanEqual_MatchingSector_ReportsScanHit()
    {
        _bed.AttachImage(0, Image144);
        _bed.Start();
        _bed.ResetController();
        _bed.WriteMemory(Buffer, Enumerable.Range(SectorBytes, SectorBytes).Select(i => Pattern(i)).ToArray());
        _bed.ProgramDma(DmaModeReadCh2, Buffer, SectorBytes);

        _bed.Command(ScanEqual, 0x00, 0, 0, 2, SizeCode512, 2, Gap, Dtl);

        Assert.That(_bed.Result(7)[2], Is.EqualTo(0x08));
    }

    [Test]
    public void ScanEqual_DifferentSector_ReportsNotSatisfied()
    {
        _bed.AttachImage(0, Image144);
        _bed.Start();
        _bed.ResetController();
        _bed.WriteMemory(Buffer, new byte[SectorBytes]);
        _bed.ProgramDma(DmaModeReadCh2, Buffer, SectorBytes);

        _bed.Command(ScanEqual, 0x00, 0, 0, 2, SizeCode512, 2, Gap, Dtl);

        Assert.That(_bed.Result(7)[2], Is.EqualTo(0x04));
    }

    [TestCase((byte)0x59, (byte)0xFE, (byte)0x00)]
    [TestCase((byte)0x5D, (byte)0x00, (byte)0x00)]
    [TestCase((byte)0x51, (byte)0xFF, (byte)0x08)]
    [TestCase((byte)0x5D, (byte)0xFE, (byte)0x04)]
    public void Scan_ComparesMemoryWithTheSector(byte command, byte memoryByte, byte expectedSt2)
    {
        _bed.AttachImage(0, Image144);
        _bed.Start();
        _bed.ResetController();
        _bed.WriteMemory(Buffer, Enumerable.Repeat(memoryByte, SectorBytes).ToArray());
        _bed.ProgramDma(DmaModeReadCh2, Buffer, SectorBytes);

        _bed.Command(command, 0x00, 0, 0, 1, SizeCode512, 1, Gap, Dtl);

        Assert.That(_bed.Result(7)[2], Is.EqualTo(expectedSt2));
    }

    [Test]
    public void Verify_NonDma_EndsWithoutDataBytes()
    {
        _bed.AttachImage(0, Image144);
        _bed.Start();
        _bed.ResetController();
        _bed.Command(Specify, 0xAF, 0x03);

        _bed.Command(0x56, 0x00, 0, 0, 1, SizeCode512, 4, Gap, Dtl);
        var msr = _bed.In(Msr);
        var result = _bed.Result(7);

        Assert.Multiple(() =>
        {
            Assert.That(msr, Is.EqualTo(Rqm | Dio | Busy));
            Assert.That(result.AsSpan(3, 3).ToArray(), Is.EqualTo(new byte[] { 1, 0, 1 }));
        });
    }

    [Test]
    public void Read_DriveB_ReadsItsOwnImageWithItsGeometry()
    {
        _bed.AttachImage(0, Image144);
        _bed.AttachImage(1, 737_280);
        _bed.Start();
        _bed.ResetController(DorRunDriveB);
        _bed.Out(Ccr, Rate250K);
        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);

        _bed.Command(ReadData, 0x01, 1, 0, 1, SizeCode512, 1, Gap, Dtl);
        var result = _bed.Result(7);

        const int offset = 2 * 9 * SectorBytes;
        Assert.Multiple(() =>
        {
            Assert.That(result[0] & 0xC3, Is.EqualTo(0x01));
            Assert.That(_bed.ReadMemory(Buffer, SectorBytes), Is.EqualTo(Enumerable.Range(offset, SectorBytes).Select(i => Pattern(i)).ToArray()));
        });
    }

    private BlockBackend AttachFailingWrites(BlockErrorPolicy werror, BlockError error, bool once)
    {
        var image = _bed.CreateImage(Image144);
        var options = new BlkdebugNodeOptions(_bed.Layer.Graph.Drivers.Find("raw")!.CreateFormatOptions(new FileNodeOptions(image), null, false))
        {
            Rules = [new BlkdebugRule { Operations = BlkdebugOperations.Write, Error = error, Once = once }],
        };
        var backend = _bed.Layer.CreateBackend(new BlockBackendOptions { Name = "fda", WriteErrorPolicy = werror }, options);
        _bed.Fdc.AttachDrive(0, backend, FloppyDriveType.Drive144, "floppy0");
        return backend;
    }

    [Test]
    public void Write_IoErrorWithReportPolicy_AbnormalTermination()
    {
        AttachFailingWrites(BlockErrorPolicy.Report, BlockError.Io, once: false);
        _bed.Start();
        _bed.ResetController();
        _bed.ProgramDma(DmaModeReadCh2, Buffer, SectorBytes);

        _bed.Command(WriteData, 0x00, 0, 0, 1, SizeCode512, 1, Gap, Dtl);

        Assert.That(_bed.Result(7)[0] & 0xE0, Is.EqualTo(0x60));
    }

    [Test]
    public void Write_NoSpaceWithEnospcPolicy_ParksUntilResumeThenCompletes()
    {
        var backend = AttachFailingWrites(BlockErrorPolicy.Enospc, BlockError.NoSpace, once: true);
        _bed.Start();
        _bed.ResetController();
        var data = Enumerable.Repeat((byte)0x3C, SectorBytes).ToArray();
        _bed.WriteMemory(Buffer, data);
        _bed.ProgramDma(DmaModeReadCh2, Buffer, SectorBytes);

        _bed.Command(WriteData, 0x00, 0, 0, 1, SizeCode512, 1, Gap, Dtl);
        _bed.Settle();
        var msrWhileStopped = _bed.In(Msr);
        _bed.Machine.RequestPause();
        _bed.Machine.Run(RunLimits.UntilIdle);
        _bed.Machine.Resume();
        _bed.Machine.Run(RunLimits.UntilIdle);
        var result = _bed.Result(7);
        _bed.Settle();

        var back = new byte[SectorBytes];
        backend.Read(0, back);
        Assert.Multiple(() =>
        {
            Assert.That(msrWhileStopped, Is.EqualTo(Busy), "the command waits, no result yet");
            Assert.That(result[0] & 0xC0, Is.EqualTo(0));
            Assert.That(back, Is.EqualTo(data));
        });
    }

    [Test]
    public void Read_AfterWrite_RoundTripsThroughTheController()
    {
        _bed.AttachImage(0, Image144);
        _bed.Start();
        _bed.ResetController();
        var data = Enumerable.Range(0, SectorBytes).Select(i => (byte)(i ^ 0x5A)).ToArray();
        _bed.WriteMemory(Buffer, data);
        _bed.ProgramDma(DmaModeReadCh2, Buffer, SectorBytes);
        _bed.Command(WriteData, 0x00, 79, 1, 18, SizeCode512, 18, Gap, Dtl);
        _bed.Result(7);
        _bed.WriteMemory(Buffer, new byte[SectorBytes]);

        _bed.ProgramDma(DmaModeWriteCh2, Buffer, SectorBytes);
        _bed.Command(ReadData, 0x04, 79, 1, 18, SizeCode512, 18, Gap, Dtl);
        _bed.Result(7);

        Assert.That(_bed.ReadMemory(Buffer, SectorBytes), Is.EqualTo(data));
    }
}
