using System.Buffers.Binary;
using Emulator.Block.Backend;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// The refcount table, its refcount blocks and the cluster allocator. Allocation only appends at
/// the end of the image (freed clusters are not reused while the image is open), so a cluster a
/// concurrent reader just looked up is never handed out again under it. Every update is written
/// through in dependency order: a cluster's refcount is on disk before anything points at it, a new
/// refcount block is complete before the table entry that links it; with <see cref="Lazy"/> on,
/// refcount changes wait in the cache for the next flush. Called under the driver's lock.
/// </summary>
internal sealed class Qcow2Refcounts
{
    private const long MaxSkippedBytes = 1L << 30;

    // Refcount blocks read backwards at open to find the image's end before giving up (a hostile table of empty blocks).
    private const int MaxEndScanBlocks = 64;

    private readonly Qcow2Io _io;
    private readonly Qcow2TableCache _blocks;
    private readonly Func<string, BlockError> _corrupt;
    private readonly int _clusterBits;
    private readonly int _order;
    private readonly long _blockEntries;
    private readonly HashSet<long> _blockOffsets = [];
    private ulong[] _table;

    private Qcow2Refcounts(Qcow2Io io, Qcow2Header header, ulong[] table, long end, int cacheTables, Func<string, BlockError> corrupt)
    {
        _io = io;
        _clusterBits = header.ClusterBits;
        _order = header.RefcountOrder;
        _blockEntries = ((long)header.ClusterSize * 8) >> _order;
        _table = table;
        foreach (var entry in table)
        {
            if (entry != 0)
            {
                _blockOffsets.Add((long)entry);
            }
        }

        TableOffset = (long)header.RefcountTableOffset;
        TableClusters = (int)header.RefcountTableClusters;
        _blocks = new Qcow2TableCache(io, header.ClusterSize, cacheTables);
        _corrupt = corrupt;
        NextFree = end;
    }

    /// <summary>
    /// Lazy refcounts: refcount changes stay in the cache until <see cref="WriteBack"/> (flush, close)
    /// or eviction. Only set while the image's dirty bit is on disk, which makes the next writer rebuild them.
    /// </summary>
    public bool Lazy { get; set; }

    public long TableOffset { get; private set; }

    public int TableClusters { get; private set; }

    /// <summary>The refcount block offsets (0 = none), for the checker.</summary>
    public IReadOnlyList<ulong> Table => _table;

    /// <summary>Where the next cluster will be allocated: the end of the image.</summary>
    public long NextFree { get; private set; }

    public ulong MaxRefcount => Qcow2RefcountBlock.MaxValue(_order);

    private long ClusterSize => 1L << _clusterBits;

    /// <summary>Reads and checks the refcount table. Throws <see cref="BlockOperationException"/> for a table that cannot be right.</summary>
    public static Qcow2Refcounts Load(Qcow2Io io, Qcow2Header header, Qcow2Layout layout, int cacheTables, Func<string, BlockError> corrupt)
    {
        var bytes = new byte[checked((int)header.RefcountTableClusters << header.ClusterBits)];
        if (io.Read((long)header.RefcountTableOffset, bytes) != BlockError.None)
        {
            throw new BlockOperationException("Could not read the qcow2 refcount table");
        }

        var table = new ulong[bytes.Length / 8];
        for (var i = 0; i < table.Length; i++)
        {
            var entry = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(i * 8));
            if (entry == 0)
            {
                continue;
            }

            if ((entry & Qcow2Entry.RefcountTableReserved) != 0 || entry % (ulong)header.ClusterSize != 0)
            {
                throw new BlockOperationException($"Refcount table entry {i} (0x{entry:x}) is not aligned to a cluster");
            }

            layout.CheckTable((long)Math.Min(entry, long.MaxValue), header.ClusterSize, $"Refcount block {i}", checkRefcountTable: true);
            table[i] = entry;
        }

        var end = (layout.FileLength + header.ClusterSize - 1) & ~((long)header.ClusterSize - 1);
        return new Qcow2Refcounts(io, header, table, Math.Min(end, UsedEnd(io, header, table) ?? end), cacheTables, corrupt);
    }

    /// <summary>
    /// The end of the last cluster with a refcount (QEMU's "image end offset"), or null when the last
    /// refcount blocks hold none or cannot be read. New clusters go from there, so free space after the
    /// image inside the file is used first — the only space there is when the file cannot grow (an NBD
    /// export, a host block device), where QEMU's first-fit allocator also finds it.
    /// </summary>
    private static long? UsedEnd(Qcow2Io io, Qcow2Header header, ulong[] table)
    {
        var blockEntries = ((long)header.ClusterSize * 8) >> header.RefcountOrder;
        var block = new byte[header.ClusterSize];
        var scanned = 0;
        for (var i = table.Length - 1; i >= 0 && scanned < MaxEndScanBlocks; i--)
        {
            if (table[i] == 0)
            {
                continue;
            }

            scanned++;
            if (io.Read((long)table[i], block) != BlockError.None)
            {
                return null;
            }

            for (var j = blockEntries - 1; j >= 0; j--)
            {
                if (Qcow2RefcountBlock.Get(block, header.RefcountOrder, j) != 0)
                {
                    var clusters = (i * blockEntries) + j + 1;
                    return clusters <= long.MaxValue >> header.ClusterBits ? clusters << header.ClusterBits : null;
                }
            }
        }

        return null;
    }

    public BlockError Get(long hostOffset, out ulong refcount)
    {
        refcount = 0;
        var blockOffset = ExistingBlockOf(hostOffset, out var index);
        if (blockOffset == 0)
        {
            return BlockError.None;
        }

        var error = _blocks.Get(blockOffset, out var block);
        if (error == BlockError.None)
        {
            refcount = Qcow2RefcountBlock.Get(block, _order, index);
        }

        return error;
    }

    /// <summary>The refcount of a host cluster when its refcount block is cached; false means "look it up with <see cref="Get"/>".</summary>
    public bool TryGetCached(long hostOffset, out ulong refcount)
    {
        refcount = 0;
        var blockOffset = ExistingBlockOf(hostOffset, out var index);
        if (blockOffset == 0)
        {
            return true;
        }

        if (!_blocks.TryGetCached(blockOffset, out var block))
        {
            return false;
        }

        refcount = Qcow2RefcountBlock.Get(block, _order, index);
        return true;
    }

    /// <summary>
    /// The offset of the refcount block holding the cluster at <paramref name="hostOffset"/>, or 0 when the
    /// table has none (the cluster's refcount is then 0), and the cluster's index in that block.
    /// </summary>
    private long ExistingBlockOf(long hostOffset, out long index)
    {
        var cluster = hostOffset >> _clusterBits;
        var tableIndex = cluster / _blockEntries;
        index = cluster % _blockEntries;
        return tableIndex < _table.Length ? (long)_table[tableIndex] : 0;
    }

    /// <summary>
    /// Allocates <paramref name="count"/> contiguous clusters at the end of the image, each with
    /// refcount 1 on disk before this returns. Clusters past the end of the file that already have a
    /// refcount (an image another writer left that way) are skipped, never handed out twice.
    /// </summary>
    public BlockError Allocate(int count, out long offset)
    {
        offset = NextFree;
        for (var i = 0; i < count; i++)
        {
            var error = Get(offset + (i * ClusterSize), out var refcount);
            if (error != BlockError.None)
            {
                return error;
            }

            if (refcount != 0)
            {
                offset += (i + 1) * ClusterSize;
                i = -1;
                if (offset - NextFree > MaxSkippedBytes)
                {
                    // A hostile refcount block full of counts must not turn one allocation into a long scan.
                    return _corrupt($"Clusters past the end of the image at 0x{NextFree:x} have refcounts");
                }
            }
        }

        NextFree = offset + (count * ClusterSize);
        var extended = _io.Extend(NextFree);
        if (extended != BlockError.None)
        {
            return extended;
        }

        for (var i = 0; i < count; i++)
        {
            var error = Change(offset + (i * ClusterSize), 1);
            if (error != BlockError.None)
            {
                return error;
            }
        }

        return BlockError.None;
    }

    /// <summary>
    /// Gives back a cluster <see cref="Allocate"/> handed out whose data write then failed (QEMU's
    /// qcow2_alloc_cluster_abort): its refcount drops back to 0 and, when it is the last cluster handed
    /// out and the file ends with it, the file is cut back and the next allocation takes it again — so a
    /// write retried after ENOSPC lands where it would have landed had there been room, instead of leaking
    /// a cluster per failure. Cutting the file also drops whatever part of the failed write reached it:
    /// a fresh cluster must read as zeroes where nothing was written.
    /// </summary>
    public BlockError Abandon(long offset)
    {
        var error = Change(offset, -1);
        if (error == BlockError.None && offset + ClusterSize == NextFree && _io.File.Length == NextFree
            && _io.Shrink(offset) == BlockError.None)
        {
            NextFree = offset;
        }

        return error;
    }

    /// <summary>Adds <paramref name="delta"/> to the refcount of the cluster at <paramref name="hostOffset"/>; underflow and overflow are corruption.</summary>
    public BlockError Change(long hostOffset, long delta)
    {
        var error = BlockOf(hostOffset, out var blockOffset, out var block, out var index);
        if (error != BlockError.None)
        {
            return error;
        }

        var old = Qcow2RefcountBlock.Get(block, _order, index);
        if ((delta < 0 && old < (ulong)-delta) || (delta > 0 && MaxRefcount - old < (ulong)delta))
        {
            return _corrupt($"Refcount of cluster at 0x{hostOffset:x} would go from {old} by {delta}");
        }

        return Store(blockOffset, block, index, old + (ulong)delta);
    }

    /// <summary>Sets a refcount outright (repair).</summary>
    public BlockError Set(long hostOffset, ulong value)
    {
        var error = BlockOf(hostOffset, out var blockOffset, out var block, out var index);
        return error != BlockError.None ? error : Store(blockOffset, block, index, Math.Min(value, MaxRefcount));
    }

    /// <summary>The refcount block holding the cluster at <paramref name="hostOffset"/> (allocated when missing) and the cluster's index in it.</summary>
    private BlockError BlockOf(long hostOffset, out long blockOffset, out byte[] block, out long index)
    {
        var cluster = hostOffset >> _clusterBits;
        index = cluster % _blockEntries;
        blockOffset = 0;
        block = [];
        var error = EnsureBlock(cluster / _blockEntries);
        if (error != BlockError.None)
        {
            return error;
        }

        blockOffset = (long)_table[cluster / _blockEntries];
        return _blocks.Get(blockOffset, out block);
    }

    /// <summary>True when the cluster at <paramref name="offset"/> is a refcount block (so it can be neither data nor an L2 table).</summary>
    public bool IsRefcountBlock(long offset) => _blockOffsets.Contains(offset);

    /// <summary>Writes refcount blocks changed in memory (lazy refcounts) to the file.</summary>
    public BlockError WriteBack() => _blocks.WriteBack();

    /// <summary>Moves the end of the image forward past clusters something else already accounts for (after a check finds them in use).</summary>
    public void ReserveUpTo(long end) => NextFree = Math.Max(NextFree, (end + ClusterSize - 1) & ~(ClusterSize - 1));

    private BlockError Store(long blockOffset, byte[] block, long index, ulong value)
    {
        var (start, length) = Qcow2RefcountBlock.Set(block, _order, index, value);
        if (Lazy)
        {
            _blocks.MarkDirty(blockOffset);
            return BlockError.None;
        }

        return _blocks.WriteThrough(blockOffset, block, start, length);
    }

    private BlockError EnsureBlock(long index)
    {
        if (index >= _table.Length)
        {
            var error = GrowTable(index);
            if (error != BlockError.None)
            {
                return error;
            }
        }

        return _table[index] != 0 ? BlockError.None : AllocateBlock(index);
    }

    /// <summary>A new refcount block for <paramref name="index"/>: counted (in itself or in another block), written, then linked.</summary>
    private BlockError AllocateBlock(long index)
    {
        var offset = NextFree;
        NextFree += ClusterSize;
        var error = _io.Extend(NextFree);
        if (error != BlockError.None)
        {
            return error;
        }

        var selfIndex = (offset >> _clusterBits) / _blockEntries;
        if (selfIndex == index)
        {
            error = _blocks.Create(offset, out var block);
            if (error == BlockError.None)
            {
                Qcow2RefcountBlock.Set(block, _order, (offset >> _clusterBits) % _blockEntries, 1);
                error = _blocks.WriteThrough(offset, block, 0, block.Length);
            }
        }
        else
        {
            error = Change(offset, 1);
            if (error == BlockError.None && _table[index] != 0)
            {
                // Counting this block grew the table, and the growth already made the block we wanted.
                return Change(offset, -1);
            }

            if (error == BlockError.None)
            {
                error = _blocks.Create(offset, out var block);
                error = error == BlockError.None ? _blocks.WriteThrough(offset, block, 0, block.Length) : error;
            }
        }

        // The block (and its own count) is durable before the table entry that links it.
        error = error == BlockError.None ? _io.Barrier() : error;
        if (error != BlockError.None)
        {
            return error;
        }

        _table[index] = (ulong)offset;
        _blockOffsets.Add(offset);
        var entry = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(entry, (ulong)offset);
        return _io.Write(TableOffset + (index * 8), entry);
    }

    /// <summary>
    /// Moves the refcount table to a larger one at the end of the image. The new table and the new
    /// refcount blocks it needs for itself are written first; one header write switches to them; the
    /// old table's clusters are freed last. A crash before the header write only leaves unreferenced
    /// clusters beyond the old table's reach.
    /// </summary>
    private BlockError GrowTable(long neededIndex)
    {
        // Room past the needed entry for the blocks that count the new table itself.
        var entries = Math.Max(neededIndex + 8, (long)_table.Length * 2);
        var clusters = (int)(((entries * 8) + ClusterSize - 1) >> _clusterBits);
        if (clusters * ClusterSize > Qcow2Header.MaxRefcountTableBytes)
        {
            return BlockError.NoSpace;
        }

        var table = new ulong[clusters * ClusterSize / 8];
        _table.CopyTo(table, 0);
        var tableOffset = NextFree;
        NextFree += clusters * ClusterSize;

        // The clusters that need a refcount of one: the table, then any block created for them.
        var pending = new List<long>();
        for (var i = 0; i < clusters; i++)
        {
            pending.Add(tableOffset + (i * ClusterSize));
        }

        var newBlocks = new Dictionary<long, byte[]>();
        for (var i = 0; i < pending.Count; i++)
        {
            var index = (pending[i] >> _clusterBits) / _blockEntries;
            if (index >= table.Length)
            {
                return BlockError.NoSpace;
            }

            if (table[index] == 0)
            {
                var blockOffset = NextFree;
                NextFree += ClusterSize;
                table[index] = (ulong)blockOffset;
                _blockOffsets.Add(blockOffset);
                newBlocks.Add(index, new byte[ClusterSize]);
                pending.Add(blockOffset);
            }
        }

        foreach (var cluster in pending)
        {
            var index = (cluster >> _clusterBits) / _blockEntries;
            if (newBlocks.TryGetValue(index, out var block))
            {
                Qcow2RefcountBlock.Set(block, _order, (cluster >> _clusterBits) % _blockEntries, 1);
            }
            else if (Change(cluster, 1) is var error && error != BlockError.None)
            {
                return error;
            }
        }

        if (_io.Extend(NextFree) is var extended && extended != BlockError.None)
        {
            return extended;
        }

        foreach (var (index, block) in newBlocks)
        {
            if (_io.Write((long)table[index], block) is var error && error != BlockError.None)
            {
                return error;
            }
        }

        var bytes = new byte[clusters * ClusterSize];
        for (var i = 0; i < table.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(i * 8), table[i]);
        }

        var header = new byte[12];
        BinaryPrimitives.WriteUInt64BigEndian(header, (ulong)tableOffset);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), (uint)clusters);
        var written = _io.Write(tableOffset, bytes);
        written = written == BlockError.None ? _io.Flush() : written;
        written = written == BlockError.None ? _io.Write(Qcow2Header.RefcountTableField, header) : written;

        // The header points at the new table on disk before the old table's clusters lose their count.
        written = written == BlockError.None ? _io.Barrier() : written;
        if (written != BlockError.None)
        {
            return written;
        }

        var oldOffset = TableOffset;
        var oldClusters = TableClusters;
        _table = table;
        TableOffset = tableOffset;
        TableClusters = clusters;
        for (var i = 0; i < oldClusters; i++)
        {
            if (Change(oldOffset + (i * ClusterSize), -1) is var error && error != BlockError.None)
            {
                return error;
            }
        }

        return BlockError.None;
    }
}
