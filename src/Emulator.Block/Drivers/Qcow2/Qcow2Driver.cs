using System.Buffers.Binary;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// The <c>qcow2</c> format (QEMU docs/interop/qcow2.txt), versions 2 and 3, over a <c>file</c> child
/// and an optional <c>backing</c> child.
/// <para>
/// Reads map each guest cluster through L1/L2 (<see cref="Qcow2ClusterMap"/>): unallocated clusters
/// come from the backing node (zeroes past its end, or without one), zero clusters read as zeroes,
/// compressed clusters are inflated. Writes to a cluster the image owns alone (COPIED) go in place;
/// any other write allocates a new cluster at the end of the image, fills it (copy-on-write from
/// the backing node, the old compressed or shared cluster, or zeroes), and then links it. The order
/// on disk is always: refcount and data, L2 entry, old refcount drop, with a flush of the file
/// (<see cref="Qcow2Io.Barrier"/>) between the steps, so a process killed or a host losing power at
/// any point leaves at worst leaked clusters (which <c>check -r leaks</c> reclaims), never a
/// reference to an uncounted or unwritten cluster. The same barrier separates a new L2 table or
/// refcount block from the L1 or refcount-table entry that links it, and a new L1 or refcount table
/// from the header that switches to it, and that header from freeing the old table. With lazy
/// refcounts the refcount step waits for the next flush instead, behind the dirty bit (itself
/// flushed before the first allocation).
/// </para>
/// <para>
/// Threads: metadata (lookups, allocation, caches) is serialised by one lock; data reads and
/// in-place data writes run outside it, concurrently. A cluster is never reused while the image is
/// open, so a concurrent reader never sees a cluster change owner under it.
/// </para>
/// Limitations: internal snapshots are listed, can be opened read-only, survive writes to the
/// active image (shared L2 tables and clusters are copied on write), and can be created, deleted
/// and applied (<see cref="CreateSnapshot"/>, <see cref="DeleteSnapshot"/>, <see cref="ApplySnapshot"/>;
/// offline, as <c>qemu-img snapshot</c>; a snapshot of another disk size is not applied), and an
/// image with snapshots cannot be resized (as in QEMU). L2 updates are held in the L2 cache and
/// written back at flush, eviction and close, after a barrier; with lazy refcounts, refcount blocks are written at flush and close
/// after the dirty bit is set, and a dirty image is repaired when it is next opened read-write.
/// Compressed clusters are zlib (deflate) or zstd (compression_type). Extended L2 entries split a cluster
/// into 32 subclusters, each allocated, zero or unallocated on its own (<see cref="Qcow2Mapping"/>).
/// An external data file (data_file, optionally data_file_raw) holds the data clusters at their guest
/// offsets, without refcounts; it is named in the header, opened relative to the image's folder, and
/// such an image has no compressed clusters or internal snapshots. Encryption is refused at open.
/// </summary>
internal sealed class Qcow2Driver : BlockDriver, IImageInfo, IImageCheck, ISnapshotTable
{
    private readonly Lock _lock = new();
    private readonly Qcow2Io _io;
    private readonly Qcow2Io _data;
    private readonly BlockDriverState? _backing;
    private readonly Qcow2Refcounts _refcounts;
    private readonly Qcow2ClusterMap _map;
    private readonly IBlockEventSink _events;
    private readonly Qcow2Layout _layout;
    private readonly int _clusterBits;
    private readonly long _clusterMask;
    private long _size;
    private bool _markedDirty;
    private bool _corrupt;
    private long _compressedTail;

    internal Qcow2Driver(BlockDriverState node, Qcow2NodeOptions options, BlockGraph graph, IBlockEventSink events)
        : base(node)
    {
        _events = events;
        var file = graph.AttachChild(node, options.File, "file").Node;
        _io = new Qcow2Io(file, node.TraceName);
        Header = ReadHeader(_io, file.Length);
        _clusterBits = Header.ClusterBits;
        _clusterMask = Header.ClusterSize - 1;
        _layout = new Qcow2Layout(Header, file.Length);
        _layout.CheckFixedTables();
        _data = OpenDataFile(node, graph, file.Driver.Filename);
        if ((Header.Incompatible & Qcow2IncompatibleFeatures.Corrupt) != 0 && !node.ReadOnly)
        {
            throw new BlockOperationException("qcow2: Image is corrupt; cannot be opened read/write");
        }

        Snapshots = Qcow2KeptMetadata.ReadSnapshots(Header, _io, _layout);
        Qcow2KeptMetadata.KeepBitmapTables(Header, _io, _layout);

        var l1Offset = (long)Header.L1TableOffset;
        var l1Size = Header.L1Size;
        _size = (long)Header.Size;
        if (options.Snapshot is { } wanted)
        {
            var snapshot = Snapshots.FirstOrDefault(s => s.Id == wanted) ?? Snapshots.FirstOrDefault(s => s.Name == wanted)
                ?? throw new BlockOperationException($"Snapshot '{wanted}' not found in the image");
            l1Offset = (long)snapshot.L1TableOffset;
            l1Size = snapshot.L1Size;
            _size = (long)(snapshot.DiskSize ?? Header.Size);
            // ReadSnapshots checked this table against the other metadata already.
            if (Qcow2Header.L1EntriesFor((ulong)_size, _clusterBits, Header.ExtendedL2) > l1Size)
            {
                throw new BlockOperationException($"The L1 table of snapshot '{wanted}' is too small for its disk size");
            }
        }

        _refcounts = Qcow2Refcounts.Load(_io, Header, _layout, CacheTables(options.RefcountCacheSize, Header.ClusterSize), Corrupt);
        _map = new Qcow2ClusterMap(_io, Header, Qcow2ClusterMap.LoadL1(_io, l1Offset, l1Size), l1Offset, _refcounts, CacheTables(options.L2CacheSize, Header.ClusterSize), Corrupt, CheckHostRange);
        if (!node.ReadOnly)
        {
            PrepareForWriting();
        }

        if (options.Backing is { } backing)
        {
            _backing = graph.AttachChild(node, backing, "backing").Node;
        }
        else if (Header.BackingFile is { } name && !options.NoBacking)
        {
            _backing = Qcow2BackingOpener.Open(node, graph, options, file.Driver.Filename, name, Header.BackingFormat).Node;
        }
    }

    /// <summary>The header as read at open (size and table offsets may have moved since; see the properties below).</summary>
    public Qcow2Header Header { get; private set; }

    public IReadOnlyList<Qcow2Snapshot> Snapshots { get; private set; }

    IReadOnlyList<ImageSnapshot> ISnapshotTable.Snapshots => Snapshots;

    /// <summary>What <c>img info</c> shows of this image (qemu-img's field order).</summary>
    public ImageInfo Info
    {
        get
        {
            var header = Header;
            var v3 = header.Version >= 3;
            var specific = new List<KeyValuePair<string, object>> { new("compat", v3 ? "1.1" : "0.10"), new("compression-type", header.CompressionType == Qcow2CompressionType.Zstd ? "zstd" : "zlib") };
            if (v3)
            {
                specific.Add(new("lazy-refcounts", (header.Compatible & Qcow2CompatibleFeatures.LazyRefcounts) != 0));
            }

            specific.Add(new("refcount-bits", (long)header.RefcountBits));
            if (header.HasDataFile)
            {
                if (header.DataFile is { } dataFile)
                {
                    specific.Add(new("data-file", dataFile));
                }

                specific.Add(new("data-file-raw", DataFileRaw));
            }

            if (v3)
            {
                specific.Add(new("corrupt", (header.Incompatible & Qcow2IncompatibleFeatures.Corrupt) != 0));
                specific.Add(new("extended-l2", header.ExtendedL2));
            }

            return new ImageInfo
            {
                ClusterSize = ClusterSize,
                BackingFile = header.BackingFile,
                BackingFormat = header.BackingFormat,
                Dirty = (header.Incompatible & Qcow2IncompatibleFeatures.Dirty) != 0,
                FormatSpecific = specific,
            };
        }
    }

    public override long Length => Volatile.Read(ref _size);

    public int ClusterSize => Header.ClusterSize;

    /// <summary>The end of the image's used area (QEMU's "Image end offset").</summary>
    public long ImageEndOffset
    {
        get
        {
            lock (_lock)
            {
                return _refcounts.NextFree;
            }
        }
    }

    /// <summary>Metadata corruption was detected while the image was open (the corrupt bit is set and the node is read-only).</summary>
    public bool IsCorrupt => Volatile.Read(ref _corrupt);

    public BlockDriverState? BackingNode => _backing;

    public BlockDriverState FileNode => _io.File;

    internal Qcow2ClusterMap Map => _map;

    internal Qcow2Refcounts Refcounts => _refcounts;

    internal Qcow2Io Io => _io;

    /// <summary>Where data clusters are read and written: the external data file, or the image file itself.</summary>
    internal Qcow2Io Data => _data;

    /// <summary>Guest data lives in an external data file, at its guest offset, without refcounts.</summary>
    internal bool HasDataFile => Header.HasDataFile;

    /// <summary>The data file is kept a consistent raw image of the guest (autoclear bit 1).</summary>
    internal bool DataFileRaw => HasDataFile && (Header.Autoclear & Qcow2AutoclearFeatures.RawExternalData) != 0;

    /// <summary>A host cluster for the guest cluster at <paramref name="clusterStart"/>: a new one of the image, or the same offset of the data file.</summary>
    internal BlockError AllocateDataCluster(long clusterStart, out long host)
    {
        if (HasDataFile)
        {
            host = clusterStart;
            return BlockError.None;
        }

        return _refcounts.Allocate(1, out host);
    }

    internal Lock MetadataLock => _lock;

    internal Qcow2Layout Layout => _layout;

    /// <summary>Reads the header again after it was rewritten (the snapshot fields). Throws <see cref="BlockOperationException"/>.</summary>
    internal void ReloadHeader() => Header = ReadHeader(_io, _io.File.Length);

    internal void SetSnapshots(IReadOnlyList<Qcow2Snapshot> snapshots) => Snapshots = snapshots;

    public override ValueTask<BlockError> ReadAsync(long offset, Memory<byte> buffer) => Done(Qcow2Reader.Read(this, offset, buffer));

    /// <summary>A read inside one cluster whose L2 table is cached, served inline from the host page cache (see <see cref="Qcow2Reader"/>).</summary>
    public override bool TryReadNoWait(long offset, Memory<byte> buffer, out BlockError error) =>
        Qcow2Reader.TryReadNoWait(this, offset, buffer, out error);

    /// <summary>An in-place write (the cluster is allocated and owned alone) done inline when the host takes it without waiting.</summary>
    public override bool TryWriteNoWait(long offset, ReadOnlyMemory<byte> buffer, out BlockError error)
    {
        error = BlockError.None;
        var inCluster = (int)(offset & _clusterMask);
        if (inCluster + buffer.Length > Header.ClusterSize)
        {
            return false;
        }

        Qcow2Mapping mapping;
        lock (_lock)
        {
            if (!_map.TryLookupCached(offset, out mapping) || (mapping.Copied && mapping.HostOffset != 0 && !_map.InPlaceVerified(offset, mapping)))
            {
                return false;
            }
        }

        return mapping.KindAt(inCluster) == Qcow2ClusterKind.Normal && mapping.Copied
            && inCluster + buffer.Length <= mapping.RunEnd(inCluster, Header.ClusterSize)
            && _data.File.TryWriteNoWait(mapping.HostOffset + inCluster, buffer, out error);
    }

    public override ValueTask<BlockError> WriteAsync(long offset, ReadOnlyMemory<byte> buffer, BlockRequestFlags flags)
    {
        var error = Qcow2Writer.Write(this, offset, buffer, flags);
        return Done(error == BlockError.None && (flags & BlockRequestFlags.Fua) != 0 ? _io.Flush() : error);
    }

    /// <summary>Writes refcount blocks held back by lazy refcounts, then flushes the file.</summary>
    public override ValueTask<BlockError> FlushAsync()
    {
        BlockError error;
        lock (_lock)
        {
            error = _refcounts.WriteBack();
            error = error == BlockError.None ? _map.WriteBack() : error;
        }

        return Done(error == BlockError.None ? _io.Flush() : error);
    }

    public override ValueTask<BlockError> DiscardAsync(long offset, long length) => Done(Qcow2Writer.Zero(this, offset, length, discard: true, unmap: true));

    /// <summary>
    /// Zero clusters (and subclusters) where the range covers them, zero data elsewhere. With
    /// <see cref="BlockRequestFlags.NoFallback"/> a range that would need zero data written (a partial
    /// cluster, a version 2 image over a backing file, a raw data file) fails with Unsupported before
    /// anything changes, as QEMU's qcow2 answers BDRV_REQ_NO_FALLBACK.
    /// </summary>
    public override ValueTask<BlockError> WriteZeroesAsync(long offset, long length, BlockRequestFlags flags) =>
        (flags & BlockRequestFlags.NoFallback) != 0 && !Qcow2Writer.ZeroesWithoutData(this, offset, length)
            ? Done(BlockError.Unsupported)
            : Done(Qcow2Writer.Zero(this, offset, length, discard: false, unmap: (flags & BlockRequestFlags.MayUnmap) != 0));

    public override ValueTask<BlockError> TruncateAsync(long length) => Done(Qcow2Resizer.Resize(this, length));

    /// <summary>Checks the image's metadata (and repairs refcounts when <paramref name="repair"/> allows and the node is writable).</summary>
    public Qcow2CheckResult Check(Qcow2RepairMode repair) =>
        Qcow2Checker.Run(this, Node.ReadOnly ? Qcow2RepairMode.None : repair);

    ImageCheckResult IImageCheck.Check(ImageRepairMode repair) => Check(repair switch
    {
        ImageRepairMode.Leaks => Qcow2RepairMode.Leaks,
        ImageRepairMode.All => Qcow2RepairMode.All,
        _ => Qcow2RepairMode.None,
    });

    /// <summary>Creates an internal snapshot of the active image (<c>img snapshot -c</c>; see <see cref="Qcow2SnapshotOperations"/>).</summary>
    public BlockError CreateSnapshot(string name) => HasDataFile ? BlockError.Unsupported : Qcow2SnapshotOperations.Create(this, name);

    /// <summary>Reverts the active image to the internal snapshot with this ID or name (<c>img snapshot -a</c>).</summary>
    public BlockError ApplySnapshot(string idOrName) => Qcow2SnapshotOperations.Apply(this, idOrName);

    /// <summary>Deletes the internal snapshot with this ID or name (<c>img snapshot -d</c>).</summary>
    public BlockError DeleteSnapshot(string idOrName) => Qcow2SnapshotOperations.Delete(this, idOrName);

    /// <summary>The mapping of the guest cluster at <paramref name="guestOffset"/> (for <c>img map</c>).</summary>
    public BlockError GetMapping(long guestOffset, out Qcow2Mapping mapping)
    {
        lock (_lock)
        {
            return _map.Lookup(guestOffset, out mapping);
        }
    }

    /// <summary>Block status of the cluster at <paramref name="offset"/> (at most to its end), from its L2 entry.</summary>
    public override BlockError GetBlockStatus(long offset, long length, out BlockStatus status)
    {
        var error = GetMapping(offset, out var mapping);
        var inCluster = offset & _clusterMask;
        length = Math.Min(length, mapping.RunEnd((int)inCluster, Header.ClusterSize) - inCluster);
        const BlockStatusFlags Stored = BlockStatusFlags.Data | BlockStatusFlags.Allocated;
        status = mapping.KindAt((int)inCluster) switch
        {
            Qcow2ClusterKind.Normal => new BlockStatus(Stored | BlockStatusFlags.OffsetValid, length, mapping.HostOffset + inCluster, _data.File.Driver.Filename),
            Qcow2ClusterKind.Compressed => new BlockStatus(Stored, length, 0, Filename),
            Qcow2ClusterKind.Zero when mapping.HostOffset != 0 =>
                new BlockStatus(BlockStatusFlags.Zero | BlockStatusFlags.Allocated | BlockStatusFlags.OffsetValid, length, mapping.HostOffset + inCluster, _data.File.Driver.Filename),
            Qcow2ClusterKind.Zero => new BlockStatus(BlockStatusFlags.Zero | BlockStatusFlags.Allocated, length, 0, Filename),
            _ => new BlockStatus(BlockStatusFlags.None, length, 0, Filename),
        };
        return error;
    }

    public override void Close()
    {
        lock (_lock)
        {
            if (!_corrupt && _map.WriteBack() == BlockError.None)
            {
                _io.Barrier();
            }

            // The dirty bit goes only after every held-back refcount is on disk.
            if (_markedDirty && !_corrupt && _refcounts.WriteBack() == BlockError.None && _io.Flush() == BlockError.None
                && WriteIncompatible(Header.Incompatible & ~Qcow2IncompatibleFeatures.Dirty) == BlockError.None)
            {
                _io.Flush();
            }
        }
    }

    internal void SetLength(long length) => Volatile.Write(ref _size, length);

    /// <summary>Sets the dirty bit before the first allocation when lazy refcounts are on (under the lock).</summary>
    internal BlockError MarkDirty()
    {
        if (_markedDirty || (Header.Compatible & Qcow2CompatibleFeatures.LazyRefcounts) == 0)
        {
            return BlockError.None;
        }

        _markedDirty = true;
        var error = WriteIncompatible(Header.Incompatible | Qcow2IncompatibleFeatures.Dirty);
        error = error == BlockError.None ? _io.Flush() : error;

        // From here on a crash leaves the dirty bit, so refcount updates may wait for the next flush.
        _refcounts.Lazy = error == BlockError.None;
        return error;
    }

    internal ref long CompressedTail => ref _compressedTail;

    internal int ClusterBits => _clusterBits;

    /// <summary>Clusters that hold <paramref name="bytes"/> bytes of metadata (an L1 or snapshot table).</summary>
    internal int ClustersFor(long bytes) => (int)((bytes + ClusterSize - 1) >> _clusterBits);

    internal long ClusterMask => _clusterMask;

    /// <summary>Reads guest data for one cluster's worth that is not allocated in this image: the backing node, zeroes past its end.</summary>
    internal BlockError ReadBacking(long offset, Span<byte> destination, Memory<byte> memory)
    {
        if (_backing is null || offset >= _backing.Length)
        {
            destination.Clear();
            return BlockError.None;
        }

        var available = (int)Math.Min(destination.Length, _backing.Length - offset);
        destination[available..].Clear();
        return Qcow2Io.Wait(_backing.ReadAsync(offset, memory[..available]));
    }

    internal BlockError ReadCompressed(Qcow2Mapping mapping, Span<byte> cluster)
    {
        // Compressed clusters are the cold path (images made by convert -c); a buffer per read is fine here.
        var raw = new byte[mapping.CompressedLength];
        var error = _io.Read(mapping.HostOffset, raw);
        return error != BlockError.None || Qcow2Compression.Decompress(Header.CompressionType, raw, raw.Length, cluster) ? error : BlockError.Io;
    }

    /// <summary>Records detected metadata corruption: sets the corrupt bit (version 3), makes the node read-only, emits BLOCK_IMAGE_CORRUPTED once. Returns the I/O error for the request.</summary>
    internal BlockError Corrupt(string message)
    {
        if (_corrupt)
        {
            return BlockError.Io;
        }

        Volatile.Write(ref _corrupt, true);
        var wasWritable = !Node.ReadOnly;
        if (wasWritable && Header.Version >= 3)
        {
            WriteIncompatible(Header.Incompatible | Qcow2IncompatibleFeatures.Corrupt);
        }

        Node.ReadOnly = true;
        _events.Publish(new BlockImageCorruptedEvent(string.Empty, Node.NodeName, $"{message}; further corruption events will be suppressed", null, null, wasWritable));
        return BlockError.Io;
    }

    /// <summary>
    /// Opens the external data file the header names (relative to the image's folder, as QEMU's
    /// data-file), with the image's read-only state; without one, data clusters live in the image.
    /// </summary>
    private Qcow2Io OpenDataFile(BlockDriverState node, BlockGraph graph, string imagePath)
    {
        if (!Header.HasDataFile)
        {
            return (Header.Autoclear & Qcow2AutoclearFeatures.RawExternalData) != 0
                ? throw new BlockOperationException("data-file-raw requires a data file")
                : _io;
        }

        var name = Header.DataFile ?? throw new BlockOperationException("'data-file' is required for this image");
        var path = Qcow2BackingOpener.Resolve(imagePath, name);
        if (!System.IO.File.Exists(path))
        {
            throw new BlockOperationException($"Could not open '{path}': No such file or directory (the external data file of '{imagePath}')");
        }

        var data = graph.AttachChild(node, BlockChildOptions.Of(new FileNodeOptions(path) { ReadOnly = node.ReadOnly }), "data-file").Node;
        var io = new Qcow2Io(data, node.TraceName);
        _io.DataIo = io;
        return io;
    }

    /// <summary>Tables (one cluster each) that fit in a cache of <paramref name="bytes"/> bytes; at least two.</summary>
    private static int CacheTables(long bytes, int clusterSize) => (int)Math.Clamp(bytes / clusterSize, 2, 1 << 16);

    private static Qcow2Header ReadHeader(Qcow2Io io, long fileLength)
    {
        var length = (int)Math.Min(1 << Qcow2Header.MaxClusterBits, fileLength);
        if (length < Qcow2Header.V2Length)
        {
            throw new BlockOperationException("Image is not in qcow2 format (file too short)");
        }

        var buffer = new byte[length];
        if (io.Read(0, buffer) != BlockError.None)
        {
            throw new BlockOperationException("Could not read the qcow2 header");
        }

        return Qcow2Header.Parse(buffer);
    }

    /// <summary>Read-write open: clears autoclear bits we do not maintain (so a stale bitmap is never trusted) and repairs a dirty image.</summary>
    private void PrepareForWriting()
    {
        var kept = DataFileRaw ? Qcow2AutoclearFeatures.RawExternalData : Qcow2AutoclearFeatures.None;
        if (Header.Version >= 3 && Header.Autoclear != kept)
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(bytes, (ulong)kept);
            if (_io.Write(Qcow2Header.AutoclearField, bytes) != BlockError.None)
            {
                throw new BlockOperationException("Could not update the qcow2 header");
            }

            Header = Header with { Autoclear = kept };
        }

        if ((Header.Incompatible & Qcow2IncompatibleFeatures.Dirty) != 0)
        {
            var result = Qcow2Checker.Run(this, Qcow2RepairMode.All);
            if (result.Corruptions > 0 || result.CheckErrors > 0)
            {
                throw new BlockOperationException($"The dirty qcow2 image could not be repaired ({result.Corruptions} corruptions left)");
            }

            if (WriteIncompatible(Header.Incompatible & ~Qcow2IncompatibleFeatures.Dirty) != BlockError.None)
            {
                throw new BlockOperationException("Could not update the qcow2 header");
            }
        }
    }

    private BlockError WriteIncompatible(Qcow2IncompatibleFeatures features)
    {
        Header = Header with { Incompatible = features };
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, (ulong)features);
        return _io.Write(Qcow2Header.IncompatibleField, bytes);
    }

    /// <summary>Why a host range read from the image cannot be data or an L2 table, or null.</summary>
    private string? CheckHostRange(long offset, long length)
    {
        if (offset < Header.ClusterSize)
        {
            return "overlaps the qcow2 header";
        }

        var end = Math.Max(_layout.FileLength, _refcounts.NextFree);
        if (offset > end - length)
        {
            return "lies past the end of the file";
        }

        if (Qcow2Layout.Overlaps(offset, length, _map.L1Offset, _map.L1.Count * 8L))
        {
            return "overlaps the active L1 table";
        }

        return Qcow2Layout.Overlaps(offset, length, _refcounts.TableOffset, (long)_refcounts.TableClusters << _clusterBits)
            ? "overlaps the refcount table"
            : _layout.DescribeKept(offset, length);
    }
}
