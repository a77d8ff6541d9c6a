using System.Buffers.Binary;
using Emulator.Machine.Bus;
using Emulator.Machine.Loop;

namespace Emulator.Devices.Tests.Virtio;

/// <summary>One virtio-blk request as the guest laid it out: where its header, data and status byte are.</summary>
internal readonly record struct GuestRequest(int Queue, ushort Head, ulong Header, ulong Data, int DataBytes, ulong Status);

/// <summary>
/// A small guest-side virtio-blk driver written from the virtio 1.2 specification: it finds the
/// function through PCI configuration mechanism #1, places its BARs, and drives it through either
/// the legacy I/O registers (4.1.4.8) or the modern capabilities (4.1.4), with split queues in
/// guest RAM. Memory for rings and buffers comes from a bump allocator above 1 MiB.
/// </summary>
internal sealed class VirtioBlkGuest
{
    public const ushort IoBase = 0xC100;
    public const uint MsixBarBase = 0xE000_0000;
    public const uint ModernBarBase = 0xE001_0000;
    public const uint MsiTargetArea = 0x0010_0000;

    private const ushort ConfigAddress = 0xCF8;
    private const ushort ConfigData = 0xCFC;
    private const ulong FirstFreeRam = 0x0020_0000;

    private readonly PcMachine _machine;
    private readonly int _slot;
    private ulong _nextFree = FirstFreeRam;
    private int _commonOffset;
    private int _isrOffset;
    private int _deviceOffset;
    private int _notifyOffset;
    private uint _notifyMultiplier;

    public VirtioBlkGuest(PcMachine machine, int slot = VirtioRig.Slot)
    {
        _machine = machine;
        _slot = slot;
    }

    public List<GuestQueue> Queues { get; } = [];

    public bool Modern { get; private set; }

    public bool MsixOn { get; private set; }

    // ---- PCI configuration space ----
    public uint PciRead(int offset, PortWidth width)
    {
        _machine.Ports.Write(ConfigAddress, PortWidth.Dword, 0x8000_0000u | ((uint)_slot << 11) | (uint)(offset & 0xFC));
        return _machine.Ports.Read((ushort)(ConfigData + (offset & 3)), width);
    }

    public void PciWrite(int offset, PortWidth width, uint value)
    {
        _machine.Ports.Write(ConfigAddress, PortWidth.Dword, 0x8000_0000u | ((uint)_slot << 11) | (uint)(offset & 0xFC));
        _machine.Ports.Write((ushort)(ConfigData + (offset & 3)), width, value);
    }

    /// <summary>Places BAR0 (I/O), BAR1 and BAR4 (memory) and turns on I/O, memory and bus mastering.</summary>
    public void PlaceBars()
    {
        PciWrite(VirtioSpec.PciBar0, PortWidth.Dword, IoBase);
        PciWrite(VirtioSpec.PciBar0 + 4, PortWidth.Dword, MsixBarBase);
        PciWrite(VirtioSpec.PciBar0 + 16, PortWidth.Dword, ModernBarBase);
        PciWrite(VirtioSpec.PciCommand, PortWidth.Word, VirtioSpec.CommandIo | VirtioSpec.CommandMemory | VirtioSpec.CommandBusMaster);
    }

    /// <summary>Walks the capability list for a capability with <paramref name="id"/> (and virtio cfg_type); returns its offset or 0.</summary>
    public int FindCapability(byte id, byte virtioType = 0)
    {
        var at = (int)PciRead(VirtioSpec.PciCapPointer, PortWidth.Byte);
        for (var guard = 0; at != 0 && guard < 48; guard++)
        {
            var capId = PciRead(at, PortWidth.Byte);
            if (capId == id && (virtioType == 0 || PciRead(at + 3, PortWidth.Byte) == virtioType))
            {
                return at;
            }

            at = (int)PciRead(at + 1, PortWidth.Byte);
        }

        return 0;
    }

    // ---- legacy interface ----
    public uint LegacyRead(int register, PortWidth width) => _machine.Ports.Read((ushort)(IoBase + register), width);

    public void LegacyWrite(int register, PortWidth width, uint value) => _machine.Ports.Write((ushort)(IoBase + register), width, value);

    /// <summary>Legacy initialisation (4.1.5.1.3.1 / 3.1.2): reset, ACK, DRIVER, features, queue PFNs, DRIVER_OK.</summary>
    public uint InitLegacy(uint wantedFeatures, int queues = 1)
    {
        PlaceBars();
        LegacyWrite(VirtioSpec.LegacyStatus, PortWidth.Byte, 0);
        LegacyWrite(VirtioSpec.LegacyStatus, PortWidth.Byte, VirtioSpec.Acknowledge);
        LegacyWrite(VirtioSpec.LegacyStatus, PortWidth.Byte, VirtioSpec.Acknowledge | VirtioSpec.Driver);
        var offered = LegacyRead(VirtioSpec.LegacyHostFeatures, PortWidth.Dword);
        var features = offered & wantedFeatures;
        LegacyWrite(VirtioSpec.LegacyGuestFeatures, PortWidth.Dword, features);
        for (var q = 0; q < queues; q++)
        {
            LegacyWrite(VirtioSpec.LegacyQueueSelect, PortWidth.Word, (uint)q);
            var size = (ushort)LegacyRead(VirtioSpec.LegacyQueueSize, PortWidth.Word);
            var page = Allocate(RingBytes(size), VirtioSpec.LegacyAlign);
            Queues.Add(GuestQueue.Legacy(_machine.Memory, page, size));
            LegacyWrite(VirtioSpec.LegacyQueuePfn, PortWidth.Dword, (uint)(page >> 12));
        }

        LegacyWrite(VirtioSpec.LegacyStatus, PortWidth.Byte, VirtioSpec.Acknowledge | VirtioSpec.Driver | VirtioSpec.DriverOk);
        return features;
    }

    // ---- modern interface ----
    public uint CommonRead(int offset, int size) => Mmio(ModernBarBase + (uint)_commonOffset + (uint)offset, size);

    public void CommonWrite(int offset, int size, uint value) => MmioWrite(ModernBarBase + (uint)_commonOffset + (uint)offset, size, value);

    public byte IsrRead() => (byte)Mmio(ModernBarBase + (uint)_isrOffset, 1);

    public uint DeviceConfigRead(int offset, int size) =>
        Modern ? Mmio(ModernBarBase + (uint)_deviceOffset + (uint)offset, size)
               : LegacyRead((MsixOn ? VirtioSpec.LegacyConfigMsix : VirtioSpec.LegacyConfig) + offset, (PortWidth)size);

    public void DeviceConfigWrite(int offset, int size, uint value)
    {
        if (Modern)
        {
            MmioWrite(ModernBarBase + (uint)_deviceOffset + (uint)offset, size, value);
        }
        else
        {
            LegacyWrite((MsixOn ? VirtioSpec.LegacyConfigMsix : VirtioSpec.LegacyConfig) + offset, (PortWidth)size, value);
        }
    }

    public ulong ReadDeviceFeatures()
    {
        CommonWrite(VirtioSpec.DeviceFeatureSelect, 4, 0);
        ulong low = CommonRead(VirtioSpec.DeviceFeature, 4);
        CommonWrite(VirtioSpec.DeviceFeatureSelect, 4, 1);
        return low | ((ulong)CommonRead(VirtioSpec.DeviceFeature, 4) << 32);
    }

    /// <summary>Locates the modern regions through the vendor capabilities (4.1.4.1).</summary>
    public void FindModernRegions()
    {
        _commonOffset = (int)PciRead(FindCapability(VirtioSpec.CapVendor, VirtioSpec.CommonCfg) + 8, PortWidth.Dword);
        _isrOffset = (int)PciRead(FindCapability(VirtioSpec.CapVendor, VirtioSpec.IsrCfg) + 8, PortWidth.Dword);
        _deviceOffset = (int)PciRead(FindCapability(VirtioSpec.CapVendor, VirtioSpec.DeviceCfg) + 8, PortWidth.Dword);
        var notify = FindCapability(VirtioSpec.CapVendor, VirtioSpec.NotifyCfg);
        _notifyOffset = (int)PciRead(notify + 8, PortWidth.Dword);
        _notifyMultiplier = PciRead(notify + 16, PortWidth.Dword);
        Modern = true;
    }

    /// <summary>
    /// Modern initialisation (3.1.1): reset, ACK, DRIVER, features, FEATURES_OK (checked), queues,
    /// DRIVER_OK. Returns the status read back after FEATURES_OK.
    /// </summary>
    public byte InitModern(ulong wantedFeatures, int queues = 1, bool msix = false, ushort? queueSize = null)
    {
        PlaceBars();
        FindModernRegions();
        if (msix)
        {
            EnableMsix();
        }

        CommonWrite(VirtioSpec.DeviceStatus, 1, 0);
        CommonWrite(VirtioSpec.DeviceStatus, 1, VirtioSpec.Acknowledge);
        CommonWrite(VirtioSpec.DeviceStatus, 1, VirtioSpec.Acknowledge | VirtioSpec.Driver);
        var features = ReadDeviceFeatures() & wantedFeatures;
        CommonWrite(VirtioSpec.DriverFeatureSelect, 4, 0);
        CommonWrite(VirtioSpec.DriverFeature, 4, (uint)features);
        CommonWrite(VirtioSpec.DriverFeatureSelect, 4, 1);
        CommonWrite(VirtioSpec.DriverFeature, 4, (uint)(features >> 32));
        CommonWrite(VirtioSpec.DeviceStatus, 1, VirtioSpec.Acknowledge | VirtioSpec.Driver | VirtioSpec.FeaturesOk);
        var status = (byte)CommonRead(VirtioSpec.DeviceStatus, 1);
        if ((status & VirtioSpec.FeaturesOk) == 0)
        {
            return status;
        }

        for (var q = 0; q < queues; q++)
        {
            CommonWrite(VirtioSpec.QueueSelect, 2, (uint)q);
            if (queueSize is { } wanted)
            {
                CommonWrite(VirtioSpec.QueueSize, 2, wanted);
            }

            var size = (ushort)CommonRead(VirtioSpec.QueueSize, 2);
            var address = Allocate(RingBytes(size), 4096);
            var queue = GuestQueue.Modern(_machine.Memory, address, size);
            Queues.Add(queue);
            CommonWrite(VirtioSpec.QueueDesc, 4, (uint)queue.Desc);
            CommonWrite(VirtioSpec.QueueDesc + 4, 4, 0);
            CommonWrite(VirtioSpec.QueueDriver, 4, (uint)queue.Avail);
            CommonWrite(VirtioSpec.QueueDriver + 4, 4, 0);
            CommonWrite(VirtioSpec.QueueDevice, 4, (uint)queue.Used);
            CommonWrite(VirtioSpec.QueueDevice + 4, 4, 0);
            if (msix)
            {
                CommonWrite(VirtioSpec.QueueMsixVector, 2, (uint)(q + 1));
            }

            CommonWrite(VirtioSpec.QueueEnable, 2, 1);
        }

        if (msix)
        {
            CommonWrite(VirtioSpec.ConfigMsixVector, 2, 0);
        }

        CommonWrite(VirtioSpec.DeviceStatus, 1, VirtioSpec.Acknowledge | VirtioSpec.Driver | VirtioSpec.FeaturesOk | VirtioSpec.DriverOk);
        return status;
    }

    /// <summary>Turns MSI-X on and points vector v's message at RAM address MsiTargetArea + 4v with data 0x40 + v.</summary>
    public void EnableMsix()
    {
        var cap = FindCapability(VirtioSpec.CapMsix);
        var control = (ushort)PciRead(cap + 2, PortWidth.Word);
        var vectors = (control & 0x7FF) + 1;
        var tableBir = PciRead(cap + 4, PortWidth.Dword);
        var tableBase = BarAddress((int)(tableBir & 7)) + (tableBir & ~7u);
        for (var v = 0; v < vectors; v++)
        {
            var entry = tableBase + (uint)(v * VirtioSpec.MsixEntrySize);
            _machine.Memory.WriteDword(entry, MsiTargetArea + (uint)(4 * v));
            _machine.Memory.WriteDword(entry + 4, 0);
            _machine.Memory.WriteDword(entry + 8, 0x40u + (uint)v);
            _machine.Memory.WriteDword(entry + 12, 0);
        }

        PciWrite(cap + 2, PortWidth.Word, (uint)(control | VirtioSpec.MsixEnable));
        MsixOn = true;
    }

    public uint MsiWord(int vector) => _machine.Memory.ReadDword(MsiTargetArea + (uint)(4 * vector));

    public uint BarAddress(int bar) => PciRead(VirtioSpec.PciBar0 + (4 * bar), PortWidth.Dword) & ~0xFu;

    public void Notify(int queue)
    {
        if (Modern)
        {
            MmioWrite(ModernBarBase + (uint)_notifyOffset + ((uint)queue * _notifyMultiplier), 2, (uint)queue);
        }
        else
        {
            LegacyWrite(VirtioSpec.LegacyQueueNotify, PortWidth.Word, (uint)queue);
        }
    }

    // ---- requests ----
    public ulong Allocate(int bytes, int align = 16)
    {
        var at = (_nextFree + (ulong)align - 1) & ~(ulong)(align - 1);
        _nextFree = at + (ulong)bytes;
        return at;
    }

    /// <summary>Lays out header (readable), data, status (writable) as three descriptors and publishes it (no notify).</summary>
    public GuestRequest Queue(uint type, ulong sector, int dataBytes, bool dataWritable, int queue = 0, byte[]? payload = null)
    {
        var q = Queues[queue];
        var header = Allocate(16);
        var data = dataBytes > 0 ? Allocate(dataBytes, 512) : 0;
        var status = Allocate(1);
        WriteHeader(header, type, sector);
        _machine.Memory.WriteByte((uint)status, 0xFF);
        if (payload is not null)
        {
            _machine.Memory.Write((uint)data, payload);
        }

        var buffers = dataBytes > 0
            ? new[] { new GuestBuffer(header, 16, false), new GuestBuffer(data, (uint)dataBytes, dataWritable), new GuestBuffer(status, 1, true) }
            : new[] { new GuestBuffer(header, 16, false), new GuestBuffer(status, 1, true) };
        var head = q.AddChain(buffers);
        q.Publish(head);
        return new GuestRequest(queue, head, header, data, dataBytes, status);
    }

    public GuestRequest Read(ulong sector, int bytes, int queue = 0) => Queue(VirtioSpec.TypeIn, sector, bytes, dataWritable: true, queue);

    public GuestRequest Write(ulong sector, byte[] data, int queue = 0) => Queue(VirtioSpec.TypeOut, sector, data.Length, dataWritable: false, queue, data);

    public void WriteHeader(ulong address, uint type, ulong sector)
    {
        Span<byte> header = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(header, type);
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], sector);
        _machine.Memory.Write((uint)address, header);
    }

    public byte StatusOf(GuestRequest request) => _machine.Memory.ReadByte((uint)request.Status);

    public byte[] DataOf(GuestRequest request)
    {
        var data = new byte[request.DataBytes];
        _machine.Memory.Read((uint)request.Data, data);
        return data;
    }

    public bool StatusWritten(GuestRequest request) => StatusOf(request) != 0xFF;

    private static int RingBytes(ushort size) => 0x3000 + (16 * size) + (8 * size);

    private uint Mmio(uint address, int size) => size switch
    {
        1 => _machine.Memory.ReadByte(address),
        2 => _machine.Memory.ReadWord(address),
        _ => _machine.Memory.ReadDword(address),
    };

    private void MmioWrite(uint address, int size, uint value)
    {
        switch (size)
        {
            case 1:
                _machine.Memory.WriteByte(address, (byte)value);
                break;
            case 2:
                _machine.Memory.WriteWord(address, (ushort)value);
                break;
            default:
                _machine.Memory.WriteDword(address, value);
                break;
        }
    }
}
