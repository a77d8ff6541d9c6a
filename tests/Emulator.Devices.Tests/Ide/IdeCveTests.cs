using System.Buffers.Binary;
using Emulator.Block.Backend;
using static Emulator.Devices.Tests.Ide.IdeRig;

namespace Emulator.Devices.Tests.Ide;

/// <summary>
/// QEMU's IDE/ATAPI out-of-bounds class replayed as guest sequences: CVE-2020-29443 (ATAPI reads whose
/// LBA and count run past the medium, so the reply pointer ran past the I/O buffer) and its kind —
/// data-port reads and writes driven past the end of a transfer. Each checks the guest-visible status
/// and sense, that the image keeps its bytes outside what the guest wrote, and that the drive still
/// answers. Related cases in <see cref="AtapiTests"/>: Read10_PastEnd_*, Read12_HugeCount_*.
/// </summary>
public class IdeCveTests
{
    private const byte Packet = 0xA0;
    private const byte RequestSense = 0x03;
    private const byte Inquiry = 0x12;
    private const byte ReadCd = 0xBE;
    private const byte ReadCdUserData = 0x10;
    private const byte WriteSectors = 0x30;
    private const byte IllegalRequest = 0x5;
    private const byte LbaOutOfRange = 0x21;
    private const int CdSector = 2048;
    private const int DiscBlocks = 100;
    private const int InquiryLength = 36;
    private const int PastTheEndWords = 70_000;

    private IdeRig _rig = null!;

    [SetUp]
    public void SetUp() => _rig = new IdeRig();

    [TearDown]
    public void TearDown() => _rig.Dispose();

    [TestCase((uint)(DiscBlocks - 1), 2)]
    [TestCase((uint)DiscBlocks, 1)]
    [TestCase(0xFFFF_FFF0u, 0x20)]
    public void Cve2020_29443_ReadCdPastTheMedium_IllegalRequestLbaOutOfRange(uint lba, int count)
    {
        Cdrom();
        var cdb = new byte[12];
        cdb[0] = ReadCd;
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(2), lba);
        cdb[6] = (byte)(count >> 16);
        cdb[7] = (byte)(count >> 8);
        cdb[8] = (byte)count;
        cdb[9] = ReadCdUserData;

        SendPacket(cdb);
        var status = _rig.In(Status);

        Assert.Multiple(() =>
        {
            Assert.That(status & (Err | Drq), Is.EqualTo(Err), "CHECK CONDITION, no data phase");
            Assert.That(Sense(), Is.EqualTo((IllegalRequest, LbaOutOfRange)));
        });
    }

    [Test]
    public void Cve2020_29443_DataPortReadPastTheReply_FloatsAndDriveStillAnswers()
    {
        Cdrom();
        SendPacket([Inquiry, 0, 0, 0, InquiryLength, 0, 0, 0, 0, 0, 0, 0]);
        var reply = _rig.ReadData(InquiryLength);
        for (var i = 0; i < PastTheEndWords; i++)
        {
            _rig.InW(Data);
        }

        SendPacket(new byte[12]);
        var ready = _rig.In(Status);

        Assert.Multiple(() =>
        {
            Assert.That(reply[0], Is.EqualTo(0x05), "INQUIRY answered: peripheral type CD/DVD");
            Assert.That(ready & (Err | Drq | Bsy), Is.Zero, "TEST UNIT READY after the over-read: good status");
        });
    }

    [Test]
    public void AtaWriteSectors_DataPortWrittenPastTheSector_OnlyThatSectorChanges()
    {
        var disk = _rig.AttachDisk();
        _rig.Start();
        var before = new byte[4 * SectorSize];
        disk.Read(0, before);

        _rig.Lba28Command(WriteSectors, 1, 1);
        _rig.WriteData(Enumerable.Repeat((byte)0xC3, SectorSize).ToArray());
        for (var i = 0; i < PastTheEndWords; i++)
        {
            _rig.OutW(Data, 0xEEEE);
        }

        _rig.Settle();
        var after = new byte[4 * SectorSize];
        disk.Read(0, after);

        Assert.Multiple(() =>
        {
            Assert.That(_rig.In(Status) & (Err | Drq | Bsy), Is.Zero);
            Assert.That(after.AsSpan(0, SectorSize).ToArray(), Is.EqualTo(before.AsSpan(0, SectorSize).ToArray()));
            Assert.That(after.AsSpan(SectorSize, SectorSize).ToArray(), Is.All.EqualTo(0xC3));
            Assert.That(after.AsSpan(2 * SectorSize).ToArray(), Is.EqualTo(before.AsSpan(2 * SectorSize).ToArray()));
        });
    }

    private BlockBackend Cdrom()
    {
        var cd = _rig.OpenImage(_rig.CreateImageFile(DiscBlocks * CdSector, "cd.iso"), "cd0");
        _rig.Ide.AttachCdrom(0, 0, cd);
        _rig.Start();

        // Clear the power-on unit attention so the CVE sequence sees its own sense.
        SendPacket(new byte[12]);
        Sense();
        return cd;
    }

    private void SendPacket(byte[] cdb)
    {
        _rig.Out(Features, 0);
        _rig.Out(LbaMid, 0xFE);
        _rig.Out(LbaHigh, 0xFF);
        _rig.Out(Command, Packet);
        _rig.WriteData(cdb);
        _rig.Settle();
    }

    private (byte Key, byte Asc) Sense()
    {
        SendPacket([RequestSense, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0]);
        var sense = _rig.ReadData(18);
        _rig.Settle();
        return ((byte)(sense[2] & 0x0F), sense[12]);
    }
}
