using System.Buffers.Binary;
using Emulator.Firmware.Services;
using static Emulator.Firmware.Disks.AtaRegisters;

namespace Emulator.Firmware.Disks;

/// <summary>
/// An ATAPI CD-ROM found by IDENTIFY PACKET DEVICE: SCSI packets through the PACKET command in PIO
/// mode, the device telling the size of each DRQ block in LBA mid/high. Reads are READ(10) of
/// 2048-byte sectors; TEST UNIT READY and REQUEST SENSE clear the unit attention a fresh medium raises.
/// </summary>
internal sealed class AtapiDisk(AtaChannel channel, int unit) : BiosDisk
{
    public const int BlockSize = 2048;
    private const int PacketSize = 12;
    private const ushort ByteCountLimit = 0xF800;
    private const byte TestUnitReady = 0x00;
    private const byte RequestSense = 0x03;
    private const byte ReadCapacity = 0x25;
    private const byte Read10 = 0x28;
    private const int MaxBlocksPerPacket = 16;
    private const int ReadyAttempts = 4;

    private readonly byte[] _packet = new byte[PacketSize];
    private readonly byte[] _data = new byte[MaxBlocksPerPacket * BlockSize];
    private ulong _sectors;

    public int Unit => unit;

    public AtaChannel Channel => channel;

    public override DiskKind Kind => DiskKind.CdRom;

    public override int SectorSize => BlockSize;

    public override ulong Sectors => _sectors;

    public override DiskGeometry Geometry => new(0, 0, 0);

    public override string InterfaceName => "ATAPI";

    public override bool IsReady => _sectors > 0;

    /// <summary>Host-side data of the last <see cref="ReadBlocks"/>.</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <summary>Waits for the medium (absorbing unit attentions) and reads its capacity; sets <see cref="DiskRequest.Status"/>.</summary>
    public override IEnumerable<BiosServiceResult> Prepare(DiskRequest request)
    {
        for (var attempt = 0; attempt < ReadyAttempts; attempt++)
        {
            Array.Clear(_packet);
            _packet[0] = TestUnitReady;
            foreach (var wait in Send(0))
            {
                yield return wait;
            }

            if (LastOk)
            {
                break;
            }

            // Read the sense data to clear the condition, then ask again.
            Array.Clear(_packet);
            _packet[0] = RequestSense;
            _packet[4] = 18;
            foreach (var wait in Send(18))
            {
                yield return wait;
            }
        }

        Array.Clear(_packet);
        _packet[0] = ReadCapacity;
        foreach (var wait in Send(8))
        {
            yield return wait;
        }

        if (!LastOk)
        {
            _sectors = 0;
            request.Status = DiskStatus.NotReady;
            yield break;
        }

        _sectors = (ulong)BinaryPrimitives.ReadUInt32BigEndian(_data) + 1;
        request.Status = DiskStatus.Success;
    }

    public override IEnumerable<BiosServiceResult> Transfer(DiskRequest request)
    {
        if (request.Command == DiskCommand.Write)
        {
            request.Status = DiskStatus.WriteProtected;
            yield break;
        }

        var memory = channel.Context.Memory;
        while (request.Done < request.Count)
        {
            var count = Math.Min(request.Count - request.Done, MaxBlocksPerPacket);
            foreach (var wait in ReadBlocks(request.Lba + (ulong)request.Done, count))
            {
                yield return wait;
            }

            if (!LastOk)
            {
                request.Status = DiskStatus.ControllerFailure;
                yield break;
            }

            if (request.Command == DiskCommand.Read)
            {
                memory.Write(request.Address + (uint)(request.Done * BlockSize), _data.AsSpan(0, count * BlockSize));
            }

            request.Done += count;
        }

        request.Status = DiskStatus.Success;
    }

    /// <summary>READ(10) of <paramref name="count"/> (at most 16) blocks into <see cref="Data"/>; sets <see cref="LastOk"/>.</summary>
    public IEnumerable<BiosServiceResult> ReadBlocks(ulong lba, int count)
    {
        if (lba + (ulong)count > uint.MaxValue)
        {
            LastOk = false;
            yield break;
        }

        Array.Clear(_packet);
        _packet[0] = Read10;
        BinaryPrimitives.WriteUInt32BigEndian(_packet.AsSpan(2), (uint)lba);
        BinaryPrimitives.WriteUInt16BigEndian(_packet.AsSpan(7), (ushort)count);
        foreach (var wait in Send(count * BlockSize))
        {
            yield return wait;
        }
    }

    public bool LastOk { get; private set; }

    /// <summary>Sends the packet in <see cref="_packet"/> and reads up to <paramref name="expected"/> bytes of data into <see cref="_data"/>.</summary>
    private IEnumerable<BiosServiceResult> Send(int expected)
    {
        LastOk = false;
        foreach (var wait in channel.WaitReady(needDrq: false))
        {
            yield return wait;
        }

        channel.Select(unit);
        channel.Write(Features, 0);
        channel.Write(LbaMid, ByteCountLimit & 0xFF);
        channel.Write(LbaHigh, ByteCountLimit >> 8);
        channel.Issue(Packet);
        foreach (var wait in channel.WaitReady(needDrq: true))
        {
            yield return wait;
        }

        if (channel.TimedOut || (channel.LastStatus & StatusDrq) == 0)
        {
            yield break;
        }

        channel.ClearInterrupt();
        channel.WriteData(_packet);
        var received = 0;
        while (true)
        {
            foreach (var wait in channel.WaitReady(needDrq: false))
            {
                yield return wait;
            }

            if (channel.TimedOut || (channel.LastStatus & StatusError) != 0)
            {
                yield break;
            }

            if ((channel.LastStatus & StatusDrq) == 0)
            {
                LastOk = true;
                yield break;
            }

            var bytes = channel.Read(LbaMid) | (channel.Read(LbaHigh) << 8);
            if (bytes == 0 || received + bytes > _data.Length || received >= expected + BlockSize)
            {
                yield break;
            }

            channel.ClearInterrupt();
            channel.ReadData(_data.AsSpan(received, bytes & ~1));
            received += bytes;
        }
    }
}
