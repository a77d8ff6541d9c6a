using System.Buffers.Binary;
using static Emulator.Devices.Tests.Ide.IdeRig;

namespace Emulator.Devices.Tests.Ide;

/// <summary>
/// A hostile guest: seeded random register writes, commands, packets, PRD tables and bus-master
/// starts against a disk and a CD-ROM. Nothing may throw out of the devices, the block I/O must
/// settle, and afterwards a soft reset must bring both drives back to a working state.
/// </summary>
public class IdeHostileGuestTests
{
    private const byte IdentifyDevice = 0xEC;
    private const byte IdentifyPacketDevice = 0xA1;
    private const uint PrdTable = 0x1000;

    private static readonly ushort[] Ports =
    [
        Data, Features, Count, LbaLow, LbaMid, LbaHigh, Device, Command, Control, BmCommand, BmStatus, BmPrd, BmPrd + 1, BmPrd + 2, BmPrd + 3,
    ];

    /// <summary>Opcodes worth hitting often: the implemented ATA commands and PACKET.</summary>
    private static readonly byte[] Commands =
    [
        0x06, 0x08, 0x10, 0x20, 0x21, 0x24, 0x25, 0x27, 0x29, 0x30, 0x34, 0x35, 0x39, 0x40, 0x42, 0x70, 0x90, 0x91,
        0xA0, 0xA1, 0xC4, 0xC5, 0xC6, 0xC8, 0xCA, 0xE5, 0xE7, 0xEA, 0xEC, 0xEF, 0xF8,
    ];

    /// <summary>SCSI opcodes for packets: the implemented ones and some that are not.</summary>
    private static readonly byte[] ScsiOpcodes = [0x00, 0x03, 0x12, 0x1A, 0x1B, 0x1E, 0x25, 0x28, 0x2B, 0x43, 0x46, 0x4A, 0x51, 0x5A, 0xA8, 0xBB, 0xBD, 0xBE, 0xFF, 0x55];

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(5)]
    [TestCase(6)]
    public void RandomGuest_NothingThrows_DrivesRecoverAfterSoftReset(int seed)
    {
        using var rig = new IdeRig();
        rig.AttachDisk(1 << 20);
        var cd = rig.OpenImage(rig.CreateImageFile(64 * 2048, "cd.iso"), "cd0");
        rig.Ide.AttachCdrom(0, 1, cd);
        rig.Start();
        rig.EnableBusMaster();
        var random = new Random(seed);

        for (var step = 0; step < 20_000; step++)
        {
            Act(rig, random);
            if (random.Next(8) == 0)
            {
                rig.Settle();
            }
        }

        rig.Out(BmCommand, 0);
        rig.Out(Control, 0);
        rig.Settle();
        rig.Out(Control, Srst);
        rig.Out(Control, 0);
        rig.Settle();
        rig.Out(Device, Obsolete);
        rig.Out(Command, IdentifyDevice);
        var diskWord0 = BinaryPrimitives.ReadUInt16LittleEndian(rig.ReadData(512));
        rig.Out(Device, Obsolete | DevBit);
        rig.Out(Command, IdentifyPacketDevice);
        var cdWord0 = BinaryPrimitives.ReadUInt16LittleEndian(rig.ReadData(512));

        Assert.That((diskWord0, cdWord0), Is.EqualTo(((ushort)0x0040, (ushort)0x85C0)));
    }

    private static void Act(IdeRig rig, Random random)
    {
        switch (random.Next(10))
        {
            case 0:
                rig.Out(Command, Commands[random.Next(Commands.Length)]);
                break;
            case 1:
                var cdb = new byte[12];
                random.NextBytes(cdb);
                cdb[0] = ScsiOpcodes[random.Next(ScsiOpcodes.Length)];
                rig.WriteData(cdb);
                break;
            case 2:
                rig.ReadData(2 * random.Next(1, 2048));
                break;
            case 3:
                var entries = Enumerable.Range(0, random.Next(1, 6))
                    .Select(i => ((uint)random.Next(0, 12 << 20), random.Next(0, 0x10000), random.Next(4) == 0))
                    .ToArray();
                rig.WritePrdTable(PrdTable, entries);
                rig.OutL(BmPrd, random.Next(4) == 0 ? (uint)random.Next() : PrdTable);
                break;
            case 4:
                rig.Out(BmCommand, (byte)random.Next(0, 16));
                break;
            case 5:
                rig.Out(Control, (byte)random.Next(256));
                break;
            case 6:
                rig.Out(Device, (byte)random.Next(256));
                break;
            default:
                var port = Ports[random.Next(Ports.Length)];
                if (random.Next(2) == 0)
                {
                    rig.Out(port, (byte)random.Next(256));
                }
                else
                {
                    rig.In(port);
                }

                break;
        }
    }
}
