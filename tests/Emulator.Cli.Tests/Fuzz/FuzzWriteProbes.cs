using Emulator.Block.Backend;
using Emulator.Machine.Bus;
using Emulator.Machine.Loop;

namespace Emulator.Cli.Tests.Fuzz;

/// <summary>
/// The "written data reads back" invariant of <see cref="MachineFuzzer"/>: a well-formed write issued
/// the way a driver recovering from a confused device would (BARs placed again, a reset first), amid
/// hostile steps. A device may refuse or fail it — the fuzzing may have left it in any state — but a
/// write it acknowledges must be on the image and must read back through the same device. The
/// probe's rings and buffers lie outside the fuzzer's data area and nothing else runs in between.
/// Constants are the specs' (virtio 1.2 sections 2.7 and 5.2.6, ATA-8 ACS), not the devices'.
/// </summary>
internal sealed class FuzzWriteProbes(PcMachine machine, BlockLayer layer, Random random, Action settle, Action placeBars, Func<string> where)
{
    private const uint Rings = 0x40_0000;
    private const uint Header = 0x44_0000;
    private const uint Data = 0x44_1000;
    private const uint Status = 0x44_3000;
    private const uint ReadBack = 0x44_4000;
    private const int Sector = 512;
    private const int MaxSectors = 8;

    private const int GuestFeatures = 0x04;
    private const int QueuePfn = 0x08;
    private const int QueueSize = 0x0C;
    private const int QueueSelect = 0x0E;
    private const int QueueNotify = 0x10;
    private const int DeviceStatus = 0x12;
    private const uint DriverReady = 0x07;
    private const ushort Next = 1;
    private const ushort DeviceWrites = 2;
    private const uint TypeIn = 0;
    private const uint TypeOut = 1;
    private const byte VirtioOk = 0;

    private const ushort AtaData = 0x1F0;
    private const ushort AtaCount = 0x1F2;
    private const ushort AtaLbaLow = 0x1F3;
    private const ushort AtaLbaMid = 0x1F4;
    private const ushort AtaLbaHigh = 0x1F5;
    private const ushort AtaDevice = 0x1F6;
    private const ushort AtaCommandStatus = 0x1F7;
    private const ushort AtaControl = 0x3F6;
    private const byte SoftReset = 0x04;
    private const byte LbaMode = 0xE0;
    private const byte WriteSectors = 0x30;
    private const byte ReadSectors = 0x20;
    private const uint Busy = 0x80;
    private const uint Ready = 0x40;
    private const uint DataRequest = 0x08;
    private const uint Error = 0x01;

    public long Verified { get; private set; }

    /// <summary>Legacy virtio-blk on the writable disk (I/O BAR at <paramref name="io"/>): reset, queue 0, one OUT, then one IN of the same sectors.</summary>
    public void Virtio(ushort io, string backendName, long diskBytes)
    {
        placeBars();
        machine.Ports.Write((ushort)(io + DeviceStatus), PortWidth.Byte, 0);
        settle();
        machine.Ports.Write((ushort)(io + DeviceStatus), PortWidth.Byte, DriverReady);
        machine.Ports.Write((ushort)(io + GuestFeatures), PortWidth.Dword, 0);
        machine.Ports.Write((ushort)(io + QueueSelect), PortWidth.Word, 0);
        var size = (int)machine.Ports.Read((ushort)(io + QueueSize), PortWidth.Word);
        if (size is 0 or > 1024)
        {
            return;
        }

        machine.Memory.WritePhysical(Rings, new byte[0x8000]);
        machine.Ports.Write((ushort)(io + QueuePfn), PortWidth.Dword, Rings >> 12);
        var sectors = random.Next(1, MaxSectors + 1);
        var sector = random.NextInt64((diskBytes / Sector) - sectors + 1);
        var data = new byte[sectors * Sector];
        random.NextBytes(data);
        machine.Memory.WritePhysical(Data, data);

        var written = Request(io, size, 0, TypeOut, sector, Data, data.Length, deviceWrites: false);
        if (written != VirtioOk)
        {
            return;
        }

        ExpectOnImage(backendName, sector * Sector, data, "virtio-blk OUT");
        machine.Memory.WritePhysical(ReadBack, new byte[data.Length]);
        if (Request(io, size, 1, TypeIn, sector, ReadBack, data.Length, deviceWrites: true) == VirtioOk)
        {
            var back = new byte[data.Length];
            machine.Memory.ReadPhysical(ReadBack, back);
            Expect(back, data, $"virtio-blk IN of {sectors} sectors at {sector} after an acknowledged OUT");
        }
    }

    /// <summary>ATA PIO on the primary master: soft reset, WRITE SECTORS, then READ SECTORS of the same sectors.</summary>
    public void Ata(string backendName, long diskBytes)
    {
        placeBars();
        machine.Ports.Write(AtaControl, PortWidth.Byte, SoftReset);
        machine.Ports.Write(AtaControl, PortWidth.Byte, 0);
        settle();
        var sectors = random.Next(1, MaxSectors + 1);
        var lba = random.NextInt64((diskBytes / Sector) - sectors + 1);
        var data = new byte[sectors * Sector];
        random.NextBytes(data);
        if (!AtaCommand(WriteSectors, lba, sectors))
        {
            return;
        }

        machine.Ports.WriteBlock(AtaData, PortWidth.Word, data);
        settle();
        if ((machine.Ports.Read(AtaCommandStatus, PortWidth.Byte) & (Busy | Ready | DataRequest | Error)) != Ready)
        {
            return;
        }

        ExpectOnImage(backendName, lba * Sector, data, "ATA WRITE SECTORS");
        if (!AtaCommand(ReadSectors, lba, sectors))
        {
            return;
        }

        var back = new byte[data.Length];
        machine.Ports.ReadBlock(AtaData, PortWidth.Word, back);
        settle();
        if ((machine.Ports.Read(AtaCommandStatus, PortWidth.Byte) & Error) == 0)
        {
            Expect(back, data, $"ATA READ SECTORS of {sectors} at {lba} after an acknowledged WRITE SECTORS");
        }
    }

    private bool AtaCommand(byte command, long lba, int sectors)
    {
        machine.Ports.Write(AtaDevice, PortWidth.Byte, LbaMode | (uint)((lba >> 24) & 0x0F));
        machine.Ports.Write(AtaCount, PortWidth.Byte, (uint)sectors);
        machine.Ports.Write(AtaLbaLow, PortWidth.Byte, (uint)(lba & 0xFF));
        machine.Ports.Write(AtaLbaMid, PortWidth.Byte, (uint)((lba >> 8) & 0xFF));
        machine.Ports.Write(AtaLbaHigh, PortWidth.Byte, (uint)((lba >> 16) & 0xFF));
        machine.Ports.Write(AtaCommandStatus, PortWidth.Byte, command);
        settle();
        return (machine.Ports.Read(AtaCommandStatus, PortWidth.Byte) & (Busy | DataRequest | Error)) == DataRequest;
    }

    /// <summary>One request as descriptors 0-2 and avail entry <paramref name="nth"/>; returns the status byte, or null when the used ring did not move.</summary>
    private byte? Request(ushort io, int size, int nth, uint type, long sector, uint buffer, int length, bool deviceWrites)
    {
        Span<byte> header = stackalloc byte[16];
        header.Clear();
        BitConverter.TryWriteBytes(header, type);
        BitConverter.TryWriteBytes(header[8..], (ulong)sector);
        machine.Memory.WritePhysical(Header, header);
        machine.Memory.WritePhysical(Status, [0xFF]);
        Descriptor(0, Header, 16, Next, 1);
        Descriptor(1, buffer, (uint)length, (ushort)(Next | (deviceWrites ? DeviceWrites : 0)), 2);
        Descriptor(2, Status, 1, DeviceWrites, 0);
        var avail = Rings + (uint)(16 * size);
        var used = (avail + 6 + (uint)(2 * size) + 0xFFF) & ~0xFFFu;
        machine.Memory.WritePhysical(avail + 4 + (uint)(2 * (nth % size)), [0, 0]);
        machine.Memory.WritePhysical(avail + 2, BitConverter.GetBytes((ushort)(nth + 1)));
        machine.Ports.Write((ushort)(io + QueueNotify), PortWidth.Word, 0);
        settle();
        Span<byte> index = stackalloc byte[2];
        machine.Memory.ReadPhysical(used + 2, index);
        if (BitConverter.ToUInt16(index) != nth + 1)
        {
            return null;
        }

        Span<byte> status = stackalloc byte[1];
        machine.Memory.ReadPhysical(Status, status);
        return status[0];
    }

    private void Descriptor(int index, uint address, uint length, ushort flags, ushort next)
    {
        Span<byte> entry = stackalloc byte[16];
        BitConverter.TryWriteBytes(entry, (ulong)address);
        BitConverter.TryWriteBytes(entry[8..], length);
        BitConverter.TryWriteBytes(entry[12..], flags);
        BitConverter.TryWriteBytes(entry[14..], next);
        machine.Memory.WritePhysical(Rings + (uint)(16 * index), entry);
    }

    private void ExpectOnImage(string backendName, long offset, byte[] data, string what)
    {
        var backend = layer.Backends.Single(b => b.Name == backendName);
        var onImage = new byte[data.Length];
        if (backend.Read(offset, onImage) != BlockError.None)
        {
            throw new InvalidOperationException($"{where()}: {backendName} cannot be read after an acknowledged {what}");
        }

        Expect(onImage, data, $"{what} of {data.Length} bytes at {offset} acknowledged, image holds other bytes");
    }

    private void Expect(byte[] actual, byte[] expected, string what)
    {
        if (!actual.AsSpan().SequenceEqual(expected))
        {
            throw new InvalidOperationException($"{where()}: {what} (first difference at byte {actual.AsSpan().CommonPrefixLength(expected)})");
        }

        Verified++;
    }
}
