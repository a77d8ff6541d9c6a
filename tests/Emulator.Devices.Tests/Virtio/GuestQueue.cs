using System.Buffers.Binary;
using Emulator.Machine.Memory;

namespace Emulator.Devices.Tests.Virtio;

/// <summary>One buffer of a chain as the driver describes it.</summary>
internal readonly record struct GuestBuffer(ulong Address, uint Length, bool Writable);

/// <summary>
/// The driver's side of a split virtqueue (virtio 1.2, 2.7), written from the specification:
/// descriptor table, available ring (flags, idx, ring[], used_event) and used ring (flags, idx,
/// ring[] of {id, len}, avail_event) in guest RAM. Descriptors are handed out round robin.
/// </summary>
internal sealed class GuestQueue
{
    private readonly GuestMemory _memory;
    private ushort _nextDescriptor;
    private ushort _availIndex;

    private GuestQueue(GuestMemory memory, ushort size, ulong desc, ulong avail, ulong used)
    {
        _memory = memory;
        Size = size;
        Desc = desc;
        Avail = avail;
        Used = used;
    }

    public ushort Size { get; }

    public ulong Desc { get; }

    public ulong Avail { get; }

    public ulong Used { get; }

    public ushort AvailIndex => _availIndex;

    /// <summary>Legacy layout: table, available ring, used ring on the next 4096-byte boundary (2.7.2 legacy interfaces).</summary>
    public static GuestQueue Legacy(GuestMemory memory, ulong pageAddress, ushort size)
    {
        var avail = pageAddress + (16UL * size);
        var used = (avail + 6 + (2UL * size) + VirtioSpec.LegacyAlign - 1) & ~(ulong)(VirtioSpec.LegacyAlign - 1);
        var queue = new GuestQueue(memory, size, pageAddress, avail, used);
        queue.ClearRings();
        return queue;
    }

    /// <summary>Modern layout: three separately addressed parts (here packed one after the other, 4 KiB apart).</summary>
    public static GuestQueue Modern(GuestMemory memory, ulong address, ushort size)
    {
        var avail = address + (16UL * size);
        var used = (avail + 6 + (2UL * size) + 0xFFF) & ~0xFFFUL;
        var queue = new GuestQueue(memory, size, address, avail, used);
        queue.ClearRings();
        return queue;
    }

    public void WriteDescriptor(int index, ulong address, uint length, ushort flags, ushort next) =>
        WriteDescriptorAt(Desc, index, address, length, flags, next);

    public void WriteDescriptorAt(ulong table, int index, ulong address, uint length, ushort flags, ushort next)
    {
        Span<byte> raw = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(raw, address);
        BinaryPrimitives.WriteUInt32LittleEndian(raw[8..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(raw[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(raw[14..], next);
        _memory.Write((uint)(table + (16UL * (ulong)index)), raw);
    }

    /// <summary>Writes <paramref name="buffers"/> as one chain of consecutive descriptors; returns the head.</summary>
    public ushort AddChain(params GuestBuffer[] buffers)
    {
        var head = _nextDescriptor;
        for (var i = 0; i < buffers.Length; i++)
        {
            var index = (ushort)((head + i) % Size);
            var next = (ushort)((head + i + 1) % Size);
            var flags = (ushort)((buffers[i].Writable ? VirtioSpec.DescWrite : 0) | (i + 1 < buffers.Length ? VirtioSpec.DescNext : 0));
            WriteDescriptor(index, buffers[i].Address, buffers[i].Length, flags, next);
        }

        _nextDescriptor = (ushort)((head + buffers.Length) % Size);
        return head;
    }

    /// <summary>Puts <paramref name="head"/> in the available ring and publishes the new index.</summary>
    public void Publish(ushort head)
    {
        WriteU16(Avail + 4 + (2UL * (ulong)(_availIndex % Size)), head);
        _availIndex++;
        WriteU16(Avail + 2, _availIndex);
    }

    /// <summary>Publishes an arbitrary available index (hostile tests).</summary>
    public void SetAvailIndex(ushort index)
    {
        _availIndex = index;
        WriteU16(Avail + 2, index);
    }

    public void SetAvailFlags(ushort flags) => WriteU16(Avail, flags);

    public void SetUsedEvent(ushort index) => WriteU16(Avail + 4 + (2UL * Size), index);

    public ushort UsedIndex => ReadU16(Used + 2);

    public ushort AvailEvent => ReadU16(Used + 4 + (8UL * Size));

    public (uint Id, uint Length) UsedElement(int index)
    {
        var at = Used + 4 + (8UL * (ulong)(index % Size));
        Span<byte> raw = stackalloc byte[8];
        _memory.Read((uint)at, raw);
        return (BinaryPrimitives.ReadUInt32LittleEndian(raw), BinaryPrimitives.ReadUInt32LittleEndian(raw[4..]));
    }

    private void ClearRings()
    {
        _memory.Write((uint)Desc, new byte[16 * Size]);
        _memory.Write((uint)Avail, new byte[6 + (2 * Size)]);
        _memory.Write((uint)Used, new byte[6 + (8 * Size)]);
    }

    private void WriteU16(ulong address, ushort value) => _memory.WriteWord((uint)address, value);

    private ushort ReadU16(ulong address) => _memory.ReadWord((uint)address);
}
