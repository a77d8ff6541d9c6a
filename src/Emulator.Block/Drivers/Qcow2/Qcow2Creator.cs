using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using Emulator.Block.Backend;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// Writes a new, empty qcow2 image: header cluster (with the feature name table and backing format
/// extensions for version 3), refcount table, the refcount blocks that count the initial clusters,
/// and a zeroed L1 table, laid out as QEMU lays them out. Preallocation is done afterwards through
/// the driver (<see cref="Preallocate"/>).
/// </summary>
internal static class Qcow2Creator
{
    /// <summary>Subclusters smaller than 512 bytes are not allowed: 32 of them need clusters of 16 KiB.</summary>
    private const int MinExtendedL2ClusterSize = 16384;

    public static void Create(string path, Qcow2CreateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var header = Validate(options);
        var clusterSize = (long)header.ClusterSize;
        var l1Clusters = ((header.L1Size * 8L) + clusterSize - 1) / clusterSize;
        var blockEntries = (clusterSize * 8) >> header.RefcountOrder;

        // Refcount blocks and table must count themselves: iterate until the sizes settle.
        long blocks = 1, tableClusters = 1;
        while (true)
        {
            var total = 1 + tableClusters + blocks + l1Clusters;
            var needBlocks = (total + blockEntries - 1) / blockEntries;
            var needTable = Math.Max(1, ((needBlocks * 8) + clusterSize - 1) / clusterSize);
            if (needBlocks == blocks && needTable == tableClusters)
            {
                break;
            }

            blocks = needBlocks;
            tableClusters = needTable;
        }

        var tableOffset = clusterSize;
        var blocksOffset = tableOffset + (tableClusters * clusterSize);
        var l1Offset = blocksOffset + (blocks * clusterSize);
        var end = l1Offset + (l1Clusters * clusterSize);
        header = header with
        {
            RefcountTableOffset = (ulong)tableOffset,
            RefcountTableClusters = (uint)tableClusters,
            L1TableOffset = (ulong)l1Offset,
        };
        if (header.EncodedLength() > clusterSize)
        {
            throw new BlockOperationException("The backing file name does not fit in the header cluster");
        }

        var headerCluster = new byte[clusterSize];
        header.WriteTo(headerCluster);
        var table = new byte[tableClusters * clusterSize];
        for (var i = 0; i < blocks; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(table.AsSpan(i * 8), (ulong)(blocksOffset + (i * clusterSize)));
        }

        var refcountBlocks = new byte[blocks * clusterSize];
        for (long cluster = 0; cluster < end / clusterSize; cluster++)
        {
            var block = refcountBlocks.AsSpan((int)(cluster / blockEntries * clusterSize), (int)clusterSize);
            Qcow2RefcountBlock.Set(block, header.RefcountOrder, cluster % blockEntries, 1);
        }

        try
        {
            if (options.DataFile is { } dataFile)
            {
                // As qemu-img: the data file is created (sparse) at the guest size.
                using var data = new FileStream(Qcow2BackingOpener.Resolve(path, dataFile), FileMode.Create, FileAccess.Write, FileShare.None);
                data.SetLength(options.Size);
            }

            using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
            stream.Write(headerCluster);
            stream.Write(table);
            stream.Write(refcountBlocks);
            stream.SetLength(end);
        }
        catch (IOException e)
        {
            throw new BlockOperationException($"Could not create '{path}': {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new BlockOperationException($"Could not create '{path}': {e.Message}", e);
        }
    }

    /// <summary>Allocates every cluster of an open, empty image (preallocation=metadata|full).</summary>
    internal static BlockError Preallocate(Qcow2Driver driver, Qcow2Preallocation mode)
    {
        ArgumentNullException.ThrowIfNull(driver);
        if (mode == Qcow2Preallocation.Off)
        {
            return BlockError.None;
        }

        for (long offset = 0; offset < driver.Length; offset += driver.ClusterSize)
        {
            var host = 0L;
            lock (driver.MetadataLock)
            {
                var error = driver.Map.PrepareL2(offset, out var l2Offset);
                error = error == BlockError.None ? driver.AllocateDataCluster(offset, out host) : error;
                error = error == BlockError.None ? driver.Map.SetL2(offset, l2Offset, (ulong)host | Qcow2Entry.Copied) : error;
                if (error != BlockError.None)
                {
                    return error;
                }
            }

            if (mode == Qcow2Preallocation.Full)
            {
                var error = Qcow2Io.Wait(driver.Data.File.WriteZeroesAsync(host, driver.ClusterSize, BlockRequestFlags.None));
                if (error != BlockError.None)
                {
                    return error;
                }
            }
        }

        // A metadata-preallocated image reaches its last data cluster, so reads there stay inside the file.
        return Qcow2Io.Wait(driver.FileNode.Length < driver.ImageEndOffset ? driver.FileNode.TruncateAsync(driver.ImageEndOffset) : new(BlockError.None));
    }

    private static Qcow2Header Validate(Qcow2CreateOptions options)
    {
        if (options.Version is not (2 or 3))
        {
            throw new BlockOperationException($"Invalid compat version {options.Version}");
        }

        if (!BitOperations.IsPow2(options.ClusterSize) || options.ClusterSize < 512 || options.ClusterSize > (2 << 20))
        {
            throw new BlockOperationException("Cluster size must be a power of two between 512 and 2048k");
        }

        if (!BitOperations.IsPow2(options.RefcountBits) || options.RefcountBits > 64)
        {
            throw new BlockOperationException("Refcount width must be a power of two and may not exceed 64 bits");
        }

        if (options.Version == 2 && options.RefcountBits != 16)
        {
            throw new BlockOperationException("Different refcount widths than 16 bits require compatibility level 1.1 or above (use compat=1.1 or greater)");
        }

        if (options.Version == 2 && options.LazyRefcounts)
        {
            throw new BlockOperationException("Lazy refcounts only supported with compatibility level 1.1 and above (use compat=1.1 or greater)");
        }

        if (options.Version == 2 && options.CompressionType != Qcow2CompressionType.Zlib)
        {
            throw new BlockOperationException("Non-zlib compression type is only supported with compatibility level 1.1 and above (use version=v3 or greater)");
        }

        if (options.ExtendedL2 && options.Version == 2)
        {
            throw new BlockOperationException("Extended L2 entries are only supported with compatibility level 1.1 and above (use compat=1.1 or greater)");
        }

        if (options.ExtendedL2 && options.ClusterSize < MinExtendedL2ClusterSize)
        {
            throw new BlockOperationException($"Extended L2 entries are only supported with cluster sizes of at least {MinExtendedL2ClusterSize} bytes");
        }

        if (options.DataFileRaw && options.DataFile is null)
        {
            throw new BlockOperationException("data-file-raw requires data-file");
        }

        if (options.DataFileRaw && options.BackingFile is not null)
        {
            throw new BlockOperationException("Backing file and data-file-raw cannot be used at the same time");
        }

        if (options.DataFile is not null && options.Version == 2)
        {
            throw new BlockOperationException("External data files are only supported with compatibility level 1.1 and above (use version=v3 or greater)");
        }

        if (options.Size < 0 || options.Size % 512 != 0)
        {
            throw new BlockOperationException("Image size must be a multiple of 512 bytes");
        }

        if (options.BackingFormat is not null && options.BackingFile is null)
        {
            throw new BlockOperationException("Backing format cannot be used without backing file");
        }

        var clusterBits = BitOperations.Log2((uint)options.ClusterSize);
        var l1Entries = Qcow2Header.L1EntriesFor((ulong)options.Size, clusterBits, options.ExtendedL2);
        if (l1Entries * 8 > Qcow2Header.MaxL1Bytes)
        {
            throw new BlockOperationException("Image size is too large for this cluster size");
        }

        var extensions = new List<Qcow2HeaderExtension>();
        if (options.BackingFormat is { } format)
        {
            extensions.Add(new Qcow2HeaderExtension(Qcow2HeaderExtensionType.BackingFormat, Encoding.UTF8.GetBytes(format)));
        }

        if (options.DataFile is { } dataFile)
        {
            extensions.Add(new Qcow2HeaderExtension(Qcow2HeaderExtensionType.ExternalDataFile, Encoding.UTF8.GetBytes(dataFile)));
        }

        if (options.Version == 3)
        {
            extensions.Add(Qcow2FeatureNames.Standard());
        }

        return new Qcow2Header
        {
            Version = options.Version,
            ClusterBits = clusterBits,
            Size = (ulong)options.Size,
            L1Size = (uint)l1Entries,
            RefcountOrder = BitOperations.Log2((uint)options.RefcountBits),
            HeaderLength = options.Version == 3 ? Qcow2Header.V3Length + 8 : Qcow2Header.V2Length,
            Compatible = options.LazyRefcounts ? Qcow2CompatibleFeatures.LazyRefcounts : Qcow2CompatibleFeatures.None,
            Incompatible = (options.CompressionType != Qcow2CompressionType.Zlib ? Qcow2IncompatibleFeatures.CompressionType : Qcow2IncompatibleFeatures.None)
                | (options.ExtendedL2 ? Qcow2IncompatibleFeatures.ExtendedL2 : Qcow2IncompatibleFeatures.None)
                | (options.DataFile is not null ? Qcow2IncompatibleFeatures.ExternalDataFile : Qcow2IncompatibleFeatures.None),
            Autoclear = options.DataFileRaw ? Qcow2AutoclearFeatures.RawExternalData : Qcow2AutoclearFeatures.None,
            CompressionType = options.CompressionType,
            Extensions = extensions,
            BackingFile = options.BackingFile,
        };
    }
}
