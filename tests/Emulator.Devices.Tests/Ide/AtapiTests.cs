using System.Buffers.Binary;
using Emulator.Block.Backend;
using static Emulator.Devices.Tests.Ide.IdeRig;

namespace Emulator.Devices.Tests.Ide;

/// <summary>The ATAPI CD-ROM through the PACKET protocol (SFF-8020i, MMC-5, ATA/ATAPI-6 chapter 9; QEMU's ide-cd behaviour).</summary>
public class AtapiTests
{
    private const byte Packet = 0xA0;
    private const byte IdentifyPacketDevice = 0xA1;
    private const byte IdentifyDevice = 0xEC;
    private const byte ReadSectors = 0x20;

    private const byte TestUnitReady = 0x00;
    private const byte RequestSense = 0x03;
    private const byte Inquiry = 0x12;
    private const byte StartStopUnit = 0x1B;
    private const byte PreventAllow = 0x1E;
    private const byte ReadCapacity = 0x25;
    private const byte Read10 = 0x28;
    private const byte ReadToc = 0x43;
    private const byte GetConfiguration = 0x46;
    private const byte GetEventStatus = 0x4A;
    private const byte ModeSense10 = 0x5A;
    private const byte Read12 = 0xA8;
    private const byte ReadCd = 0xBE;

    private const byte NotReady = 0x2;
    private const byte IllegalRequest = 0x5;
    private const byte UnitAttention = 0x6;
    private const byte MediumNotPresent = 0x3A;
    private const byte MediumMayHaveChanged = 0x28;
    private const byte LbaOutOfRange = 0x21;
    private const byte InvalidOpcode = 0x20;
    private const byte InvalidField = 0x24;
    private const byte RemovalPrevented = 0x53;

    private const byte ReasonIoCd = 0x03;
    private const int CdSector = 2048;
    private const int DiscBlocks = 100;

    private IdeRig _rig = null!;
    private BlockBackend _cd = null!;

    [SetUp]
    public void SetUp()
    {
        _rig = new IdeRig();
        _cd = _rig.OpenImage(_rig.CreateImageFile(DiscBlocks * CdSector, "cd.iso"), "cd0");
        _rig.Ide.AttachCdrom(0, 0, _cd);
        _rig.Start();
    }

    [TearDown]
    public void TearDown() => _rig.Dispose();

    private static byte[] Cdb(params byte[] bytes)
    {
        var cdb = new byte[12];
        bytes.CopyTo(cdb, 0);
        return cdb;
    }

    private static byte[] Read10Cdb(uint lba, ushort count)
    {
        var cdb = Cdb(Read10);
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(2), lba);
        BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(7), count);
        return cdb;
    }

    /// <summary>Issues PACKET with the byte count limit and writes the 12-byte command.</summary>
    private void SendPacket(byte[] cdb, int byteCountLimit = 0xFFFE, bool dma = false)
    {
        _rig.Out(Features, (byte)(dma ? 1 : 0));
        _rig.Out(LbaMid, (byte)byteCountLimit);
        _rig.Out(LbaHigh, (byte)(byteCountLimit >> 8));
        _rig.Out(Command, Packet);
        _rig.WriteData(cdb);
        _rig.Settle();
    }

    /// <summary>Reads every DRQ block of the reply, each of the byte count the device put in LBA mid/high.</summary>
    private (byte[] Data, List<int> Blocks) ReadReply()
    {
        var data = new List<byte>();
        var blocks = new List<int>();
        while ((_rig.In(Status) & Drq) != 0)
        {
            var count = _rig.In(LbaMid) | (_rig.In(LbaHigh) << 8);
            blocks.Add(count);
            data.AddRange(_rig.ReadData(count));
            _rig.Settle();
        }

        return (data.ToArray(), blocks);
    }

    private byte[] Exchange(byte[] cdb, int byteCountLimit = 0xFFFE)
    {
        SendPacket(cdb, byteCountLimit);
        return ReadReply().Data;
    }

    private (byte Key, byte Asc) Sense()
    {
        var sense = Exchange(Cdb(RequestSense, 0, 0, 0, 18));
        return ((byte)(sense[2] & 0x0F), sense[12]);
    }

    private (byte Status, byte Error) Outcome() => (_rig.In(Status), _rig.In(ErrorReg));

    [Test]
    public void IdentifyDevice_OnCdrom_AbortsWithPacketSignature()
    {
        _rig.Out(LbaMid, 0);
        _rig.Out(Command, IdentifyDevice);

        Assert.That((Outcome(), _rig.In(LbaMid), _rig.In(LbaHigh)), Is.EqualTo((((byte)(Drdy | Err), Abrt), (byte)0x14, (byte)0xEB)));
    }

    [Test]
    public void ReadSectors_OnCdrom_AbortsWithPacketSignature()
    {
        _rig.Out(LbaMid, 0);
        _rig.Out(Command, ReadSectors);

        Assert.That((Outcome(), _rig.In(LbaMid), _rig.In(LbaHigh)), Is.EqualTo((((byte)(Drdy | Err), Abrt), (byte)0x14, (byte)0xEB)));
    }

    [Test]
    public void IdentifyPacketDevice_Word0IsCdromConfig()
    {
        _rig.Out(Command, IdentifyPacketDevice);
        var page = _rig.ReadData(512);

        Assert.Multiple(() =>
        {
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(page), Is.EqualTo(0x85C0));
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(49 * 2)) & 0x0300, Is.EqualTo(0x0300));
        });
    }

    [Test]
    public void Packet_AwaitsCommandWithCdReasonAndNoIrq()
    {
        _rig.Out(LbaMid, 0xFE);
        _rig.Out(LbaHigh, 0xFF);
        _rig.Out(Command, Packet);
        var irq = _rig.Irq;

        Assert.That((irq, _rig.In(Status), _rig.In(Count)), Is.EqualTo((false, (byte)(Drdy | Dsc | Drq), (byte)0x01)));
    }

    [Test]
    public void TestUnitReady_WithMedium_GoodStatusReason3AndIrq()
    {
        SendPacket(Cdb(TestUnitReady));
        var irq = _rig.Irq;

        Assert.That((irq, _rig.In(Status), _rig.In(Count) & 7), Is.EqualTo((true, (byte)(Drdy | Dsc), ReasonIoCd)));
    }

    [Test]
    public void ReadCapacity_ReportsLastBlockAnd2048()
    {
        var reply = Exchange(Cdb(ReadCapacity));

        Assert.That((BinaryPrimitives.ReadUInt32BigEndian(reply), BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(4))), Is.EqualTo(((uint)DiscBlocks - 1, (uint)CdSector)));
    }

    [Test]
    public void Read10_Pio_ReturnsImageSectors()
    {
        var reply = Exchange(Read10Cdb(3, 4));

        Assert.Multiple(() =>
        {
            Assert.That(reply, Is.EqualTo(PatternBytes(3 * CdSector, 4 * CdSector)));
            Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc));
            Assert.That(_rig.In(Count) & 7, Is.EqualTo(ReasonIoCd));
        });
    }

    [Test]
    public void Read10_ByteCountLimit_SplitsDrqBlocksWithIrqEach()
    {
        SendPacket(Read10Cdb(0, 2), byteCountLimit: 1000);
        var irqs = new List<bool>();
        var blocks = new List<int>();
        var data = new List<byte>();
        while ((_rig.In(AltStatus) & Drq) != 0)
        {
            irqs.Add(_rig.Irq);
            _rig.In(Status);
            var count = _rig.In(LbaMid) | (_rig.In(LbaHigh) << 8);
            blocks.Add(count);
            data.AddRange(_rig.ReadData(count));
            _rig.Settle();
        }

        Assert.Multiple(() =>
        {
            Assert.That(blocks.Sum(), Is.EqualTo(2 * CdSector));
            Assert.That(blocks, Is.All.LessThanOrEqualTo(1000));
            Assert.That(blocks[0], Is.EqualTo(1000));
            Assert.That(irqs, Is.All.True);
            Assert.That(data.ToArray(), Is.EqualTo(PatternBytes(0, 2 * CdSector)));
        });
    }

    [Test]
    public void Read10_WholeDiscWithLargeLimit_FullBlocksAcrossFetches()
    {
        SendPacket(Read10Cdb(0, DiscBlocks));
        var (data, blocks) = ReadReply();

        Assert.Multiple(() =>
        {
            Assert.That(data, Is.EqualTo(PatternBytes(0, DiscBlocks * CdSector)));
            Assert.That(blocks.Take(blocks.Count - 1), Is.All.EqualTo(0xFFFE), "every block but the last is the full limit");
        });
    }

    [Test]
    public void Inquiry_Dma_ReplyInMemory()
    {
        const uint prd = 0x2000, buffer = 0x30000;
        _rig.EnableBusMaster();
        _rig.OutL(BmPrd, prd);
        _rig.WritePrdTable(prd, (buffer, 36, true));

        SendPacket(Cdb(Inquiry, 0, 0, 0, 36), dma: true);
        _rig.Out(BmCommand, BmStart | BmToMemory);
        _rig.Settle();

        Assert.That((_rig.ReadMemory(buffer, 2), _rig.In(Status)), Is.EqualTo((new byte[] { 0x05, 0x80 }, (byte)(Drdy | Dsc))));
    }

    [Test]
    public void Packet_OverlapFeature_Aborts()
    {
        _rig.Out(Features, 0x02);
        _rig.Out(Command, Packet);

        Assert.That(Outcome(), Is.EqualTo(((byte)(Drdy | Err), Abrt)));
    }

    [Test]
    public void Resize_ReadCapacityFollows()
    {
        _cd.Truncate(200 * CdSector);

        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(Exchange(Cdb(ReadCapacity))), Is.EqualTo(199u));
    }

    [Test]
    public void Read10_OddByteCountLimit_BlocksAreEven()
    {
        SendPacket(Read10Cdb(0, 1), byteCountLimit: 1001);
        var (data, blocks) = ReadReply();

        Assert.Multiple(() =>
        {
            Assert.That(blocks, Is.All.Matches<int>(b => b % 2 == 0));
            Assert.That(data, Is.EqualTo(PatternBytes(0, CdSector)));
        });
    }

    [Test]
    public void Read10_ByteCountLimitZero_AbortsAtAtaLevel()
    {
        SendPacket(Read10Cdb(0, 1), byteCountLimit: 0);

        Assert.That(Outcome(), Is.EqualTo(((byte)(Drdy | Err), Abrt)));
    }

    [Test]
    public void Read10_PastEnd_IllegalRequestLbaOutOfRange()
    {
        SendPacket(Read10Cdb(DiscBlocks - 1, 2));
        var outcome = Outcome();

        Assert.That((outcome, Sense()), Is.EqualTo((((byte)(Drdy | Err), (byte)(IllegalRequest << 4)), (IllegalRequest, LbaOutOfRange))));
    }

    [Test]
    public void Read12_HugeCount_IllegalRequestWithoutOverflow()
    {
        var cdb = Cdb(Read12);
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(2), 0xFFFF_FFF0);
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(6), 0xFFFF_FFFF);
        SendPacket(cdb);

        Assert.That(Sense(), Is.EqualTo((IllegalRequest, LbaOutOfRange)));
    }

    [Test]
    public void Read10_Dma_DataInMemory()
    {
        const uint prd = 0x2000, buffer = 0x20000;
        _rig.EnableBusMaster();
        _rig.OutL(BmPrd, prd);
        _rig.WritePrdTable(prd, (buffer, 3 * CdSector, true));

        SendPacket(Read10Cdb(10, 3), dma: true);
        _rig.Out(BmCommand, BmStart | BmToMemory);
        _rig.Settle();
        var irq = _rig.Irq;

        Assert.Multiple(() =>
        {
            Assert.That(_rig.ReadMemory(buffer, 3 * CdSector), Is.EqualTo(PatternBytes(10 * CdSector, 3 * CdSector)));
            Assert.That((irq, _rig.In(Status), _rig.In(Count) & 7, _rig.In(BmStatus)), Is.EqualTo((true, (byte)(Drdy | Dsc), ReasonIoCd, BmInterrupt)));
        });
    }

    [Test]
    public void Read10_DmaScatteredSubSectorPrds_DataInEachRegion()
    {
        const uint prd = 0x2000, buffer = 0x40000;
        _rig.EnableBusMaster();
        _rig.OutL(BmPrd, prd);
        _rig.WritePrdTable(prd, Enumerable.Range(0, 4).Select(i => (buffer + (uint)(i * 0x1000), 1024, i == 3)).ToArray());

        SendPacket(Read10Cdb(7, 2), dma: true);
        _rig.Out(BmCommand, BmStart | BmToMemory);
        _rig.Settle();

        var landed = Enumerable.Range(0, 4).SelectMany(i => _rig.ReadMemory(buffer + (uint)(i * 0x1000), 1024)).ToArray();
        Assert.That(landed, Is.EqualTo(PatternBytes(7 * CdSector, 2 * CdSector)));
    }

    [Test]
    public void Read10_DmaLongPrd_EngineInactiveUnlikeAta()
    {
        const uint prd = 0x2000, buffer = 0x40000;
        _rig.EnableBusMaster();
        _rig.OutL(BmPrd, prd);
        _rig.WritePrdTable(prd, (buffer, 8 * CdSector, true));

        SendPacket(Read10Cdb(0, 1), dma: true);
        _rig.Out(BmCommand, BmStart | BmToMemory);
        _rig.Settle();

        Assert.That(_rig.In(BmStatus), Is.EqualTo(BmInterrupt));
    }

    [Test]
    public void Inquiry_StandardData()
    {
        var reply = Exchange(Cdb(Inquiry, 0, 0, 0, 36));

        Assert.Multiple(() =>
        {
            Assert.That(reply[0], Is.EqualTo(0x05), "CD/DVD device");
            Assert.That(reply[1], Is.EqualTo(0x80), "removable");
            Assert.That(System.Text.Encoding.ASCII.GetString(reply, 16, 16), Is.EqualTo("QEMU DVD-ROM    "));
        });
    }

    [Test]
    public void Inquiry_VpdPage83_T10VendorIdWithModelAndSerial()
    {
        var reply = Exchange(Cdb(Inquiry, 1, 0x83, 0, 255));

        Assert.Multiple(() =>
        {
            Assert.That(reply[1], Is.EqualTo(0x83));
            Assert.That(System.Text.Encoding.ASCII.GetString(reply, 8, 8), Is.EqualTo("ATA     "));
            Assert.That(System.Text.Encoding.ASCII.GetString(reply, 16, 12), Is.EqualTo("QEMU DVD-ROM"));
            Assert.That(System.Text.Encoding.ASCII.GetString(reply, 56, 7), Is.EqualTo("QM00001"));
        });
    }

    [Test]
    public void Inquiry_UnknownVpdPage_InvalidField()
    {
        SendPacket(Cdb(Inquiry, 1, 0x80, 0, 255));

        Assert.That(Sense(), Is.EqualTo((IllegalRequest, InvalidField)));
    }

    [Test]
    public void UnknownOpcode_InvalidCommandOperationCode()
    {
        SendPacket(Cdb(0xF7));

        Assert.That(Sense(), Is.EqualTo((IllegalRequest, InvalidOpcode)));
    }

    [Test]
    public void ReadToc_Format0_TrackOneAndLeadOut()
    {
        var cdb = Cdb(ReadToc);
        BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(7), 100);
        var reply = Exchange(cdb);

        Assert.Multiple(() =>
        {
            Assert.That(reply.Length, Is.EqualTo(20));
            Assert.That((reply[2], reply[3]), Is.EqualTo(((byte)1, (byte)1)), "first/last track");
            Assert.That((reply[5], reply[6]), Is.EqualTo(((byte)0x14, (byte)1)), "data track 1");
            Assert.That(reply[14], Is.EqualTo(0xAA), "lead-out");
            Assert.That(BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(16)), Is.EqualTo((uint)DiscBlocks));
        });
    }

    [Test]
    public void ReadToc_Msf_LeadOutAddress()
    {
        var cdb = Cdb(ReadToc, 0x02);
        BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(7), 100);
        var reply = Exchange(cdb);

        const int frames = DiscBlocks + 150;
        Assert.That(reply.Skip(17).Take(3).ToArray(), Is.EqualTo(new[] { (byte)(frames / 4500), (byte)(frames / 75 % 60), (byte)(frames % 75) }));
    }

    [Test]
    public void ReadToc_BadStartingTrack_InvalidField()
    {
        var cdb = Cdb(ReadToc, 0, 0, 0, 0, 0, 5);
        BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(7), 100);
        SendPacket(cdb);

        Assert.That(Sense(), Is.EqualTo((IllegalRequest, InvalidField)));
    }

    [Test]
    public void GetConfiguration_CurrentProfileCdRom()
    {
        var cdb = Cdb(GetConfiguration);
        BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(7), 512);
        var reply = Exchange(cdb);

        Assert.That(BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(6)), Is.EqualTo(0x0008));
    }

    [Test]
    public void ModeSense10_Capabilities_ReportsLock()
    {
        Exchange(Cdb(PreventAllow, 0, 0, 0, 1));
        var cdb = Cdb(ModeSense10, 0, 0x2A);
        BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(7), 64);
        var reply = Exchange(cdb);

        Assert.Multiple(() =>
        {
            Assert.That(reply[8], Is.EqualTo(0x2A));
            Assert.That(reply[14] & 0x02, Is.EqualTo(0x02), "locked");
        });
    }

    [Test]
    public void ModeSense10_SavedValues_SavingParametersNotSupported()
    {
        var cdb = Cdb(ModeSense10, 0, 0xC0 | 0x2A);
        BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(7), 64);
        SendPacket(cdb);

        Assert.That(Sense(), Is.EqualTo((IllegalRequest, (byte)0x39)));
    }

    [Test]
    public void ReadCd_UserData_ReturnsSectors()
    {
        var cdb = Cdb(ReadCd);
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(2), 5);
        cdb[8] = 1;
        cdb[9] = 0x10;

        Assert.That(Exchange(cdb), Is.EqualTo(PatternBytes(5 * CdSector, CdSector)));
    }

    [Test]
    public void ReadCd_RawFrames_SyncHeaderUserDataAndZeroEdc()
    {
        const int frame = 2352;
        var cdb = Cdb(ReadCd);
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(2), 5);
        cdb[8] = 60;
        cdb[9] = 0xF8;

        var reply = Exchange(cdb);

        var sync = new byte[] { 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0 };
        Assert.Multiple(() =>
        {
            Assert.That(reply.Length, Is.EqualTo(60 * frame));
            Assert.That(reply.Take(12), Is.EqualTo(sync));
            Assert.That(reply.Skip(12).Take(4), Is.EqualTo(new byte[] { 0, 2, 5, 1 }), "MSF of LBA 5 + 150, mode 1");
            Assert.That(reply.Skip(16).Take(CdSector), Is.EqualTo(PatternBytes(5 * CdSector, CdSector)));
            Assert.That(reply.Skip(16 + CdSector).Take(288), Is.All.Zero);
            Assert.That(reply.Skip(59 * frame).Take(12), Is.EqualTo(sync), "last frame, after a second fetch");
            Assert.That(reply.Skip((59 * frame) + 16).Take(CdSector), Is.EqualTo(PatternBytes(64 * CdSector, CdSector)));
        });
    }

    [Test]
    public void MediaChange_SenseSequence_NotReadyThenUnitAttentionThenGood()
    {
        var image = _rig.CreateImageFile(50 * CdSector, "other.iso");
        _rig.Layer.Media.ChangeMedium(_cd, image, "raw");
        var results = new List<(byte, byte)>();
        for (var i = 0; i < 3; i++)
        {
            SendPacket(Cdb(TestUnitReady));
            results.Add((_rig.In(Status), _rig.In(ErrorReg)));
        }

        Assert.That(results, Is.EqualTo(new[]
        {
            ((byte)(Drdy | Err), (byte)(NotReady << 4)),
            ((byte)(Drdy | Err), (byte)(UnitAttention << 4)),
            ((byte)0x01, (byte)((UnitAttention << 4) | 0x20)),
        }));
    }

    [Test]
    public void MediaChange_RequestSenseClearsUnitAttention()
    {
        _rig.Layer.Media.ChangeMedium(_cd, _rig.CreateImageFile(50 * CdSector, "other.iso"), "raw");
        SendPacket(Cdb(TestUnitReady));
        SendPacket(Cdb(TestUnitReady));

        var sense = Sense();
        SendPacket(Cdb(TestUnitReady));

        Assert.Multiple(() =>
        {
            Assert.That(sense, Is.EqualTo((UnitAttention, MediumMayHaveChanged)));
            Assert.That(_rig.In(Status), Is.EqualTo(Drdy | Dsc));
            Assert.That(Exchange(Cdb(ReadCapacity)).Take(4), Is.EqualTo(new byte[] { 0, 0, 0, 49 }), "new capacity");
        });
    }

    [Test]
    public void MediaChange_RaisesIrq()
    {
        _rig.In(Status);

        _rig.Layer.Media.OpenTray(_cd);

        Assert.That(_rig.Irq, Is.True);
    }

    [Test]
    public void TrayOpen_TestUnitReady_NotReadyMediumNotPresent()
    {
        _rig.Layer.Media.OpenTray(_cd);
        SendPacket(Cdb(TestUnitReady));

        Assert.That(Sense(), Is.EqualTo((NotReady, MediumNotPresent)));
    }

    [Test]
    public void Locked_MonitorOpenTray_RefusedAndEjectRequestReportedOnce()
    {
        Exchange(Cdb(PreventAllow, 0, 0, 0, 1));
        var events = _rig.Events.Count;

        var opened = _rig.Layer.Media.OpenTray(_cd);
        var gesn = Cdb(GetEventStatus, 1, 0, 0, 0x10);
        BinaryPrimitives.WriteUInt16BigEndian(gesn.AsSpan(7), 8);
        var first = Exchange(gesn);
        var second = Exchange(gesn);

        Assert.Multiple(() =>
        {
            Assert.That(opened, Is.False);
            Assert.That(_rig.Events.Skip(events).OfType<DeviceTrayMovedEvent>(), Is.Empty);
            Assert.That((first[2], first[4], first[5]), Is.EqualTo(((byte)4, (byte)1, (byte)2)), "media class, eject requested, medium present");
            Assert.That(second[4], Is.Zero, "reported once");
        });
    }

    [Test]
    public void GetEventStatus_AfterChange_NewMediaOnce()
    {
        _rig.Layer.Media.ChangeMedium(_cd, _rig.CreateImageFile(50 * CdSector, "other.iso"), "raw");
        var gesn = Cdb(GetEventStatus, 1, 0, 0, 0x10);
        BinaryPrimitives.WriteUInt16BigEndian(gesn.AsSpan(7), 8);

        var first = Exchange(gesn);
        var second = Exchange(gesn);

        Assert.That((first[4], second[4]), Is.EqualTo(((byte)2, (byte)0)));
    }

    [Test]
    public void StartStopUnit_EjectWhileLocked_MediumRemovalPrevented()
    {
        Exchange(Cdb(PreventAllow, 0, 0, 0, 1));

        SendPacket(Cdb(StartStopUnit, 0, 0, 0, 0x02));

        Assert.That(Sense(), Is.EqualTo((NotReady, RemovalPrevented)));
    }

    [Test]
    public void StartStopUnit_EjectUnlocked_OpensTrayWithEvent()
    {
        SendPacket(Cdb(StartStopUnit, 0, 0, 0, 0x02));
        var status = _rig.In(Status);
        SendPacket(Cdb(TestUnitReady));

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(Drdy | Dsc));
            Assert.That(_rig.Events.OfType<DeviceTrayMovedEvent>().Single(), Is.EqualTo(new DeviceTrayMovedEvent("cd0", "ide0-cd0", true)));
            Assert.That(_cd.IsTrayOpen, Is.True);
            Assert.That(Sense(), Is.EqualTo((NotReady, MediumNotPresent)));
        });
    }

    [Test]
    public void StartStopUnit_LoadAfterEject_ClosesTrayAndMediumReadable()
    {
        SendPacket(Cdb(StartStopUnit, 0, 0, 0, 0x02));
        SendPacket(Cdb(StartStopUnit, 0, 0, 0, 0x03));

        Assert.Multiple(() =>
        {
            Assert.That(_rig.Events.OfType<DeviceTrayMovedEvent>().Select(e => e.TrayOpen), Is.EqualTo(new[] { true, false }));
            Assert.That(Exchange(Read10Cdb(0, 1)), Is.EqualTo(PatternBytes(0, CdSector)));
        });
    }

    [Test]
    public void EmptyDrive_TestUnitReady_NotReady()
    {
        _rig.Layer.Media.Eject(_cd);
        SendPacket(Cdb(TestUnitReady));
        SendPacket(Cdb(TestUnitReady));

        Assert.That(Sense(), Is.EqualTo((NotReady, MediumNotPresent)));
    }

    [Test]
    public void AttachedEmpty_NotReadyUntilMediumInsertedThenChangeSequence()
    {
        using var rig = new IdeRig();
        var empty = rig.Layer.CreateBackend(new BlockBackendOptions { Name = "cd1" });
        rig.Ide.AttachCdrom(1, 0, empty);
        rig.Start();
        const ushort secondaryCommand = 0x177, secondaryStatus = 0x177, secondaryError = 0x171, secondaryData = 0x170;
        (byte, byte) TestUnitReadyOnSecondary()
        {
            rig.Out(0x174, 0xFE);
            rig.Out(0x175, 0xFF);
            rig.Out(secondaryCommand, Packet);
            rig.Machine.Ports.WriteBlock(secondaryData, Emulator.Machine.Bus.PortWidth.Word, Cdb(TestUnitReady));
            rig.Settle();
            return (rig.In(secondaryStatus), rig.In(secondaryError));
        }

        var empty1 = TestUnitReadyOnSecondary();
        rig.Layer.Media.ChangeMedium(empty, rig.CreateImageFile(10 * CdSector, "late.iso"), "raw");
        var afterInsert = new[] { TestUnitReadyOnSecondary(), TestUnitReadyOnSecondary() };

        Assert.Multiple(() =>
        {
            Assert.That(empty1, Is.EqualTo(((byte)(Drdy | Err), (byte)(NotReady << 4))));
            Assert.That(afterInsert, Is.EqualTo(new[] { ((byte)(Drdy | Err), (byte)(NotReady << 4)), ((byte)(Drdy | Err), (byte)(UnitAttention << 4)) }));
        });
    }

    [Test]
    public void SoftReset_UnlocksTray()
    {
        Exchange(Cdb(PreventAllow, 0, 0, 0, 1));

        _rig.Out(Control, Srst);
        _rig.Out(Control, 0);
        _rig.Settle();

        Assert.That(_cd.IsMediumLocked, Is.False);
    }
}
