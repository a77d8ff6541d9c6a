using System.Buffers.Binary;
using System.Text;
using Emulator.Devices.Ide;
using static Emulator.Devices.Tests.Ide.IdeRig;

namespace Emulator.Devices.Tests.Ide;

/// <summary>ATA disk through the command block: IDENTIFY and PIO data transfers (ATA/ATAPI-6 chapters 8 and 9).</summary>
public class AtaPioTests
{
    private const byte IdentifyDevice = 0xEC;
    private const byte ReadSectors = 0x20;
    private const byte ReadSectorsExt = 0x24;
    private const byte WriteSectors = 0x30;
    private const byte WriteSectorsExt = 0x34;
    private const byte ReadMultiple = 0xC4;
    private const byte WriteMultiple = 0xC5;
    private const byte SetMultipleMode = 0xC6;
    private const byte InitializeDeviceParameters = 0x91;
    private const byte ReadNativeMaxAddress = 0xF8;
    private const byte CheckPowerMode = 0xE5;
    private const byte Nop = 0x00;
    private const byte FlushCache = 0xE7;
    private const byte SetFeatures = 0xEF;

    private IdeRig _rig = null!;

    [SetUp]
    public void SetUp() => _rig = new IdeRig();

    [TearDown]
    public void TearDown() => _rig.Dispose();

    private static ushort Word(byte[] page, int word) => BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(word * 2));

    private static string AtaString(byte[] page, int word, int chars)
    {
        var text = new StringBuilder();
        for (var i = 0; i < chars; i++)
        {
            text.Append((char)page[(word * 2) + (i ^ 1)]);
        }

        return text.ToString();
    }

    private byte[] Identify()
    {
        _rig.Out(Command, IdentifyDevice);
        return _rig.ReadData(512);
    }

    [Test]
    public void Identify_DefaultDisk_ReportsQemuWords()
    {
        const long bytes = 64L << 20;
        _rig.AttachDisk(bytes);
        _rig.Start();

        var page = Identify();
        var sectors = bytes / SectorSize;

        Assert.Multiple(() =>
        {
            Assert.That(Word(page, 0), Is.EqualTo(0x0040), "fixed disk");
            Assert.That(Word(page, 1), Is.EqualTo(sectors / (16 * 63)), "cylinders");
            Assert.That(Word(page, 3), Is.EqualTo(16), "heads");
            Assert.That(Word(page, 6), Is.EqualTo(63), "sectors per track");
            Assert.That(AtaString(page, 10, 20), Is.EqualTo("QM00001".PadRight(20)));
            Assert.That(AtaString(page, 27, 40), Is.EqualTo("QEMU HARDDISK".PadRight(40)));
            Assert.That(Word(page, 47), Is.EqualTo(0x8010), "multiple max 16");
            Assert.That(Word(page, 49) & 0x0300, Is.EqualTo(0x0300), "LBA and DMA");
            Assert.That(Word(page, 59), Is.EqualTo(0x0110), "multiple mode on with 16 after reset");
            Assert.That(Word(page, 60) | (Word(page, 61) << 16), Is.EqualTo(sectors), "LBA28 capacity");
            Assert.That(Word(page, 83) & (1 << 10), Is.Not.Zero, "LBA48 supported");
            Assert.That(Word(page, 88), Is.EqualTo(0x203F), "UDMA 0-5, UDMA5 selected");
            Assert.That(Word(page, 100) | ((long)Word(page, 101) << 16), Is.EqualTo(sectors), "LBA48 capacity");
            Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc), "DRQ clears after the page");
        });
    }

    [Test]
    public void Identify_AfterResize_ReportsNewCapacity()
    {
        var backend = _rig.AttachDisk(8 << 20);
        _rig.Start();

        backend.Truncate(16 << 20);
        var page = Identify();

        Assert.That(Word(page, 60) | (Word(page, 61) << 16), Is.EqualTo((16 << 20) / SectorSize));
    }

    [Test]
    public void Identify_MbrPartitionEndingOnCylinder_GeometryFromPartitionTable()
    {
        var path = _rig.CreateImageFile(8 << 20);
        var mbr = new byte[512];
        const int entry = 0x1BE;
        mbr[entry + 5] = 7;
        mbr[entry + 6] = 32;
        BitConverter.TryWriteBytes(mbr.AsSpan(entry + 12), 1000u);
        mbr[510] = 0x55;
        mbr[511] = 0xAA;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Write(mbr);
        }

        _rig.Ide.AttachDisk(0, 0, _rig.OpenImage(path, "hd0"));
        _rig.Start();
        var page = Identify();

        const int sectors = (8 << 20) / SectorSize;
        Assert.That(new[] { Word(page, 1), Word(page, 3), Word(page, 6) }, Is.EqualTo(new[] { (ushort)(sectors / (8 * 32)), (ushort)8, (ushort)32 }));
    }

    [Test]
    public void Identify_MbrWith255Heads_StandardGeometry()
    {
        var path = _rig.CreateImageFile(8 << 20);
        var mbr = new byte[512];
        mbr[0x1BE + 5] = 254;
        mbr[0x1BE + 6] = 63;
        BitConverter.TryWriteBytes(mbr.AsSpan(0x1BE + 12), 1000u);
        mbr[510] = 0x55;
        mbr[511] = 0xAA;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Write(mbr);
        }

        _rig.Ide.AttachDisk(0, 0, _rig.OpenImage(path, "hd0"));
        _rig.Start();
        var page = Identify();

        Assert.That(new[] { Word(page, 3), Word(page, 6) }, Is.EqualTo(new ushort[] { 16, 63 }));
    }

    [Test]
    public void Identify_Options_SetStringsAndGeometry()
    {
        _rig.AttachDisk(options: new IdeDriveOptions
        {
            Serial = "SER123",
            Model = "TEST MODEL",
            FirmwareRevision = "1.0",
            Geometry = new IdeGeometry(100, 4, 32),
        });
        _rig.Start();

        var page = Identify();

        Assert.Multiple(() =>
        {
            Assert.That(AtaString(page, 10, 20).TrimEnd(), Is.EqualTo("SER123"));
            Assert.That(AtaString(page, 23, 8).TrimEnd(), Is.EqualTo("1.0"));
            Assert.That(AtaString(page, 27, 40).TrimEnd(), Is.EqualTo("TEST MODEL"));
            Assert.That(new[] { Word(page, 1), Word(page, 3), Word(page, 6) }, Is.EqualTo(new ushort[] { 100, 4, 32 }));
        });
    }

    [Test]
    public void Identify_RaisesIrqAndStatusReadLowersIt()
    {
        _rig.AttachDisk();
        _rig.Start();

        _rig.Out(Command, IdentifyDevice);

        Assert.Multiple(() =>
        {
            Assert.That(_rig.Irq, Is.True);
            Assert.That(_rig.In(AltStatus), Is.EqualTo(Drdy | Dsc | Drq));
            Assert.That(_rig.Irq, Is.True, "alternate status leaves INTRQ alone");
            Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc | Drq));
            Assert.That(_rig.Irq, Is.False, "status read clears INTRQ");
        });
    }

    [Test]
    public void ReadSectors_Lba28_ReturnsImageDataWithIrqPerSector()
    {
        _rig.AttachDisk();
        _rig.Start();

        _rig.Lba28Command(ReadSectors, 100, 3);
        _rig.Settle();
        var irqs = new List<bool>();
        var data = new List<byte>();
        for (var i = 0; i < 3; i++)
        {
            irqs.Add(_rig.Irq);
            Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc | Drq));
            data.AddRange(_rig.ReadData(SectorSize));
            _rig.Settle();
        }

        Assert.Multiple(() =>
        {
            Assert.That(data.ToArray(), Is.EqualTo(PatternBytes(100 * SectorSize, 3 * SectorSize)));
            Assert.That(irqs, Is.All.True);
            Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc));
            Assert.That(_rig.In(LbaLow), Is.EqualTo(103), "address advanced past the transfer");
            Assert.That(_rig.In(Count), Is.EqualTo(0));
        });
    }

    [Test]
    public void ReadSectors_DwordAccesses_ReturnSameData()
    {
        _rig.AttachDisk();
        _rig.Start();
        _rig.Lba28Command(ReadSectors, 7, 1);
        _rig.Settle();

        var data = new byte[SectorSize];
        for (var i = 0; i < SectorSize; i += 4)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(i), _rig.InL(Data));
        }

        Assert.That(data, Is.EqualTo(PatternBytes(7 * SectorSize, SectorSize)));
    }

    [Test]
    public void ReadSectors_CountZero_Means256Sectors()
    {
        _rig.AttachDisk();
        _rig.Start();

        _rig.Lba28Command(ReadSectors, 0, 0);
        _rig.Settle();
        var blocks = 0;
        while ((_rig.In(Status) & Drq) != 0)
        {
            _rig.ReadData(SectorSize);
            _rig.Settle();
            blocks++;
        }

        Assert.That(blocks, Is.EqualTo(256));
    }

    [Test]
    public void WriteSectors_Lba28_LandsInImage()
    {
        var backend = _rig.AttachDisk();
        _rig.Start();
        var payload = Enumerable.Range(0, 2 * SectorSize).Select(i => (byte)(i * 3)).ToArray();

        _rig.Lba28Command(WriteSectors, 20, 2);
        var firstBlockIrq = _rig.Irq;
        Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc | Drq), "first block requested at once");
        _rig.WriteData(payload.AsSpan(0, SectorSize));
        _rig.Settle();
        Assert.That(_rig.Irq, Is.True, "IRQ after the first block is committed");
        Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc | Drq));
        _rig.WriteData(payload.AsSpan(SectorSize));
        _rig.Settle();

        var onDisk = new byte[2 * SectorSize];
        backend.Read(20 * SectorSize, onDisk);
        Assert.Multiple(() =>
        {
            Assert.That(firstBlockIrq, Is.False, "no IRQ before the first write block");
            Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc));
            Assert.That(onDisk, Is.EqualTo(payload));
        });
    }

    [Test]
    public void Lba48_BeyondLba28Limit_RoundTripsThroughImage()
    {
        const long lba = (1L << 28) + 5;
        var path = _rig.CreateImageFile((lba + 16) * SectorSize, filled: 0);
        var backend = _rig.OpenImage(path, "big");
        _rig.Ide.AttachDisk(0, 0, backend);
        _rig.Start();
        var payload = Enumerable.Range(0, SectorSize).Select(i => (byte)(255 - (i & 0xFF))).ToArray();

        _rig.Lba48Command(WriteSectorsExt, lba, 1);
        _rig.WriteData(payload);
        _rig.Settle();
        _rig.Lba48Command(ReadSectorsExt, lba, 1);
        _rig.Settle();
        var readBack = _rig.ReadData(SectorSize);
        var onDisk = new byte[SectorSize];
        backend.Read(lba * SectorSize, onDisk);

        Assert.Multiple(() =>
        {
            Assert.That(readBack, Is.EqualTo(payload));
            Assert.That(onDisk, Is.EqualTo(payload));
        });
    }

    [Test]
    public void Lba48_HobBit_ReadsHighOrderBytes()
    {
        _rig.AttachDisk();
        _rig.Start();

        _rig.Out(LbaLow, 0x11);
        _rig.Out(LbaLow, 0x22);
        _rig.Out(Control, Hob);
        var high = _rig.In(LbaLow);
        _rig.Out(Control, 0);
        var low = _rig.In(LbaLow);

        Assert.That((high, low), Is.EqualTo(((byte)0x11, (byte)0x22)));
    }

    [Test]
    public void ReadSectors_Chs_UsesDefaultTranslation()
    {
        _rig.AttachDisk();
        _rig.Start();
        const int cylinder = 2, head = 5, sector = 7;

        _rig.Out(Device, (byte)(Obsolete | head));
        _rig.Out(Count, 1);
        _rig.Out(LbaLow, sector);
        _rig.Out(LbaMid, cylinder);
        _rig.Out(LbaHigh, 0);
        _rig.Out(Command, ReadSectors);
        _rig.Settle();

        const long lba = (((cylinder * 16) + head) * 63) + sector - 1;
        Assert.That(_rig.ReadData(SectorSize), Is.EqualTo(PatternBytes(lba * SectorSize, SectorSize)));
    }

    [Test]
    public void ReadSectors_ChsAfterInitializeDeviceParameters_UsesNewTranslation()
    {
        _rig.AttachDisk();
        _rig.Start();
        _rig.Out(Device, Obsolete | 3);
        _rig.Out(Count, 17);
        _rig.Out(Command, InitializeDeviceParameters);
        var status = _rig.In(Status);

        _rig.Out(Device, Obsolete | 1);
        _rig.Out(Count, 1);
        _rig.Out(LbaLow, 2);
        _rig.Out(LbaMid, 1);
        _rig.Out(LbaHigh, 0);
        _rig.Out(Command, ReadSectors);
        _rig.Settle();

        const long lba = (((1 * 4) + 1) * 17) + 2 - 1;
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(Drdy | Dsc));
            Assert.That(_rig.ReadData(SectorSize), Is.EqualTo(PatternBytes(lba * SectorSize, SectorSize)));
        });
    }

    [Test]
    public void ReadSectors_ChsSectorZero_Aborts()
    {
        _rig.AttachDisk();
        _rig.Start();

        _rig.Out(Device, Obsolete);
        _rig.Out(Count, 1);
        _rig.Out(LbaLow, 0);
        _rig.Out(Command, ReadSectors);

        Assert.That((_rig.In(Status), _rig.In(ErrorReg)), Is.EqualTo(((byte)(Drdy | Err), Abrt)));
    }

    [Test]
    public void ReadMultiple_BlockOfMultipleCount_OneIrqPerBlock()
    {
        _rig.AttachDisk();
        _rig.Start();
        _rig.Out(Count, 4);
        _rig.Out(Command, SetMultipleMode);
        Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc));

        _rig.Lba28Command(ReadMultiple, 40, 10);
        _rig.Settle();
        _rig.In(Status);
        var irqAfterSector = new List<bool>();
        var data = new List<byte>();
        for (var i = 0; i < 10; i++)
        {
            data.AddRange(_rig.ReadData(SectorSize));
            irqAfterSector.Add(_rig.Irq);
            _rig.In(Status);
        }

        Assert.Multiple(() =>
        {
            Assert.That(irqAfterSector, Is.EqualTo(new[] { false, false, false, true, false, false, false, true, false, false }));
            Assert.That(data.ToArray(), Is.EqualTo(PatternBytes(40 * SectorSize, 10 * SectorSize)));
        });
    }

    [Test]
    public void WriteMultiple_LandsInImage()
    {
        var backend = _rig.AttachDisk();
        _rig.Start();
        var payload = Enumerable.Range(0, 6 * SectorSize).Select(i => (byte)(i * 5)).ToArray();

        _rig.Lba28Command(WriteMultiple, 300, 6);
        _rig.WriteData(payload);
        _rig.Settle();

        var onDisk = new byte[payload.Length];
        backend.Read(300 * SectorSize, onDisk);
        Assert.Multiple(() =>
        {
            Assert.That(onDisk, Is.EqualTo(payload));
            Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc));
        });
    }

    [TestCase(3)]
    [TestCase(32)]
    public void SetMultipleMode_NotPowerOfTwoUpTo16_Aborts(int count)
    {
        _rig.AttachDisk();
        _rig.Start();

        _rig.Out(Count, (byte)count);
        _rig.Out(Command, SetMultipleMode);

        Assert.That((_rig.In(Status), _rig.In(ErrorReg)), Is.EqualTo(((byte)(Drdy | Err), Abrt)));
    }

    [Test]
    public void ReadMultiple_MultipleModeOff_Aborts()
    {
        _rig.AttachDisk();
        _rig.Start();
        _rig.Out(Count, 0);
        _rig.Out(Command, SetMultipleMode);

        _rig.Lba28Command(ReadMultiple, 0, 1);

        Assert.That((_rig.In(Status), _rig.In(ErrorReg)), Is.EqualTo(((byte)(Drdy | Err), Abrt)));
    }

    [TestCase(16384L, 1)]
    [TestCase(16383L, 2)]
    [TestCase(0x0FFF_FFFFL, 1)]
    public void ReadSectors_PastEndOfDisk_AbortsWithIrq(long lba, int count)
    {
        _rig.AttachDisk(8 << 20);
        _rig.Start();

        _rig.Lba28Command(ReadSectors, lba, count);
        _rig.Settle();

        Assert.Multiple(() =>
        {
            Assert.That(_rig.Irq, Is.True);
            Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Err));
            Assert.That(_rig.In(ErrorReg), Is.EqualTo(Abrt));
        });
    }

    [Test]
    public void WriteSectorsExt_PastEndOfDisk_Aborts()
    {
        _rig.AttachDisk(8 << 20);
        _rig.Start();

        _rig.Lba48Command(WriteSectorsExt, 1L << 40, 1);

        Assert.That((_rig.In(Status), _rig.In(ErrorReg)), Is.EqualTo(((byte)(Drdy | Err), Abrt)));
    }

    [Test]
    public void DataPort_ReadWithDrqClear_ReturnsZeroAndChangesNothing()
    {
        _rig.AttachDisk();
        _rig.Start();

        var value = _rig.InW(Data);

        Assert.That((value, _rig.In(Status)), Is.EqualTo(((ushort)0, (byte)(Drdy | Dsc))));
    }

    [Test]
    public void Command_WrittenWhileBusy_IsIgnored()
    {
        _rig.AttachDisk();
        _rig.Start();

        _rig.Lba28Command(ReadSectors, 9, 1);
        var busy = _rig.In(Status);
        _rig.Out(Command, IdentifyDevice);
        _rig.Out(LbaLow, 0x55);
        _rig.Settle();

        Assert.Multiple(() =>
        {
            Assert.That(busy & Bsy, Is.Not.Zero);
            Assert.That(_rig.ReadData(SectorSize), Is.EqualTo(PatternBytes(9 * SectorSize, SectorSize)), "the first command's data");
        });
    }

    [Test]
    public void Nop_Aborts()
    {
        _rig.AttachDisk();
        _rig.Start();

        _rig.Out(Command, Nop);

        Assert.That((_rig.In(Status), _rig.In(ErrorReg)), Is.EqualTo(((byte)(Drdy | Err), Abrt)));
    }

    [Test]
    public void UnknownOpcode_Aborts()
    {
        _rig.AttachDisk();
        _rig.Start();

        _rig.Out(Command, 0xFF);
        var irq = _rig.Irq;

        Assert.That((irq, _rig.In(Status), _rig.In(ErrorReg)), Is.EqualTo((true, (byte)(Drdy | Err), Abrt)));
    }

    [Test]
    public void ReadNativeMaxAddress_ReturnsLastLba()
    {
        _rig.AttachDisk(8 << 20);
        _rig.Start();

        _rig.Out(Device, Obsolete | LbaMode);
        _rig.Out(Command, ReadNativeMaxAddress);

        var last = _rig.In(LbaLow) | (_rig.In(LbaMid) << 8) | (_rig.In(LbaHigh) << 16) | ((_rig.In(Device) & 0x0F) << 24);
        Assert.That(last, Is.EqualTo(((8 << 20) / SectorSize) - 1));
    }

    [Test]
    public void CheckPowerMode_ReportsActive()
    {
        _rig.AttachDisk();
        _rig.Start();

        _rig.Out(Command, CheckPowerMode);

        Assert.That((_rig.In(Status), _rig.In(Count)), Is.EqualTo(((byte)(Drdy | Dsc), (byte)0xFF)));
    }

    [Test]
    public void FlushCache_CompletesWithIrq()
    {
        _rig.AttachDisk();
        _rig.Start();

        _rig.Out(Command, FlushCache);
        _rig.Settle();

        Assert.That((_rig.In(AltStatus), _rig.Irq), Is.EqualTo(((byte)(Drdy | Dsc), true)));
    }

    [Test]
    public void SetFeatures_DisableWriteCache_ClearsIdentifyWord85Bit5()
    {
        _rig.AttachDisk();
        _rig.Start();
        var before = Word(Identify(), 85);

        _rig.Out(Features, 0x82);
        _rig.Out(Command, SetFeatures);
        _rig.Settle();
        var status = _rig.In(Status);
        var after = Word(Identify(), 85);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(Drdy | Dsc));
            Assert.That(before & 0x20, Is.Not.Zero);
            Assert.That(after & 0x20, Is.Zero);
        });
    }

    [Test]
    public void SetFeatures_TransferModeMultiwordDma2_SelectsWord63Bit10()
    {
        _rig.AttachDisk();
        _rig.Start();

        _rig.Out(Features, 0x03);
        _rig.Out(Count, 0x20 | 2);
        _rig.Out(Command, SetFeatures);
        var page = Identify();

        Assert.Multiple(() =>
        {
            Assert.That(Word(page, 63), Is.EqualTo(0x0407));
            Assert.That(Word(page, 88), Is.EqualTo(0x003F), "UDMA no longer selected");
        });
    }

    [Test]
    public void SetFeatures_UnknownSubcommand_Aborts()
    {
        _rig.AttachDisk();
        _rig.Start();

        _rig.Out(Features, 0x77);
        _rig.Out(Command, SetFeatures);

        Assert.That((_rig.In(Status), _rig.In(ErrorReg)), Is.EqualTo(((byte)(Drdy | Err), Abrt)));
    }
}
