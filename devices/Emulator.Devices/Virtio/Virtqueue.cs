using System.Buffers.Binary;
using Emulator.Machine.Memory;

namespace Emulator.Devices.Virtio;

/// <summary>
/// One split virtqueue (virtio 1.2, section 2.7): the descriptor table, the available ring the
/// driver fills and the used ring the device fills, all in guest memory and all read through
/// <see cref="IDmaMemory"/>, which refuses anything outside RAM. Every number read from the rings
/// is hostile: indexes are bounded by the table, chains by their table's length (so a loop ends),
/// the available index may not run more than a queue size ahead. A fault is returned as a value;
/// the transport then marks the device NEEDS_RESET.
/// </summary>
internal sealed class Virtqueue
{
    /// <summary>VIRTIO_MSI_NO_VECTOR.</summary>
    public const ushort NoVector = 0xFFFF;

    /// <summary>Legacy interface ring alignment and page size of the queue PFN (virtio 1.2, 4.1.5.1.3.1 / 2.7.2).</summary>
    public const int LegacyAlignment = 4096;
    public const int LegacyPfnShift = 12;

    private const int DescriptorSize = 16;
    private const int DescAddressOffset = 0;
    private const int DescLengthOffset = 8;
    private const int DescFlagsOffset = 12;
    private const int DescNextOffset = 14;
    private const int RingHeaderSize = 4;
    private const int RingIndexOffset = 2;
    private const int AvailEntrySize = 2;
    private const int UsedEntrySize = 8;
    private const ushort AvailNoInterrupt = 1;

    private readonly IDmaMemory _memory;
    private readonly ulong _ramLimit;

    public Virtqueue(IDmaMemory memory, ulong ramLimit, int index, ushort maxSize)
    {
        _memory = memory;
        _ramLimit = ramLimit;
        Index = index;
        MaxSize = maxSize;
        Reset();
    }

    public int Index { get; }

    public ushort MaxSize { get; }

    public ushort Size { get; set; }

    /// <summary>Modern queue_enable, or for the legacy interface a non-zero PFN.</summary>
    public bool Enabled { get; set; }

    public ulong DescAddress { get; set; }

    public ulong DriverAddress { get; set; }

    public ulong DeviceAddress { get; set; }

    public ushort MsixVector { get; set; }

    /// <summary>The legacy PFN the guest last wrote (reads back).</summary>
    public uint LegacyPfn { get; private set; }

    public ushort LastAvailIndex { get; private set; }

    public ushort UsedIndex { get; private set; }

    /// <summary>Whether VIRTIO_F_EVENT_IDX / INDIRECT_DESC were negotiated (set at DRIVER_OK/feature time).</summary>
    public bool EventIdx { get; set; }

    public bool IndirectAllowed { get; set; }

    /// <summary>Requests popped and not yet returned through the used ring.</summary>
    public int InFlight { get; set; }

    private ushort _signalledUsed;
    private bool _signalledUsedValid;

    public void Reset()
    {
        Size = MaxSize;
        Enabled = false;
        DescAddress = DriverAddress = DeviceAddress = 0;
        MsixVector = NoVector;
        LegacyPfn = 0;
        LastAvailIndex = UsedIndex = 0;
        InFlight = 0;
        _signalledUsed = 0;
        _signalledUsedValid = false;
    }

    /// <summary>Legacy layout from one page frame number: table, available ring, then the used ring on the next 4 KiB boundary.</summary>
    public void SetLegacyPfn(uint pfn)
    {
        LegacyPfn = pfn;
        DescAddress = (ulong)pfn << LegacyPfnShift;
        DriverAddress = DescAddress + ((ulong)DescriptorSize * Size);
        var availEnd = DriverAddress + RingHeaderSize + ((ulong)AvailEntrySize * Size) + sizeof(ushort);
        DeviceAddress = (availEnd + LegacyAlignment - 1) & ~(ulong)(LegacyAlignment - 1);
        Enabled = pfn != 0;
        LastAvailIndex = UsedIndex = 0;
        _signalledUsedValid = false;
    }

    /// <summary>Takes the next available head; false with no fault when the ring is empty.</summary>
    public bool TryPop(out ushort head, out VirtqueueFault fault)
    {
        head = 0;
        fault = VirtqueueFault.None;
        if (!TryReadU16(DriverAddress + RingIndexOffset, out var availIndex))
        {
            fault = VirtqueueFault.OutsideRam;
            return false;
        }

        var pending = (ushort)(availIndex - LastAvailIndex);
        if (pending == 0)
        {
            return false;
        }

        if (pending > Size)
        {
            fault = VirtqueueFault.AvailIndexJump;
            return false;
        }

        var slot = (ulong)(LastAvailIndex % Size);
        if (!TryReadU16(DriverAddress + RingHeaderSize + (slot * AvailEntrySize), out head))
        {
            fault = VirtqueueFault.OutsideRam;
            return false;
        }

        if (head >= Size)
        {
            fault = VirtqueueFault.IndexOutOfRange;
            return false;
        }

        LastAvailIndex++;
        InFlight++;
        return true;
    }

    /// <summary>True when the driver has published heads the device has not taken yet.</summary>
    public bool HasAvailable() => TryReadU16(DriverAddress + RingIndexOffset, out var availIndex) && availIndex != LastAvailIndex;

    /// <summary>Walks the chain at <paramref name="head"/> into <paramref name="chain"/>, validating every descriptor.</summary>
    public VirtqueueFault ReadChain(ushort head, VirtqChain chain)
    {
        chain.Clear(head);
        var table = DescAddress;
        uint tableSize = Size;
        uint index = head;
        var limit = (int)Size;
        var visited = 0;
        var indirect = false;
        Span<byte> raw = stackalloc byte[DescriptorSize];
        while (true)
        {
            if (index >= tableSize)
            {
                return VirtqueueFault.IndexOutOfRange;
            }

            if (++visited > limit)
            {
                return VirtqueueFault.ChainTooLong;
            }

            if (!_memory.TryRead(table + ((ulong)index * DescriptorSize), raw))
            {
                return VirtqueueFault.OutsideRam;
            }

            var address = BinaryPrimitives.ReadUInt64LittleEndian(raw[DescAddressOffset..]);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(raw[DescLengthOffset..]);
            var flags = (VirtqDescFlags)BinaryPrimitives.ReadUInt16LittleEndian(raw[DescFlagsOffset..]);
            var next = BinaryPrimitives.ReadUInt16LittleEndian(raw[DescNextOffset..]);

            if ((flags & VirtqDescFlags.Indirect) != 0)
            {
                // Only a head may point at a table, never with NEXT, never from inside one (2.7.5.3.1).
                if (indirect || !IndirectAllowed || chain.Count != 0 || (flags & VirtqDescFlags.Next) != 0
                    || length == 0 || length % DescriptorSize != 0 || length / DescriptorSize > MaxSize)
                {
                    return VirtqueueFault.BadIndirect;
                }

                if (!InRam(address, length))
                {
                    return VirtqueueFault.OutsideRam;
                }

                table = address;
                tableSize = length / DescriptorSize;
                limit = (int)tableSize;
                index = 0;
                visited = 0;
                indirect = true;
                continue;
            }

            if (length == 0)
            {
                return VirtqueueFault.ZeroLength;
            }

            var writable = (flags & VirtqDescFlags.Write) != 0;
            if (!writable && chain.WritableBytes > 0)
            {
                return VirtqueueFault.WrongOrder;
            }

            if (!InRam(address, length))
            {
                return VirtqueueFault.OutsideRam;
            }

            chain.Add(address, length, writable);
            if ((flags & VirtqDescFlags.Next) == 0)
            {
                return VirtqueueFault.None;
            }

            index = next;
        }
    }

    /// <summary>Returns a chain through the used ring; false when the ring is outside RAM.</summary>
    public bool PushUsed(ushort head, uint written)
    {
        Span<byte> element = stackalloc byte[UsedEntrySize];
        BinaryPrimitives.WriteUInt32LittleEndian(element, head);
        BinaryPrimitives.WriteUInt32LittleEndian(element[sizeof(uint)..], written);
        var slot = (ulong)(UsedIndex % Size);
        if (!_memory.TryWrite(DeviceAddress + RingHeaderSize + (slot * UsedEntrySize), element))
        {
            return false;
        }

        UsedIndex++;
        if (InFlight > 0)
        {
            InFlight--;
        }

        return TryWriteU16(DeviceAddress + RingIndexOffset, UsedIndex);
    }

    /// <summary>
    /// Whether the driver wants an interrupt for the used entries added since the last one: with
    /// EVENT_IDX when used_event was crossed (2.7.10), else unless VIRTQ_AVAIL_F_NO_INTERRUPT is set.
    /// NOTIFY_ON_EMPTY forces one when nothing is left in flight and the ring is empty.
    /// </summary>
    public bool ShouldInterrupt(bool notifyOnEmpty)
    {
        if (notifyOnEmpty && InFlight == 0 && !HasAvailable())
        {
            return true;
        }

        if (!EventIdx)
        {
            return !TryReadU16(DriverAddress, out var flags) || (flags & AvailNoInterrupt) == 0;
        }

        var old = _signalledUsed;
        var valid = _signalledUsedValid;
        _signalledUsed = UsedIndex;
        _signalledUsedValid = true;
        if (!valid)
        {
            return true;
        }

        // used_event sits after the available ring entries.
        if (!TryReadU16(DriverAddress + RingHeaderSize + ((ulong)AvailEntrySize * Size), out var usedEvent))
        {
            return true;
        }

        return (ushort)(UsedIndex - usedEvent - 1) < (ushort)(UsedIndex - old);
    }

    /// <summary>With EVENT_IDX, tells the driver to notify again once it publishes past what the device has seen (avail_event).</summary>
    public void PublishAvailEvent()
    {
        if (EventIdx)
        {
            TryWriteU16(DeviceAddress + RingHeaderSize + ((ulong)UsedEntrySize * Size), LastAvailIndex);
        }
    }

    /// <summary>True when <c>[address, address + length)</c> lies below the top of guest RAM (overflow-safe).</summary>
    public bool InRam(ulong address, ulong length) => address < _ramLimit && length <= _ramLimit - address;

    private bool TryReadU16(ulong address, out ushort value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(ushort)];
        if (!_memory.TryRead(address, bytes))
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
        return true;
    }

    private bool TryWriteU16(ulong address, ushort value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(ushort)];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        return _memory.TryWrite(address, bytes);
    }
}
