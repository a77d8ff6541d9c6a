using Emulator.Block.Backend;
using static Emulator.Devices.Tests.Ide.IdeRig;

namespace Emulator.Devices.Tests.Ide;

/// <summary>READ/WRITE DMA through the PIIX3 bus master and the PRD outcomes (PIIX3 datasheet 2.7, SFF-8038i; QEMU's ide_dma_cb).</summary>
public class BusMasterDmaTests
{
    private const byte ReadDma = 0xC8;
    private const byte WriteDma = 0xCA;
    private const byte ReadDmaExt = 0x25;
    private const byte DataSetManagement = 0x06;
    private const byte TrimFeature = 0x01;
    private const uint PrdTable = 0x1000;
    private const uint Buffer = 0x10000;

    private IdeRig _rig = null!;

    [SetUp]
    public void SetUp() => _rig = new IdeRig();

    [TearDown]
    public void TearDown() => _rig.Dispose();

    private BlockBackend StartWithDisk(long length = 8 << 20)
    {
        var backend = _rig.AttachDisk(length);
        _rig.Start();
        _rig.EnableBusMaster();
        _rig.OutL(BmPrd, PrdTable);
        return backend;
    }

    private void RunDma(byte command, long lba, int count, bool toMemory)
    {
        _rig.Lba28Command(command, lba, count);
        _rig.Out(BmCommand, (byte)(BmStart | (toMemory ? BmToMemory : 0)));
        _rig.Settle();
    }

    [Test]
    public void ReadDma_EqualPrd_DataInMemoryIrqAndInactive()
    {
        StartWithDisk();
        _rig.WritePrdTable(PrdTable, (Buffer, 2048, false), (Buffer + 2048, 2048, true));

        RunDma(ReadDma, 50, 8, toMemory: true);

        Assert.Multiple(() =>
        {
            Assert.That(_rig.ReadMemory(Buffer, 4096), Is.EqualTo(PatternBytes(50 * SectorSize, 4096)));
            Assert.That(_rig.Irq, Is.True);
            Assert.That(_rig.In(BmStatus), Is.EqualTo(BmInterrupt), "INTR set, ACTIVE clear");
            Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc));
        });
    }

    [Test]
    public void ReadDma_CommandBeforeStart_StatusDrqUntilStart()
    {
        StartWithDisk();
        _rig.WritePrdTable(PrdTable, (Buffer, 512, true));

        _rig.Lba28Command(ReadDma, 1, 1);
        _rig.Settle();
        var waiting = _rig.In(AltStatus);
        _rig.Out(BmCommand, BmStart | BmToMemory);
        _rig.Settle();

        Assert.Multiple(() =>
        {
            Assert.That(waiting, Is.EqualTo(Drdy | Dsc | Drq));
            Assert.That(_rig.ReadMemory(Buffer, 512), Is.EqualTo(PatternBytes(512, 512)));
        });
    }

    [Test]
    public void ReadDma_StartBeforeCommand_RunsWhenCommandArrives()
    {
        StartWithDisk();
        _rig.WritePrdTable(PrdTable, (Buffer, 512, true));

        _rig.Out(BmCommand, BmStart | BmToMemory);
        var active = _rig.In(BmStatus);
        _rig.Lba28Command(ReadDma, 2, 1);
        _rig.Settle();

        Assert.Multiple(() =>
        {
            Assert.That(active & BmActive, Is.Not.Zero);
            Assert.That(_rig.ReadMemory(Buffer, 512), Is.EqualTo(PatternBytes(1024, 512)));
            Assert.That(_rig.In(BmStatus), Is.EqualTo(BmInterrupt));
        });
    }

    [Test]
    public void ReadDma_ShortPrd_NoDataNoIrqInactive()
    {
        StartWithDisk();
        _rig.WritePrdTable(PrdTable, (Buffer, 1024, true));

        RunDma(ReadDma, 0, 4, toMemory: true);

        Assert.Multiple(() =>
        {
            Assert.That(_rig.ReadMemory(Buffer, 1024), Is.All.Zero, "nothing transferred");
            Assert.That(_rig.Irq, Is.False);
            Assert.That(_rig.In(BmStatus), Is.Zero);
            Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc));
        });
    }

    [Test]
    public void ReadDma_LongPrd_IrqAndStaysActive()
    {
        StartWithDisk();
        _rig.WritePrdTable(PrdTable, (Buffer, 4096, true));

        RunDma(ReadDma, 0, 2, toMemory: true);

        Assert.Multiple(() =>
        {
            Assert.That(_rig.ReadMemory(Buffer, 1024), Is.EqualTo(PatternBytes(0, 1024)));
            Assert.That(_rig.Irq, Is.True);
            Assert.That(_rig.In(BmStatus), Is.EqualTo(BmInterrupt | BmActive));
        });
    }

    [Test]
    public void ReadDma_ZeroCountPrd_Means64KiB()
    {
        StartWithDisk();
        _rig.WritePrdTable(PrdTable, (Buffer, 0, true));

        RunDma(ReadDma, 0, 128, toMemory: true);

        Assert.Multiple(() =>
        {
            Assert.That(_rig.ReadMemory(Buffer, 65536), Is.EqualTo(PatternBytes(0, 65536)));
            Assert.That(_rig.In(BmStatus), Is.EqualTo(BmInterrupt), "exactly covered");
        });
    }

    [Test]
    public void ReadDmaExt_Lba48_ReadsData()
    {
        StartWithDisk();
        _rig.WritePrdTable(PrdTable, (Buffer, 1024, true));

        _rig.Lba48Command(ReadDmaExt, 300, 2);
        _rig.Out(BmCommand, BmStart | BmToMemory);
        _rig.Settle();

        Assert.That(_rig.ReadMemory(Buffer, 1024), Is.EqualTo(PatternBytes(300 * SectorSize, 1024)));
    }

    [Test]
    public void ReadDma_LargerThanBounceBuffer_AllDataArrives()
    {
        StartWithDisk();
        var entries = Enumerable.Range(0, 8).Select(i => (Buffer + (uint)(i * 65536), 0, i == 7)).ToArray();
        _rig.WritePrdTable(PrdTable, entries);

        _rig.Lba48Command(ReadDmaExt, 0, 1024);
        _rig.Out(BmCommand, BmStart | BmToMemory);
        _rig.Settle();

        Assert.Multiple(() =>
        {
            Assert.That(_rig.ReadMemory(Buffer, 512 * 1024), Is.EqualTo(PatternBytes(0, 512 * 1024)));
            Assert.That(_rig.In(BmStatus), Is.EqualTo(BmInterrupt));
        });
    }

    [Test]
    public void WriteDma_ScatteredPrds_LandInImage()
    {
        var backend = StartWithDisk();
        var payload = Enumerable.Range(0, 1536).Select(i => (byte)(i * 13)).ToArray();
        _rig.Machine.Memory.Write(Buffer, payload.AsSpan(0, 512));
        _rig.Machine.Memory.Write(Buffer + 0x8000, payload.AsSpan(512));
        _rig.WritePrdTable(PrdTable, (Buffer, 512, false), (Buffer + 0x8000, 1024, true));

        RunDma(WriteDma, 77, 3, toMemory: false);

        var onDisk = new byte[1536];
        backend.Read(77 * SectorSize, onDisk);
        Assert.Multiple(() =>
        {
            Assert.That(onDisk, Is.EqualTo(payload));
            Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc));
        });
    }

    [Test]
    public void ReadDma_SubSectorScatteredPrds_DataInEachRegion()
    {
        StartWithDisk();
        var regions = Enumerable.Range(0, 8).Select(i => (Buffer + (uint)(i * 0x1000), 256, i == 7)).ToArray();
        _rig.WritePrdTable(PrdTable, regions);

        RunDma(ReadDma, 4, 4, toMemory: true);

        var expected = PatternBytes(4 * SectorSize, 2048);
        var landed = Enumerable.Range(0, 8).SelectMany(i => _rig.ReadMemory(Buffer + (uint)(i * 0x1000), 256)).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(landed, Is.EqualTo(expected));
            Assert.That(_rig.In(BmStatus), Is.EqualTo(BmInterrupt));
        });
    }

    [Test]
    public void WriteDma_SubSectorScatteredPrds_LandInImage()
    {
        var backend = StartWithDisk();
        var payload = Enumerable.Range(0, 1024).Select(i => (byte)(i * 7 + 1)).ToArray();
        for (var i = 0; i < 4; i++)
        {
            _rig.Machine.Memory.Write(Buffer + (uint)(i * 0x1000), payload.AsSpan(i * 256, 256));
        }

        _rig.WritePrdTable(PrdTable, Enumerable.Range(0, 4).Select(i => (Buffer + (uint)(i * 0x1000), 256, i == 3)).ToArray());

        RunDma(WriteDma, 90, 2, toMemory: false);

        var onDisk = new byte[1024];
        backend.Read(90 * SectorSize, onDisk);
        Assert.That(onDisk, Is.EqualTo(payload));
    }

    [Test]
    public void ReadDma_ContiguousPrdsThenGap_AllRegionsFilled()
    {
        StartWithDisk();
        _rig.WritePrdTable(PrdTable, (Buffer, 1024, false), (Buffer + 1024, 1024, false), (Buffer + 0x8000, 1024, true));

        RunDma(ReadDma, 0, 6, toMemory: true);

        Assert.Multiple(() =>
        {
            Assert.That(_rig.ReadMemory(Buffer, 2048), Is.EqualTo(PatternBytes(0, 2048)));
            Assert.That(_rig.ReadMemory(Buffer + 0x8000, 1024), Is.EqualTo(PatternBytes(2048, 1024)));
        });
    }

    [Test]
    public void Stop_WhileTransferInFlight_WaitsForWholeTransfer()
    {
        StartWithDisk();
        _rig.WritePrdTable(PrdTable, (Buffer, 0, true));

        _rig.Lba28Command(ReadDma, 0, 128);
        _rig.Out(BmCommand, BmStart | BmToMemory);
        _rig.Out(BmCommand, BmToMemory);
        var irq = _rig.Irq;

        Assert.Multiple(() =>
        {
            Assert.That(_rig.ReadMemory(Buffer, 65536), Is.EqualTo(PatternBytes(0, 65536)));
            Assert.That((irq, _rig.In(Status), _rig.In(BmStatus)), Is.EqualTo((true, (byte)(Drdy | Dsc), BmInterrupt)));
        });
    }

    [Test]
    public void SoftReset_DuringDma_EngineInactiveAndSignature()
    {
        StartWithDisk();
        _rig.WritePrdTable(PrdTable, (Buffer, 0, true));
        _rig.Lba28Command(ReadDma, 0, 128);
        _rig.Out(BmCommand, BmStart | BmToMemory);

        _rig.Out(Control, Srst);
        _rig.Out(Control, 0);
        _rig.Settle();

        Assert.Multiple(() =>
        {
            Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc));
            Assert.That(_rig.In(BmStatus) & BmActive, Is.Zero);
            Assert.That((_rig.In(Count), _rig.In(LbaLow)), Is.EqualTo(((byte)1, (byte)1)));
        });
    }

    [Test]
    public void ReadDma_PastEnd_AbortsIrqInactive()
    {
        StartWithDisk(1 << 20);
        _rig.WritePrdTable(PrdTable, (Buffer, 1024, true));

        RunDma(ReadDma, 2047, 2, toMemory: true);
        var irq = _rig.Irq;

        Assert.That((irq, _rig.In(Status), _rig.In(ErrorReg), _rig.In(BmStatus)), Is.EqualTo((true, (byte)(Drdy | Err), Abrt, BmInterrupt)));
    }

    [Test]
    public void ReadDma_PrdTableOutsideRam_ShortOutcome()
    {
        StartWithDisk();
        _rig.OutL(BmPrd, 0xF000_0000);

        RunDma(ReadDma, 0, 1, toMemory: true);

        Assert.That((_rig.Irq, _rig.In(BmStatus), _rig.In(Status)), Is.EqualTo((false, (byte)0, (byte)(Drdy | Dsc))));
    }

    [Test]
    public void ReadDma_PrdTableWithoutEnd_StopsAfterOnePage()
    {
        StartWithDisk();
        var entries = Enumerable.Range(0, 1024).Select(i => (Buffer, 2, false)).ToArray();
        _rig.WritePrdTable(PrdTable, entries);

        RunDma(ReadDma, 0, 4, toMemory: true);

        Assert.That((_rig.Irq, _rig.In(BmStatus)), Is.EqualTo((false, (byte)0)), "512 descriptors of 2 bytes cannot hold 2 KiB");
    }

    [Test]
    public void ReadDma_BufferOutsideRam_CompletesWithoutTouchingRam()
    {
        StartWithDisk();
        _rig.WritePrdTable(PrdTable, (0xFFFF_F000, 512, true));

        RunDma(ReadDma, 0, 1, toMemory: true);

        Assert.That((_rig.Irq, _rig.In(Status)), Is.EqualTo((true, (byte)(Drdy | Dsc))));
    }

    [Test]
    public void BmStatus_InterruptBitIsWriteOneToClear()
    {
        StartWithDisk();
        _rig.WritePrdTable(PrdTable, (Buffer, 512, true));
        RunDma(ReadDma, 0, 1, toMemory: true);

        _rig.Out(BmStatus, BmInterrupt | 0x60);

        Assert.That(_rig.In(BmStatus), Is.EqualTo(0x60));
    }

    [Test]
    public void Trim_TwoRangesAndAnEmptyEntry_DiscardsBothAndCompletesWithIrq()
    {
        var backend = StartWithDisk();
        ulong[] entries = [10UL | (4UL << 48), 0, 100UL | (8UL << 48)];
        for (var i = 0; i < entries.Length; i++)
        {
            _rig.Machine.Memory.WriteDword(Buffer + (uint)(i * 8), (uint)entries[i]);
            _rig.Machine.Memory.WriteDword(Buffer + (uint)(i * 8) + 4, (uint)(entries[i] >> 32));
        }

        _rig.WritePrdTable(PrdTable, (Buffer, 512, true));

        _rig.Out(Features, TrimFeature);
        _rig.Lba48Command(DataSetManagement, 0, 1);
        _rig.Out(BmCommand, BmStart);
        _rig.Settle();
        var irq = _rig.Irq;
        var unmap = backend.Stats[BlockAcctType.Unmap];

        Assert.Multiple(() =>
        {
            Assert.That((irq, _rig.In(Status), _rig.In(BmStatus)), Is.EqualTo((true, (byte)(Drdy | Dsc), BmInterrupt)));
            Assert.That((unmap.Operations, unmap.Bytes), Is.EqualTo((2L, 12L * SectorSize)), "the backend saw both ranges");
        });
    }

    [Test]
    public void Trim_RangePastEnd_Aborts()
    {
        StartWithDisk(1 << 20);
        var entry = 2040UL | (100UL << 48);
        _rig.Machine.Memory.WriteDword(Buffer, (uint)entry);
        _rig.Machine.Memory.WriteDword(Buffer + 4, (uint)(entry >> 32));
        _rig.WritePrdTable(PrdTable, (Buffer, 512, true));

        _rig.Out(Features, TrimFeature);
        _rig.Lba48Command(DataSetManagement, 0, 1);
        _rig.Out(BmCommand, BmStart);
        _rig.Settle();

        Assert.That((_rig.In(Status), _rig.In(ErrorReg)), Is.EqualTo(((byte)(Drdy | Err), Abrt)));
    }

    [Test]
    public void Trim_WithoutTrimFeatureBit_Aborts()
    {
        StartWithDisk();

        _rig.Out(Features, 0);
        _rig.Lba48Command(DataSetManagement, 0, 1);

        Assert.That((_rig.In(Status), _rig.In(ErrorReg)), Is.EqualTo(((byte)(Drdy | Err), Abrt)));
    }

    [Test]
    public void ReadDma_TableLongerThanTransferAfterCovering_IrqAndStaysActive()
    {
        StartWithDisk();
        _rig.WritePrdTable(PrdTable, (Buffer, 1024, false), (Buffer + 0x1000, 512, true));

        RunDma(ReadDma, 0, 2, toMemory: true);

        Assert.That((_rig.Irq, _rig.In(BmStatus)), Is.EqualTo((true, (byte)(BmInterrupt | BmActive))),
            "descriptors past the transfer still count, as in QEMU's bmdma_prepare_buf");
    }

    [Test]
    public void Trim_CountWrittenOnce_UsesEightBitCountNotStaleHighByte()
    {
        var backend = StartWithDisk();
        var entry = 10UL | (4UL << 48);
        _rig.Machine.Memory.WriteDword(Buffer, (uint)entry);
        _rig.Machine.Memory.WriteDword(Buffer + 4, (uint)(entry >> 32));
        _rig.WritePrdTable(PrdTable, (Buffer, 512, true));

        _rig.Out(Features, TrimFeature);
        _rig.Out(Count, 3);
        _rig.Lba28Command(DataSetManagement, 0, 1);
        _rig.Out(BmCommand, BmStart);
        _rig.Settle();

        Assert.That((_rig.Irq, _rig.In(BmStatus), backend.Stats[BlockAcctType.Unmap].Operations),
            Is.EqualTo((true, BmInterrupt, 1L)), "one 512-byte block of entries, as QEMU reads the count");
    }
}
