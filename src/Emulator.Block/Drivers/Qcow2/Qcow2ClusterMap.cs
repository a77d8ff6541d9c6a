using System.Buffers;
using System.Buffers.Binary;
using Emulator.Block.Backend;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// The two-level cluster map (qcow2.txt, "Cluster mapping"): the L1 table held in memory, L2 tables
/// through a <see cref="Qcow2TableCache"/>. Decodes entries into <see cref="Qcow2Mapping"/> after
/// checking them (reserved bits, alignment, offsets inside the image and off the fixed metadata);
/// a bad entry is reported through the corruption callback, never used. Called under the driver's lock.
/// </summary>
internal sealed class Qcow2ClusterMap
{
    private readonly Qcow2Io _io;
    private readonly Qcow2Refcounts _refcounts;
    private readonly Qcow2TableCache _l2Cache;
    private readonly Func<string, BlockError> _corrupt;
    private readonly Func<long, long, string?> _checkHostRange;
    private readonly int _clusterBits;
    private readonly int _l2Bits;
    private readonly bool _hasZeroFlag;
    private readonly bool _extended;
    private readonly bool _dataFile;
    private readonly int _entryBytes;
    private readonly byte[] _entryBuffer = new byte[8];
    private readonly HashSet<long> _l2Offsets = [];
    private ulong[] _l1;

    public Qcow2ClusterMap(
        Qcow2Io io,
        Qcow2Header header,
        ulong[] l1,
        long l1Offset,
        Qcow2Refcounts refcounts,
        int l2CacheTables,
        Func<string, BlockError> corrupt,
        Func<long, long, string?> checkHostRange)
    {
        _io = io;
        _refcounts = refcounts;
        _clusterBits = header.ClusterBits;
        _extended = header.ExtendedL2;
        _dataFile = header.HasDataFile;
        _entryBytes = header.L2EntryBytes;
        _l2Bits = header.ClusterBits - (_extended ? 4 : 3);
        SubclusterBits = _extended ? header.ClusterBits - Qcow2Entry.SubclusterShift : 0;

        // Extended entries keep zero status in the bitmap; bit 0 of the entry is reserved there.
        _hasZeroFlag = header.Version >= 3 && !_extended;
        _l1 = l1;
        foreach (var entry in l1)
        {
            _l2Offsets.Add((long)(entry & Qcow2Entry.OffsetMask));
        }

        _l2Offsets.Remove(0);
        L1Offset = l1Offset;
        _l2Cache = new Qcow2TableCache(io, header.ClusterSize, l2CacheTables);
        _corrupt = corrupt;
        _checkHostRange = checkHostRange;
    }

    public long L1Offset { get; private set; }

    public IReadOnlyList<ulong> L1 => _l1;

    public int ClusterSize => 1 << _clusterBits;

    /// <summary>log2 of the subcluster size with extended L2 entries; 0 without.</summary>
    public int SubclusterBits { get; }

    /// <summary>Entries in one L2 table.</summary>
    public int EntriesPerTable => 1 << _l2Bits;

    /// <summary>Entry <paramref name="index"/> of an L2 table and, with extended entries, its subcluster bitmap.</summary>
    public ulong ReadEntry(ReadOnlySpan<byte> table, int index, out ulong bitmap)
    {
        var at = index * _entryBytes;
        bitmap = _extended ? BinaryPrimitives.ReadUInt64BigEndian(table[(at + 8)..]) : 0;
        return BinaryPrimitives.ReadUInt64BigEndian(table[at..]);
    }

    /// <summary>Reads an L1 table of <paramref name="entries"/> entries at <paramref name="offset"/>; throws <see cref="BlockOperationException"/> when unreadable.</summary>
    public static ulong[] LoadL1(Qcow2Io io, long offset, uint entries)
    {
        var bytes = new byte[checked((int)entries * 8)];
        if (entries > 0 && io.Read(offset, bytes) != BlockError.None)
        {
            throw new BlockOperationException("Could not read the qcow2 L1 table");
        }

        var l1 = new ulong[entries];
        for (var i = 0; i < l1.Length; i++)
        {
            l1[i] = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(i * 8));
        }

        return l1;
    }

    /// <summary>The mapping of the guest cluster holding <paramref name="guestOffset"/>.</summary>
    public BlockError Lookup(long guestOffset, out Qcow2Mapping mapping)
    {
        mapping = Qcow2Mapping.Unallocated;
        var error = FindL2(guestOffset, out var l2Offset, out _);
        if (error != BlockError.None || l2Offset == 0)
        {
            return error;
        }

        error = _l2Cache.Get(l2Offset, out var table);
        if (error != BlockError.None)
        {
            return error;
        }

        var entry = ReadEntry(table, L2Index(guestOffset), out var bitmap);
        error = Decode(entry, bitmap, out mapping);
        var cluster = guestOffset & ~(long)(ClusterSize - 1);
        return error == BlockError.None && _dataFile && mapping.Kind != Qcow2ClusterKind.Unallocated && (mapping.HostOffset != 0 || mapping.Copied) && mapping.HostOffset != cluster
            ? _corrupt($"External data file host cluster offset 0x{mapping.HostOffset:x} does not match guest cluster offset: 0x{cluster:x}")
            : error;
    }

    /// <summary>The mapping when everything needed is already in memory and valid; false means "take the slow path" (which reports problems).</summary>
    public bool TryLookupCached(long guestOffset, out Qcow2Mapping mapping)
    {
        mapping = Qcow2Mapping.Unallocated;
        var l1Index = guestOffset >> (_clusterBits + _l2Bits);
        if (l1Index >= _l1.Length)
        {
            return true;
        }

        var entry = _l1[l1Index];
        var l2Offset = (long)(entry & Qcow2Entry.OffsetMask);
        if ((entry & Qcow2Entry.L1Reserved) != 0 || (l2Offset & (ClusterSize - 1)) != 0)
        {
            return false;
        }

        if (l2Offset == 0)
        {
            return true;
        }

        return _l2Cache.TryGetCached(l2Offset, out var table)
            && Describe(ReadEntry(table, L2Index(guestOffset), out var bitmap), bitmap, out mapping) is null
            && (!_dataFile || mapping.Kind != Qcow2ClusterKind.Normal || mapping.HostOffset == (guestOffset & ~(long)(ClusterSize - 1)));
    }

    /// <summary>
    /// Checks, before data is written in place, that the host cluster of a COPIED entry is the entry's
    /// alone: its refcount is exactly 1 (an entry marked COPIED over a free cluster would let that
    /// cluster be handed out a second time), and no other entry of the same L2 table maps it (checked
    /// once each time the table is read into the cache). QEMU writes in both cases and the two guest
    /// clusters then share their data; here the image is marked corrupt and the write fails.
    /// </summary>
    public BlockError CheckInPlace(long guestOffset, Qcow2Mapping mapping)
    {
        if (_dataFile)
        {
            return BlockError.None;
        }

        var error = _refcounts.Get(mapping.HostOffset, out var refcount);
        if (error != BlockError.None)
        {
            return error;
        }

        if (refcount != 1)
        {
            return _corrupt($"Data cluster at 0x{mapping.HostOffset:x} is marked COPIED but its refcount is {refcount}");
        }

        error = FindL2(guestOffset, out var l2Offset, out _);
        if (error != BlockError.None || l2Offset == 0 || _l2Cache.IsVerified(l2Offset))
        {
            return error;
        }

        error = _l2Cache.Get(l2Offset, out var table);
        if (error != BlockError.None)
        {
            return error;
        }

        if (FindSharedCopied(table) is { } shared)
        {
            return _corrupt($"L2 table at 0x{l2Offset:x} maps host cluster 0x{shared:x}, marked COPIED, more than once");
        }

        _l2Cache.MarkVerified(l2Offset);
        return BlockError.None;
    }

    /// <summary>
    /// <see cref="CheckInPlace"/> from memory alone, for the no-wait write path: true only when the
    /// cluster's refcount is cached and 1 and its L2 table was already verified; false means "take the
    /// slow path" (which runs the full check and reports a problem).
    /// </summary>
    public bool InPlaceVerified(long guestOffset, Qcow2Mapping mapping)
    {
        if (_dataFile)
        {
            return true;
        }

        var l1Index = guestOffset >> (_clusterBits + _l2Bits);
        return l1Index < _l1.Length
            && _refcounts.TryGetCached(mapping.HostOffset, out var refcount) && refcount == 1
            && _l2Cache.IsVerified((long)(_l1[l1Index] & Qcow2Entry.OffsetMask));
    }

    /// <summary>The L2 table of a guest offset for an update, allocating and linking a new one when there is none.</summary>
    public BlockError PrepareL2(long guestOffset, out long l2Offset)
    {
        var error = FindL2(guestOffset, out l2Offset, out var copied);
        if (error != BlockError.None)
        {
            return error;
        }

        if (l2Offset != 0)
        {
            return copied ? BlockError.None : CopyL2(guestOffset >> (_clusterBits + _l2Bits), ref l2Offset);
        }

        error = _refcounts.Allocate(1, out l2Offset);
        if (error != BlockError.None)
        {
            return error;
        }

        error = _l2Cache.Create(l2Offset, out var table);
        error = error == BlockError.None ? _l2Cache.WriteThrough(l2Offset, table, 0, table.Length) : error;
        if (error != BlockError.None)
        {
            // Nothing links the table yet: give its cluster back, so a retry (after ENOSPC) allocates the same one.
            _l2Cache.Evict(l2Offset);
            _ = _refcounts.Abandon(l2Offset);
            return error;
        }

        // The new table and its refcount are durable before the L1 entry links it.
        error = _io.Barrier();
        if (error != BlockError.None)
        {
            return error;
        }

        var l1Index = guestOffset >> (_clusterBits + _l2Bits);
        return SetL1(l1Index, (ulong)l2Offset | Qcow2Entry.Copied);
    }

    /// <summary>
    /// Copy-on-write of an L2 table shared with an internal snapshot: the copy is written, the L1
    /// entry switched to it, then the shared table loses one reference. The data clusters keep their
    /// refcounts (each L1 path still counts once) and entries without COPIED stay so, which makes
    /// their next write copy the data cluster too.
    /// </summary>
    private BlockError CopyL2(long l1Index, ref long l2Offset)
    {
        var error = _l2Cache.Get(l2Offset, out var shared);
        if (error != BlockError.None)
        {
            return error;
        }

        var copy = (byte[])shared.Clone();
        error = _refcounts.Allocate(1, out var newOffset);
        error = error == BlockError.None ? _io.Write(newOffset, copy) : error;
        error = error == BlockError.None ? _io.Barrier() : error;
        error = error == BlockError.None ? SetL1(l1Index, (ulong)newOffset | Qcow2Entry.Copied) : error;
        error = error == BlockError.None ? _io.Barrier() : error;
        error = error == BlockError.None ? _refcounts.Change(l2Offset, -1) : error;
        if (error != BlockError.None)
        {
            return error;
        }

        error = _l2Cache.Create(newOffset, out var cached);
        if (error == BlockError.None)
        {
            copy.CopyTo(cached, 0);
            l2Offset = newOffset;
        }

        return error;
    }

    /// <summary>
    /// Sets one L2 entry in the cached table (the table must have been prepared). The table is written
    /// back at the next flush, eviction or <see cref="Qcow2Writer.Release"/>, after a barrier, so the
    /// data and refcounts the entry needs are durable before it is (as QEMU's L2 cache depends on
    /// its refcount cache and the data writes).
    /// </summary>
    public BlockError SetL2(long guestOffset, long l2Offset, ulong entry) =>
        _extended ? SetL2(guestOffset, l2Offset, entry & ~Qcow2Entry.Zero, WholeClusterBitmap(entry)) : SetL2Standard(guestOffset, l2Offset, entry);

    /// <summary>Sets an extended L2 entry and its subcluster bitmap (see <see cref="SetL2(long, long, ulong)"/>).</summary>
    public BlockError SetL2(long guestOffset, long l2Offset, ulong entry, ulong bitmap)
    {
        var error = SetL2Standard(guestOffset, l2Offset, entry);
        if (error == BlockError.None && _extended)
        {
            _l2Cache.Get(l2Offset, out var table);
            BinaryPrimitives.WriteUInt64BigEndian(table.AsSpan((L2Index(guestOffset) * _entryBytes) + 8), bitmap);
        }

        return error;
    }

    /// <summary>Sets the 64-bit part of an L2 entry only (flags such as COPIED), leaving an extended entry's bitmap as it is.</summary>
    public BlockError SetL2Standard(long guestOffset, long l2Offset, ulong entry)
    {
        var error = _l2Cache.Get(l2Offset, out var table);
        if (error != BlockError.None)
        {
            return error;
        }

        BinaryPrimitives.WriteUInt64BigEndian(table.AsSpan(L2Index(guestOffset) * _entryBytes), entry);
        _l2Cache.MarkDirty(l2Offset);
        return BlockError.None;
    }

    /// <summary>
    /// The bitmap of an extended entry that means what a standard entry means for the whole cluster:
    /// zero flag → every subcluster zero; a host cluster → every subcluster allocated; compressed or
    /// unallocated → none. So whole-cluster paths (allocation, zeroing, preallocation) serve both formats.
    /// </summary>
    private ulong WholeClusterBitmap(ulong entry) =>
        (entry & Qcow2Entry.Compressed) != 0 ? 0
        : (entry & Qcow2Entry.Zero) != 0 ? Qcow2Entry.AllZero
        : (entry & Qcow2Entry.OffsetMask) != 0 || (_dataFile && (entry & Qcow2Entry.Copied) != 0) ? Qcow2Entry.AllAllocated
        : 0;

    /// <summary>True when L2 entries changed since they were last written back.</summary>
    public bool HasDirty => _l2Cache.HasDirty;

    /// <summary>Writes changed L2 tables to the file, after a barrier that makes what they point at durable.</summary>
    public BlockError WriteBack() => _l2Cache.WriteBack();

    /// <summary>The raw entry of the L2 table at <paramref name="l2Offset"/> (for freeing what it points to).</summary>
    public BlockError GetL2Entry(long guestOffset, long l2Offset, out ulong entry)
    {
        entry = 0;
        var error = _l2Cache.Get(l2Offset, out var table);
        if (error == BlockError.None)
        {
            entry = BinaryPrimitives.ReadUInt64BigEndian(table.AsSpan(L2Index(guestOffset) * _entryBytes));
        }

        return error;
    }

    /// <summary>
    /// Entry <paramref name="index"/> of the L2 table at <paramref name="l2Offset"/>, the one L1 entry
    /// <paramref name="l1Index"/> points to, as a walk over a whole L1 table reads it (snapshot references,
    /// COPIED repair): the guest offset it maps, the raw entry and the entry checked and decoded.
    /// </summary>
    public BlockError ReadTableEntry(int l1Index, int index, long l2Offset, out long guest, out ulong raw, out Qcow2Mapping mapping)
    {
        guest = (((long)l1Index * EntriesPerTable) + index) << _clusterBits;
        mapping = Qcow2Mapping.Unallocated;
        var error = GetL2Entry(guest, l2Offset, out raw);
        return error == BlockError.None ? Decode(raw, out mapping) : error;
    }

    /// <summary>Checks and decodes a raw L2 entry; a bad one is reported as corruption.</summary>
    public BlockError Decode(ulong entry, out Qcow2Mapping mapping) => Decode(entry, 0, out mapping);

    /// <summary>Checks and decodes an L2 entry with its subcluster bitmap (extended entries).</summary>
    public BlockError Decode(ulong entry, ulong bitmap, out Qcow2Mapping mapping) =>
        Describe(entry, bitmap, out mapping) is { } problem ? _corrupt(problem) : BlockError.None;

    /// <summary>Decodes a raw L2 entry (the host cluster only for extended entries); returns why it cannot be right, or null.</summary>
    public string? Describe(ulong entry, out Qcow2Mapping mapping) => Describe(entry, 0, out mapping);

    /// <summary>Decodes an L2 entry and its subcluster bitmap; returns why they cannot be right, or null.</summary>
    public string? Describe(ulong entry, ulong bitmap, out Qcow2Mapping mapping)
    {
        mapping = Qcow2Mapping.Unallocated;
        if ((entry & Qcow2Entry.Compressed) != 0 && _dataFile)
        {
            return $"Compressed cluster entry 0x{entry:x} found in image with external data file";
        }

        if ((entry & Qcow2Entry.Compressed) != 0)
        {
            var shift = Qcow2Entry.CompressedSizeShift(_clusterBits);
            var host = (long)(entry & ((1UL << shift) - 1));
            var sectors = (long)((entry & ~Qcow2Entry.Copied & ~Qcow2Entry.Compressed) >> shift) + 1;
            var length = (sectors * Qcow2Entry.CompressedSectorSize) - (host & (Qcow2Entry.CompressedSectorSize - 1));
            if (host > (long)Qcow2Entry.OffsetMask || (_checkHostRange(host, 1) ?? OverlapsTables(host & ~(long)(ClusterSize - 1))) is not null)
            {
                return $"Compressed cluster at 0x{host:x} {_checkHostRange(host, 1) ?? OverlapsTables(host & ~(long)(ClusterSize - 1)) ?? "is out of range"}";
            }

            mapping = new Qcow2Mapping(Qcow2ClusterKind.Compressed, host, (int)length, false);
            return null;
        }

        if ((entry & Qcow2Entry.L2Reserved) != 0 || (!_hasZeroFlag && (entry & Qcow2Entry.Zero) != 0))
        {
            return $"L2 entry 0x{entry:x} has reserved bits set";
        }

        var offset = (long)(entry & Qcow2Entry.OffsetMask);
        var copied = (entry & Qcow2Entry.Copied) != 0;

        // Data clusters of an external data file lie at their guest offset there (checked by Lookup), not in this file.
        var hostCluster = offset != 0 || (_dataFile && copied);
        if (offset != 0 && !_dataFile)
        {
            if ((offset & (ClusterSize - 1)) != 0)
            {
                return $"Cluster allocation offset 0x{offset:x} unaligned (L2 entry 0x{entry:x})";
            }

            if ((_checkHostRange(offset, ClusterSize) ?? OverlapsTables(offset)) is { } problem)
            {
                return $"Data cluster at 0x{offset:x} {problem}";
            }
        }

        if (_extended)
        {
            return DescribeSubclusters(entry, bitmap, hostCluster, offset, copied, out mapping);
        }

        if ((entry & Qcow2Entry.Zero) != 0)
        {
            mapping = new Qcow2Mapping(Qcow2ClusterKind.Zero, offset, 0, copied);
        }
        else if (hostCluster)
        {
            mapping = new Qcow2Mapping(Qcow2ClusterKind.Normal, offset, 0, copied);
        }

        return null;
    }

    /// <summary>An extended entry: the host cluster (if any) and what each subcluster reads (QEMU's QCOW2_SUBCLUSTER_INVALID cases refused).</summary>
    private string? DescribeSubclusters(ulong entry, ulong bitmap, bool hostCluster, long offset, bool copied, out Qcow2Mapping mapping)
    {
        mapping = Qcow2Mapping.Unallocated;
        var allocated = bitmap & Qcow2Entry.AllAllocated;
        var zero = bitmap >> Qcow2Entry.ZeroBitmapShift;
        if ((allocated & zero) != 0)
        {
            return $"L2 entry 0x{entry:x} (bitmap 0x{bitmap:x}) marks a subcluster both allocated and zero";
        }

        if (!hostCluster && allocated != 0)
        {
            return $"L2 entry 0x{entry:x} (bitmap 0x{bitmap:x}) allocates subclusters without a host cluster";
        }

        var kind = hostCluster ? Qcow2ClusterKind.Normal
            : zero == Qcow2Entry.AllAllocated ? Qcow2ClusterKind.Zero
            : Qcow2ClusterKind.Unallocated;
        mapping = new Qcow2Mapping(kind, offset, 0, copied) { SubclusterBits = SubclusterBits, Bitmap = bitmap };
        return null;
    }

    /// <summary>Replaces the L1 table by a larger one (resize): the new table is written, the header switched in one write, the old one freed.</summary>
    public BlockError GrowL1(int entries)
    {
        var bytes = new byte[entries * 8];
        for (var i = 0; i < _l1.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(i * 8), _l1[i]);
        }

        var clusters = (bytes.Length + ClusterSize - 1) >> _clusterBits;
        var error = _refcounts.Allocate(clusters, out var offset);
        error = error == BlockError.None ? _io.Write(offset, bytes) : error;
        error = error == BlockError.None ? _io.Flush() : error;
        if (error != BlockError.None)
        {
            return error;
        }

        var header = new byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)entries);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(4), (ulong)offset);
        error = _io.Write(Qcow2Header.L1SizeField, header);

        // The header points at the new table on disk before the old one can be freed and reused.
        error = error == BlockError.None ? _io.Barrier() : error;
        if (error != BlockError.None)
        {
            return error;
        }

        var oldOffset = L1Offset;
        var oldClusters = ((_l1.Length * 8) + ClusterSize - 1) >> _clusterBits;
        var l1 = new ulong[entries];
        _l1.CopyTo(l1, 0);
        _l1 = l1;
        L1Offset = offset;
        for (var i = 0; i < oldClusters; i++)
        {
            error = _refcounts.Change(oldOffset + ((long)i << _clusterBits), -1);
            if (error != BlockError.None)
            {
                return error;
            }
        }

        return BlockError.None;
    }

    /// <summary>Sets an L1 entry (resize shrink clears entries; new L2 tables link themselves).</summary>
    public BlockError SetL1(long index, ulong entry)
    {
        _l2Offsets.Remove((long)(_l1[index] & Qcow2Entry.OffsetMask));
        _l1[index] = entry;
        if ((entry & Qcow2Entry.OffsetMask) != 0)
        {
            _l2Offsets.Add((long)(entry & Qcow2Entry.OffsetMask));
        }

        BinaryPrimitives.WriteUInt64BigEndian(_entryBuffer, entry);
        return _io.Write(L1Offset + (index * 8), _entryBuffer);
    }

    public void EvictL2(long l2Offset) => _l2Cache.Evict(l2Offset);

    /// <summary>Why a host cluster cannot hold guest data: it is an active L2 table or a refcount block; null when it can.</summary>
    private string? OverlapsTables(long cluster) =>
        _l2Offsets.Contains(cluster) ? "overlaps an L2 table"
        : _refcounts.IsRefcountBlock(cluster) ? "overlaps a refcount block"
        : null;

    /// <summary>A host cluster that two entries of one L2 table map while one of them says it is the only user (COPIED), or null.</summary>
    private long? FindSharedCopied(byte[] table)
    {
        // Host offsets are cluster aligned, so bit 0 is free to carry the COPIED flag through the sort.
        var hosts = ArrayPool<long>.Shared.Rent(EntriesPerTable);
        try
        {
            var count = 0;
            for (var i = 0; i < EntriesPerTable; i++)
            {
                var entry = ReadEntry(table, i, out _);
                var host = (long)(entry & Qcow2Entry.OffsetMask);
                if ((entry & Qcow2Entry.Compressed) == 0 && host != 0)
                {
                    hosts[count++] = host | ((entry & Qcow2Entry.Copied) != 0 ? 1L : 0L);
                }
            }

            var sorted = hosts.AsSpan(0, count);
            sorted.Sort();
            for (var i = 1; i < sorted.Length; i++)
            {
                // Equal hosts sort next to each other, a COPIED one last: the later of a pair carries the flag if any does.
                if ((sorted[i] & ~1L) == (sorted[i - 1] & ~1L) && (sorted[i] & 1) != 0)
                {
                    return sorted[i] & ~1L;
                }
            }

            return null;
        }
        finally
        {
            ArrayPool<long>.Shared.Return(hosts);
        }
    }

    private int L2Index(long guestOffset) => (int)((guestOffset >> _clusterBits) & ((1L << _l2Bits) - 1));

    private BlockError FindL2(long guestOffset, out long l2Offset, out bool copied)
    {
        l2Offset = 0;
        copied = false;
        var l1Index = guestOffset >> (_clusterBits + _l2Bits);
        if (l1Index >= _l1.Length)
        {
            return BlockError.None;
        }

        var entry = _l1[l1Index];
        if ((entry & Qcow2Entry.L1Reserved) != 0)
        {
            return _corrupt($"L1 entry {l1Index} (0x{entry:x}) has reserved bits set");
        }

        var offset = (long)(entry & Qcow2Entry.OffsetMask);
        if (offset == 0)
        {
            return BlockError.None;
        }

        if ((offset & (ClusterSize - 1)) != 0 || _checkHostRange(offset, ClusterSize) is not null || _refcounts.IsRefcountBlock(offset))
        {
            var problem = _checkHostRange(offset, ClusterSize) ?? (_refcounts.IsRefcountBlock(offset) ? "overlaps a refcount block" : "is not aligned to a cluster");
            return _corrupt($"L2 table offset 0x{offset:x} of L1 entry {l1Index} {problem}");
        }

        l2Offset = offset;
        copied = (entry & Qcow2Entry.Copied) != 0;
        return BlockError.None;
    }
}
