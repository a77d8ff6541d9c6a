using Emulator.Firmware.Services;
using Emulator.Machine.Bus;

namespace Emulator.Firmware.Disks;

/// <summary>
/// The BIOS's virtio-blk driver, on the legacy (virtio 0.9.5) interface of a transitional device's
/// I/O BAR0: reset, ACKNOWLEDGE and DRIVER, no features taken, queue 0 laid out in the firmware's
/// zone at the page frame written to QUEUE_PFN, then DRIVER_OK. A request is the usual three-descriptor
/// chain (16-byte header, data, status byte); the driver asks the device not to interrupt and polls the
/// used ring, as SeaBIOS does.
/// </summary>
internal sealed class VirtioBlkDisk : BiosDisk
{
    /// <summary>Guest memory each device needs: its virtqueue (at most 256 entries) plus a page for the header and status.</summary>
    public const uint MemoryNeeded = 0x4000;

    private const int HostFeatures = 0x00;
    private const int GuestFeatures = 0x04;
    private const int QueuePfn = 0x08;
    private const int QueueSize = 0x0C;
    private const int QueueSelect = 0x0E;
    private const int QueueNotify = 0x10;
    private const int DeviceStatus = 0x12;
    private const int Config = 0x14;
    private const int ConfigCapacity = Config;
    private const int ConfigGeometry = Config + 0x10;
    private const byte StatusAcknowledge = 1;
    private const byte StatusDriver = 2;
    private const byte StatusDriverOk = 4;
    private const byte StatusFailed = 0x80;
    private const uint FeatureGeometry = 1 << 4;
    private const int MaxQueueSize = 256;
    private const int PageSize = 4096;
    private const int DescriptorSize = 16;
    private const ushort DescriptorNext = 1;
    private const ushort DescriptorWrite = 2;
    private const ushort AvailNoInterrupt = 1;
    private const uint RequestIn = 0;
    private const uint RequestOut = 1;
    private const byte RequestOk = 0;
    private const int MaxSectorsPerRequest = 128;
    private const int SectorBytes = 512;
    private const uint VerifyScratch = 512;
    private const int VerifySectors = 7;

    private readonly FirmwareContext _context;
    private readonly ushort _io;
    private readonly uint _ring;
    private readonly uint _header;
    private readonly ushort _queueSize;
    private readonly uint _avail;
    private readonly uint _used;
    private ushort _availIndex;
    private ushort _usedIndex;

    private VirtioBlkDisk(FirmwareContext context, ushort io, uint memory, ushort queueSize, ulong sectors, DiskGeometry geometry)
    {
        _context = context;
        _io = io;
        _ring = memory;
        _queueSize = queueSize;
        _avail = _ring + (uint)(queueSize * DescriptorSize);
        _used = Align(_avail + 4 + (uint)(2 * queueSize) + 2, PageSize);
        _header = _ring + MemoryNeeded - PageSize;
        Sectors = sectors;
        Geometry = geometry;
    }

    public override DiskKind Kind => DiskKind.HardDisk;

    public override ulong Sectors { get; }

    public override DiskGeometry Geometry { get; }

    public override string InterfaceName => "VIRTIO";

    /// <summary>Brings up the device at I/O base <paramref name="io"/> with its queue at <paramref name="memory"/> (page aligned, <see cref="MemoryNeeded"/> bytes); null when it will not start.</summary>
    public static VirtioBlkDisk? Start(FirmwareContext context, ushort io, uint memory)
    {
        var ports = context.Ports;
        ports.WriteByte((ushort)(io + DeviceStatus), 0);
        ports.WriteByte((ushort)(io + DeviceStatus), StatusAcknowledge);
        ports.WriteByte((ushort)(io + DeviceStatus), StatusAcknowledge | StatusDriver);
        var features = ports.Read((ushort)(io + HostFeatures), PortWidth.Dword);
        ports.Write((ushort)(io + GuestFeatures), PortWidth.Dword, 0);
        ports.Write((ushort)(io + QueueSelect), PortWidth.Word, 0);
        var size = (ushort)ports.Read((ushort)(io + QueueSize), PortWidth.Word);
        if (size == 0 || size > MaxQueueSize || (size & (size - 1)) != 0)
        {
            ports.WriteByte((ushort)(io + DeviceStatus), StatusFailed);
            return null;
        }

        context.Memory.Write(memory, new byte[MemoryNeeded]);
        var sectors = ports.Read((ushort)(io + ConfigCapacity), PortWidth.Dword)
            | ((ulong)ports.Read((ushort)(io + ConfigCapacity + 4), PortWidth.Dword) << 32);
        var physical = new DiskGeometry((int)Math.Min(sectors / (16 * 63), 65535), 16, 63);
        if ((features & FeatureGeometry) != 0)
        {
            var cylinders = (ushort)ports.Read((ushort)(io + ConfigGeometry), PortWidth.Word);
            var heads = ports.ReadByte((ushort)(io + ConfigGeometry + 2));
            var perTrack = ports.ReadByte((ushort)(io + ConfigGeometry + 3));
            if (cylinders > 0 && heads > 0 && perTrack > 0)
            {
                physical = new DiskGeometry(cylinders, heads, perTrack);
            }
        }

        var disk = new VirtioBlkDisk(context, io, memory, size, sectors, DiskGeometry.Translate(physical, (long)sectors, DiskGeometry.GuessTranslation(physical, (long)sectors)));
        context.Memory.WriteWord(disk._avail, AvailNoInterrupt);
        ports.Write((ushort)(io + QueuePfn), PortWidth.Dword, memory / PageSize);
        ports.WriteByte((ushort)(io + DeviceStatus), StatusAcknowledge | StatusDriver | StatusDriverOk);
        return disk;
    }

    public override IEnumerable<BiosServiceResult> Transfer(DiskRequest request)
    {
        var memory = _context.Memory;
        while (request.Done < request.Count)
        {
            var verify = request.Command == DiskCommand.Verify;
            var count = Math.Min(request.Count - request.Done, verify ? VerifySectors : MaxSectorsPerRequest);
            var lba = request.Lba + (ulong)request.Done;

            // A verify reads into the firmware's scratch area, leaving the caller's memory alone.
            var data = verify ? _header + VerifyScratch : request.Address + (uint)(request.Done * SectorBytes);
            var status = _header + 16;
            memory.WriteDword(_header, request.Command == DiskCommand.Write ? RequestOut : RequestIn);
            memory.WriteDword(_header + 4, 0);
            memory.WriteDword(_header + 8, (uint)lba);
            memory.WriteDword(_header + 12, (uint)(lba >> 32));
            memory.WriteByte(status, 0xFF);
            Descriptor(0, _header, 16, DescriptorNext, 1);
            Descriptor(1, data, (uint)(count * SectorBytes), (ushort)(DescriptorNext | (request.Command == DiskCommand.Write ? 0 : DescriptorWrite)), 2);
            Descriptor(2, status, 1, DescriptorWrite, 0);
            memory.WriteWord(_avail + 4 + (uint)(2 * (_availIndex % _queueSize)), 0);
            _availIndex++;
            memory.WriteWord(_avail + 2, _availIndex);
            _context.Ports.Write((ushort)(_io + QueueNotify), PortWidth.Word, 0);

            var deadline = new Deadline(_context);
            while (memory.ReadWord(_used + 2) == _usedIndex)
            {
                if (deadline.Expired)
                {
                    request.Status = DiskStatus.Timeout;
                    yield break;
                }

                yield return BiosServiceResult.Poll;
            }

            _usedIndex++;
            if (memory.ReadByte(status) != RequestOk)
            {
                request.Status = request.Command == DiskCommand.Write ? DiskStatus.WriteFault : DiskStatus.UncorrectableData;
                yield break;
            }

            request.Done += count;
        }

        request.Status = DiskStatus.Success;
    }

    private void Descriptor(int index, uint address, uint length, ushort flags, ushort next)
    {
        var entry = _ring + (uint)(index * DescriptorSize);
        var memory = _context.Memory;
        memory.WriteDword(entry, address);
        memory.WriteDword(entry + 4, 0);
        memory.WriteDword(entry + 8, length);
        memory.WriteWord(entry + 12, flags);
        memory.WriteWord(entry + 14, next);
    }

    private static uint Align(uint value, uint alignment) => (value + alignment - 1) & ~(alignment - 1);
}
