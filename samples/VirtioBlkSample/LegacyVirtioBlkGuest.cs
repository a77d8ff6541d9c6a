using System.Buffers.Binary;
using Emulator.Machine.Bus;
using Emulator.Machine.Loop;

namespace VirtioBlkSample;

/// <summary>
/// The smallest guest driver for a transitional virtio-blk-pci function, written from the virtio 1.2
/// specification: PCI configuration mechanism #1 (ports 0xCF8/0xCFC), the legacy I/O register block
/// in BAR0 (4.1.4.8), one split virtqueue in guest RAM with the legacy 4 KiB layout (2.7), and a
/// three-descriptor request (header, data, status; 5.2.6).
/// </summary>
internal sealed class LegacyVirtioBlkGuest(PcMachine machine, int slot)
{
    // PCI configuration space
    private const ushort ConfigAddress = 0xCF8;
    private const ushort ConfigData = 0xCFC;
    private const uint ConfigEnable = 0x8000_0000;
    private const int PciVendorId = 0x00;
    private const int PciDeviceId = 0x02;
    private const int PciCommand = 0x04;
    private const int PciBar0 = 0x10;
    private const uint CommandIo = 1 << 0;
    private const uint CommandBusMaster = 1 << 2;

    // Legacy virtio registers (offsets in BAR0) and device status bits
    private const ushort IoBase = 0xC000;
    private const int RegDeviceFeatures = 0x00;
    private const int RegDriverFeatures = 0x04;
    private const int RegQueuePfn = 0x08;
    private const int RegQueueSize = 0x0C;
    private const int RegQueueSelect = 0x0E;
    private const int RegQueueNotify = 0x10;
    private const int RegDeviceStatus = 0x12;
    private const int RegDeviceConfig = 0x14;   // without MSI-X
    private const uint StatusAcknowledge = 1;
    private const uint StatusDriver = 2;
    private const uint StatusDriverOk = 4;

    // Split virtqueue and request layout
    private const int LegacyAlign = 4096;
    private const int DescriptorBytes = 16;
    private const ushort DescNext = 1;
    private const ushort DescWrite = 2;
    private const uint RequestTypeIn = 0;
    private const int RequestHeaderBytes = 16;
    private const uint QueueBase = 0x0010_0000;  // guest RAM at 1 MiB
    private const uint BufferBase = 0x0020_0000;

    public ushort VendorId => (ushort)PciRead(PciVendorId, PortWidth.Word);

    public ushort DeviceId => (ushort)PciRead(PciDeviceId, PortWidth.Word);

    public ushort QueueSize { get; private set; }

    private uint AvailRing => QueueBase + ((uint)QueueSize * DescriptorBytes);

    private uint UsedRing => Align(AvailRing + 6 + (2u * QueueSize), LegacyAlign);

    /// <summary>Places BAR0, resets the device, negotiates no features, sets up queue 0; returns the capacity in sectors.</summary>
    public ulong Initialize()
    {
        PciWrite(PciBar0, PortWidth.Dword, IoBase);
        PciWrite(PciCommand, PortWidth.Word, CommandIo | CommandBusMaster);
        Out(RegDeviceStatus, PortWidth.Byte, 0);
        Out(RegDeviceStatus, PortWidth.Byte, StatusAcknowledge);
        Out(RegDeviceStatus, PortWidth.Byte, StatusAcknowledge | StatusDriver);
        _ = In(RegDeviceFeatures, PortWidth.Dword);
        Out(RegDriverFeatures, PortWidth.Dword, 0);
        Out(RegQueueSelect, PortWidth.Word, 0);
        QueueSize = (ushort)In(RegQueueSize, PortWidth.Word);
        if (QueueSize == 0)
        {
            throw new InvalidOperationException("virtio-blk offers no queue 0");
        }

        var ringBytes = (int)(UsedRing - QueueBase) + 6 + (8 * QueueSize);
        machine.Memory.Write(QueueBase, new byte[ringBytes]);
        Out(RegQueuePfn, PortWidth.Dword, QueueBase / LegacyAlign);
        Out(RegDeviceStatus, PortWidth.Byte, StatusAcknowledge | StatusDriver | StatusDriverOk);
        return In(RegDeviceConfig, PortWidth.Dword) | ((ulong)In(RegDeviceConfig + 4, PortWidth.Dword) << 32);
    }

    /// <summary>Reads <paramref name="bytes"/> from <paramref name="sector"/> through the device; returns the virtio status byte and the data.</summary>
    public (byte Status, byte[] Data) ReadSector(ulong sector, int bytes)
    {
        var header = BufferBase;
        var data = BufferBase + 512;
        var status = data + (uint)bytes;
        Span<byte> request = stackalloc byte[RequestHeaderBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(request, RequestTypeIn);
        BinaryPrimitives.WriteUInt64LittleEndian(request[8..], sector);
        machine.Memory.Write(header, request);
        machine.Memory.WriteByte(status, 0xFF);

        WriteDescriptor(0, header, RequestHeaderBytes, DescNext, next: 1);
        WriteDescriptor(1, data, (uint)bytes, DescNext | DescWrite, next: 2);
        WriteDescriptor(2, status, 1, DescWrite, next: 0);
        var usedBefore = machine.Memory.ReadWord(UsedRing + 2);
        var availIndex = machine.Memory.ReadWord(AvailRing + 2);
        machine.Memory.WriteWord(AvailRing + 4 + (2u * (uint)(availIndex % QueueSize)), 0);
        machine.Memory.WriteWord(AvailRing + 2, (ushort)(availIndex + 1));
        Out(RegQueueNotify, PortWidth.Word, 0);

        var reason = machine.Run(new RunLimits
        {
            Until = () => machine.Memory.ReadWord(UsedRing + 2) != usedBefore,
            WallTimeout = TimeSpan.FromSeconds(10),
        });
        if (reason != RunStopReason.Condition)
        {
            throw new TimeoutException($"the device did not complete the request (machine stopped: {reason})");
        }

        var result = new byte[bytes];
        machine.Memory.Read(data, result);
        return (machine.Memory.ReadByte(status), result);
    }

    private static uint Align(uint value, uint alignment) => (value + alignment - 1) & ~(alignment - 1);

    private void WriteDescriptor(int index, uint address, uint length, ushort flags, ushort next)
    {
        Span<byte> descriptor = stackalloc byte[DescriptorBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(descriptor, address);
        BinaryPrimitives.WriteUInt32LittleEndian(descriptor[8..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(descriptor[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(descriptor[14..], next);
        machine.Memory.Write(QueueBase + (uint)(index * DescriptorBytes), descriptor);
    }

    private uint PciRead(int offset, PortWidth width)
    {
        machine.Ports.Write(ConfigAddress, PortWidth.Dword, ConfigEnable | ((uint)slot << 11) | (uint)(offset & 0xFC));
        return machine.Ports.Read((ushort)(ConfigData + (offset & 3)), width);
    }

    private void PciWrite(int offset, PortWidth width, uint value)
    {
        machine.Ports.Write(ConfigAddress, PortWidth.Dword, ConfigEnable | ((uint)slot << 11) | (uint)(offset & 0xFC));
        machine.Ports.Write((ushort)(ConfigData + (offset & 3)), width, value);
    }

    private uint In(int register, PortWidth width) => machine.Ports.Read((ushort)(IoBase + register), width);

    private void Out(int register, PortWidth width, uint value) => machine.Ports.Write((ushort)(IoBase + register), width, value);
}
