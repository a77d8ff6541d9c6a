using System.Diagnostics;

namespace Emulator.Testing.Qos;

/// <summary>
/// libqos's QVirtQueue: one split virtqueue (virtio 1.2 section 2.7) in guest memory from a
/// <see cref="GuestAllocator"/>, laid out as a legacy device requires (descriptor table, available ring,
/// used ring on the next 4 KiB boundary, one block) so the same queue serves the legacy transport (by page
/// frame number) and the modern one (by the three addresses). The helper keeps one request in flight: each
/// chain starts at descriptor 0 and the caller waits for the used ring before the next.
/// </summary>
public sealed class Virtqueue
{
    /// <summary>The legacy interface's queue alignment (virtio 1.2 section 2.7.2: 4096 for legacy devices).</summary>
    public const int LegacyAlignment = 4096;

    /// <summary>Bytes of one descriptor: addr (le64), len (le32), flags (le16), next (le16).</summary>
    public const int DescriptorBytes = 16;

    /// <summary>VIRTQ_DESC_F_NEXT and VIRTQ_DESC_F_WRITE (section 2.7.5).</summary>
    public const ushort DescriptorNext = 1;

    /// <summary>VIRTQ_DESC_F_WRITE: the device writes this buffer.</summary>
    public const ushort DescriptorWrite = 2;

    private const int RingHeaderBytes = 4;
    private const int AvailEntryBytes = 2;
    private const int UsedEntryBytes = 8;
    private const int RingIndexOffset = 2;
    private const int PollSteps = 200;
    private const ulong StepNanoseconds = 100_000;

    private readonly IQtest _qtest;

    /// <summary>
    /// Allocates and zeroes queue <paramref name="index"/> of <paramref name="size"/> entries (a power of two, as
    /// the device reported it) from <paramref name="allocator"/>.
    /// </summary>
    public Virtqueue(IQtest qtest, GuestAllocator allocator, int index, int size)
    {
        ArgumentNullException.ThrowIfNull(qtest);
        ArgumentNullException.ThrowIfNull(allocator);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        if (size <= 0 || size > ushort.MaxValue + 1 || (size & (size - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "a split virtqueue has a power-of-two size up to 32768");
        }

        _qtest = qtest;
        Index = index;
        Size = size;
        var availBytes = RingHeaderBytes + (AvailEntryBytes * size) + 2;
        var usedOffset = Align((ulong)((DescriptorBytes * size) + availBytes));
        var usedBytes = (ulong)(RingHeaderBytes + (UsedEntryBytes * size) + 2);
        var total = usedOffset + Align(usedBytes);
        DescriptorTable = allocator.Allocate(total);
        qtest.Memset(DescriptorTable, (int)total, 0);
        AvailRing = DescriptorTable + (ulong)(DescriptorBytes * size);
        UsedRing = DescriptorTable + usedOffset;
    }

    /// <summary>The queue's number on its device.</summary>
    public int Index { get; }

    /// <summary>Entries in the descriptor table and both rings.</summary>
    public int Size { get; }

    /// <summary>Guest address of the descriptor table (the modern queue_desc; the legacy PFN is this over 4096).</summary>
    public ulong DescriptorTable { get; }

    /// <summary>Guest address of the available (driver) ring: the modern queue_driver.</summary>
    public ulong AvailRing { get; }

    /// <summary>Guest address of the used (device) ring: the modern queue_device.</summary>
    public ulong UsedRing { get; }

    /// <summary>The used ring's idx: how many chains the device has given back so far (wrapping at 65536).</summary>
    public ushort UsedIndex => _qtest.ReadW(UsedRing + RingIndexOffset);

    /// <summary>
    /// Writes <paramref name="chain"/> as descriptors 0… linked with NEXT and makes its head available (the
    /// notification is the transport's). Returns the used index to wait past (<see cref="WaitForUsed"/>).
    /// </summary>
    public ushort Add(IReadOnlyList<VirtqBuffer> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        if (chain.Count == 0 || chain.Count > Size)
        {
            throw new ArgumentException($"a chain has 1 to {Size} buffers", nameof(chain));
        }

        for (var i = 0; i < chain.Count; i++)
        {
            var at = DescriptorTable + (ulong)(DescriptorBytes * i);
            var last = i == chain.Count - 1;
            var flags = (ushort)((chain[i].DeviceWrites ? DescriptorWrite : 0) | (last ? 0 : DescriptorNext));
            _qtest.WriteQ(at, chain[i].Address);
            _qtest.WriteL(at + 8, chain[i].Length);
            _qtest.WriteW(at + 12, flags);
            _qtest.WriteW(at + 14, (ushort)(last ? 0 : i + 1));
        }

        var usedBefore = UsedIndex;
        var availIndex = _qtest.ReadW(AvailRing + RingIndexOffset);
        _qtest.WriteW(AvailRing + RingHeaderBytes + (ulong)(AvailEntryBytes * (availIndex % Size)), 0);
        _qtest.WriteW(AvailRing + RingIndexOffset, (ushort)(availIndex + 1));
        return usedBefore;
    }

    /// <summary>
    /// Polls the used ring's idx while virtual time steps: true once it is no longer <paramref name="usedBefore"/>,
    /// false after 200 polls and <paramref name="patience"/> of host time (a completion comes from an I/O thread,
    /// which a loaded host can hold up).
    /// </summary>
    public bool WaitForUsed(ushort usedBefore, TimeSpan patience)
    {
        var polling = Stopwatch.StartNew();
        for (var i = 0; i < PollSteps || polling.Elapsed < patience; i++)
        {
            if (UsedIndex != usedBefore)
            {
                return true;
            }

            _qtest.ClockStep(StepNanoseconds);
        }

        return false;
    }

    /// <summary>The used element at ring position <paramref name="usedIndex"/>: the chain's head and the bytes the device wrote.</summary>
    public (uint Head, uint Written) UsedElement(ushort usedIndex)
    {
        var at = UsedRing + RingHeaderBytes + (ulong)(UsedEntryBytes * (usedIndex % Size));
        return (_qtest.ReadL(at), _qtest.ReadL(at + 4));
    }

    private static ulong Align(ulong value) => (value + LegacyAlignment - 1) & ~(ulong)(LegacyAlignment - 1);
}
