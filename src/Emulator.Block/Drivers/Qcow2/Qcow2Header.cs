using System.Buffers.Binary;
using System.Text;
using Emulator.Block.Backend;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// The qcow2 header (docs/interop/qcow2.txt, "Header"): the fixed fields of versions 2 and 3, the
/// header extensions and the backing file name. <see cref="Parse"/> checks every field on its own
/// (ranges, alignment, feature bits); <see cref="Qcow2Layout"/> checks the tables against each other
/// and the file. Unknown extensions and the bitmaps extension are kept and written back untouched.
/// </summary>
internal sealed record Qcow2Header
{
    public const uint Magic = 0x514649FB;
    public const int V2Length = 72;
    public const int V3Length = 104;
    public const int MinClusterBits = 9;
    public const int MaxClusterBits = 21;
    public const int MaxRefcountOrder = 6;
    public const int MaxBackingFileNameLength = 1023;
    public const int MaxSnapshots = 65536;

    /// <summary>QEMU's limits: 32 MiB of L1 table and 8 MiB of refcount table; larger ones are refused, not allocated.</summary>
    public const long MaxL1Bytes = 32L << 20;
    public const long MaxRefcountTableBytes = 8L << 20;

    /// <summary>Field offsets in the header (qcow2.txt byte numbers).</summary>
    public const int VersionField = 4;
    public const int BackingFileOffsetField = 8;
    public const int BackingFileSizeField = 16;
    public const int ClusterBitsField = 20;
    public const int SizeField = 24;
    public const int CryptMethodField = 32;
    public const int L1SizeField = 36;
    public const int L1OffsetField = 40;
    public const int RefcountTableField = 48;
    public const int RefcountTableClustersField = 56;
    public const int SnapshotCountField = 60;
    public const int SnapshotsOffsetField = 64;
    public const int IncompatibleField = 72;
    public const int CompatibleField = 80;
    public const int AutoclearField = 88;
    public const int RefcountOrderField = 96;
    public const int HeaderLengthField = 100;
    public const int CompressionTypeField = 104;

    public int Version { get; init; } = 3;

    public ulong BackingFileOffset { get; init; }

    public uint BackingFileSize { get; init; }

    public int ClusterBits { get; init; } = 16;

    public ulong Size { get; init; }

    public uint CryptMethod { get; init; }

    public uint L1Size { get; init; }

    public ulong L1TableOffset { get; init; }

    public ulong RefcountTableOffset { get; init; }

    public uint RefcountTableClusters { get; init; }

    public uint SnapshotCount { get; init; }

    public ulong SnapshotsOffset { get; init; }

    public Qcow2IncompatibleFeatures Incompatible { get; init; }

    public Qcow2CompatibleFeatures Compatible { get; init; }

    public Qcow2AutoclearFeatures Autoclear { get; init; }

    public int RefcountOrder { get; init; } = 4;

    public int HeaderLength { get; init; } = V3Length;

    public Qcow2CompressionType CompressionType { get; init; }

    public IReadOnlyList<Qcow2HeaderExtension> Extensions { get; init; } = [];

    public string? BackingFile { get; init; }

    public string? BackingFormat
    {
        get
        {
            foreach (var extension in Extensions)
            {
                if (extension.Type == Qcow2HeaderExtensionType.BackingFormat)
                {
                    return Encoding.UTF8.GetString(extension.Data);
                }
            }

            return null;
        }
    }

    /// <summary>The external data file name (its header extension), when the image names one.</summary>
    public string? DataFile => Extensions.FirstOrDefault(e => e.Type == Qcow2HeaderExtensionType.ExternalDataFile) is { } extension
        ? Encoding.UTF8.GetString(extension.Data)
        : null;

    /// <summary>Guest data lives in an external data file (incompatible bit 2).</summary>
    public bool HasDataFile => (Incompatible & Qcow2IncompatibleFeatures.ExternalDataFile) != 0;

    public int ClusterSize => 1 << ClusterBits;

    public int RefcountBits => 1 << RefcountOrder;

    /// <summary>L2 entries are 128 bits with subcluster bitmaps (incompatible bit 4).</summary>
    public bool ExtendedL2 => (Incompatible & Qcow2IncompatibleFeatures.ExtendedL2) != 0;

    /// <summary>Bytes per L2 entry: 8, or 16 with extended L2 entries.</summary>
    public int L2EntryBytes => ExtendedL2 ? Qcow2Entry.ExtendedEntryBytes : Qcow2Entry.EntryBytes;

    /// <summary>Entries per L2 table (one cluster).</summary>
    public int L2Entries => ClusterSize / L2EntryBytes;

    /// <summary>Guest bytes one L1 entry covers.</summary>
    public long L1Coverage => (long)ClusterSize * L2Entries;

    /// <summary>The number of L1 entries <paramref name="size"/> guest bytes need.</summary>
    public static long L1EntriesFor(ulong size, int clusterBits, bool extendedL2 = false)
    {
        var coverageBits = clusterBits + clusterBits - (extendedL2 ? 4 : 3);
        return (long)((size + (1UL << coverageBits) - 1) >> coverageBits);
    }

    /// <summary>Parses and checks the header in the first cluster of an image (at least <see cref="V2Length"/> bytes). Throws <see cref="BlockOperationException"/> naming the bad field.</summary>
    public static Qcow2Header Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < V2Length || BinaryPrimitives.ReadUInt32BigEndian(data) != Magic)
        {
            throw Bad("Image is not in qcow2 format");
        }

        var version = BinaryPrimitives.ReadUInt32BigEndian(data[VersionField..]);
        if (version is not (2 or 3))
        {
            throw Bad($"Unsupported qcow2 version {version}");
        }

        var clusterBits = BinaryPrimitives.ReadUInt32BigEndian(data[ClusterBitsField..]);
        if (clusterBits is < MinClusterBits or > MaxClusterBits)
        {
            throw Bad($"Unsupported cluster size: 2^{clusterBits}");
        }

        var clusterSize = 1 << (int)clusterBits;
        var header = new Qcow2Header
        {
            Version = (int)version,
            BackingFileOffset = BinaryPrimitives.ReadUInt64BigEndian(data[BackingFileOffsetField..]),
            BackingFileSize = BinaryPrimitives.ReadUInt32BigEndian(data[BackingFileSizeField..]),
            ClusterBits = (int)clusterBits,
            Size = BinaryPrimitives.ReadUInt64BigEndian(data[SizeField..]),
            CryptMethod = BinaryPrimitives.ReadUInt32BigEndian(data[CryptMethodField..]),
            L1Size = BinaryPrimitives.ReadUInt32BigEndian(data[L1SizeField..]),
            L1TableOffset = BinaryPrimitives.ReadUInt64BigEndian(data[L1OffsetField..]),
            RefcountTableOffset = BinaryPrimitives.ReadUInt64BigEndian(data[RefcountTableField..]),
            RefcountTableClusters = BinaryPrimitives.ReadUInt32BigEndian(data[RefcountTableClustersField..]),
            SnapshotCount = BinaryPrimitives.ReadUInt32BigEndian(data[SnapshotCountField..]),
            SnapshotsOffset = BinaryPrimitives.ReadUInt64BigEndian(data[SnapshotsOffsetField..]),
            HeaderLength = V2Length,
        };

        if (version == 3)
        {
            if (data.Length < V3Length)
            {
                throw Bad("qcow2 header is truncated");
            }

            var headerLength = BinaryPrimitives.ReadUInt32BigEndian(data[HeaderLengthField..]);
            if (headerLength < V3Length || headerLength > clusterSize || headerLength > data.Length || headerLength % 8 != 0)
            {
                throw Bad($"qcow2 header length {headerLength} is invalid");
            }

            header = header with
            {
                Incompatible = (Qcow2IncompatibleFeatures)BinaryPrimitives.ReadUInt64BigEndian(data[IncompatibleField..]),
                Compatible = (Qcow2CompatibleFeatures)BinaryPrimitives.ReadUInt64BigEndian(data[CompatibleField..]),
                Autoclear = (Qcow2AutoclearFeatures)BinaryPrimitives.ReadUInt64BigEndian(data[AutoclearField..]),
                RefcountOrder = checked((int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(data[RefcountOrderField..]), int.MaxValue)),
                HeaderLength = (int)headerLength,
                CompressionType = headerLength > V3Length ? (Qcow2CompressionType)data[CompressionTypeField] : Qcow2CompressionType.Zlib,
            };
        }

        header.CheckFields();
        var extensions = ParseExtensions(data[..Math.Min(data.Length, clusterSize)], header);
        string? backing = null;
        if (header.BackingFileOffset != 0 && header.BackingFileSize != 0)
        {
            if (header.BackingFileOffset + header.BackingFileSize > (ulong)data.Length)
            {
                throw Bad("qcow2 backing file name lies past the end of the image");
            }

            var start = (int)header.BackingFileOffset;
            backing = Encoding.UTF8.GetString(data.Slice(start, (int)header.BackingFileSize));
        }

        return header with { Extensions = extensions, BackingFile = backing };
    }

    /// <summary>Writes the header, its extensions and the backing file name into <paramref name="destination"/> (one cluster, cleared by the caller).</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, Magic);
        BinaryPrimitives.WriteUInt32BigEndian(destination[VersionField..], (uint)Version);
        BinaryPrimitives.WriteUInt32BigEndian(destination[ClusterBitsField..], (uint)ClusterBits);
        BinaryPrimitives.WriteUInt64BigEndian(destination[SizeField..], Size);
        BinaryPrimitives.WriteUInt32BigEndian(destination[CryptMethodField..], CryptMethod);
        BinaryPrimitives.WriteUInt32BigEndian(destination[L1SizeField..], L1Size);
        BinaryPrimitives.WriteUInt64BigEndian(destination[L1OffsetField..], L1TableOffset);
        BinaryPrimitives.WriteUInt64BigEndian(destination[RefcountTableField..], RefcountTableOffset);
        BinaryPrimitives.WriteUInt32BigEndian(destination[RefcountTableClustersField..], RefcountTableClusters);
        BinaryPrimitives.WriteUInt32BigEndian(destination[SnapshotCountField..], SnapshotCount);
        BinaryPrimitives.WriteUInt64BigEndian(destination[SnapshotsOffsetField..], SnapshotsOffset);
        var position = V2Length;
        if (Version == 3)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination[IncompatibleField..], (ulong)Incompatible);
            BinaryPrimitives.WriteUInt64BigEndian(destination[CompatibleField..], (ulong)Compatible);
            BinaryPrimitives.WriteUInt64BigEndian(destination[AutoclearField..], (ulong)Autoclear);
            BinaryPrimitives.WriteUInt32BigEndian(destination[RefcountOrderField..], (uint)RefcountOrder);
            BinaryPrimitives.WriteUInt32BigEndian(destination[HeaderLengthField..], (uint)HeaderLength);
            if (HeaderLength > V3Length)
            {
                destination[CompressionTypeField] = (byte)CompressionType;
            }

            position = HeaderLength;
        }

        foreach (var extension in Extensions)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[position..], (uint)extension.Type);
            BinaryPrimitives.WriteUInt32BigEndian(destination[(position + 4)..], (uint)extension.Data.Length);
            extension.Data.CopyTo(destination[(position + 8)..]);
            position += 8 + ((extension.Data.Length + 7) & ~7);
        }

        // The end-of-extensions marker is eight zero bytes, already there in the cleared cluster.
        position += 8;
        if (BackingFile is { } backing)
        {
            var length = Encoding.UTF8.GetBytes(backing, destination[position..]);
            BinaryPrimitives.WriteUInt64BigEndian(destination[BackingFileOffsetField..], (ulong)position);
            BinaryPrimitives.WriteUInt32BigEndian(destination[BackingFileSizeField..], (uint)length);
        }
    }

    /// <summary>The bytes <see cref="WriteTo"/> needs.</summary>
    public int EncodedLength()
    {
        var length = (Version == 3 ? HeaderLength : V2Length) + 8;
        foreach (var extension in Extensions)
        {
            length += 8 + ((extension.Data.Length + 7) & ~7);
        }

        return length + (BackingFile is null ? 0 : Encoding.UTF8.GetByteCount(BackingFile));
    }

    private static BlockOperationException Bad(string message) => new(message);

    private static string DescribeFeatures(Qcow2IncompatibleFeatures unknown, IReadOnlyList<Qcow2HeaderExtension> extensions)
    {
        var names = new List<string>();
        for (var bit = 0; bit < 64; bit++)
        {
            if (((ulong)unknown & (1UL << bit)) != 0)
            {
                names.Add(Qcow2FeatureNames.Find(extensions, 0, bit) ?? $"Unknown incompatible feature: {1UL << bit:x}");
            }
        }

        return string.Join(", ", names);
    }

    private static List<Qcow2HeaderExtension> ParseExtensions(ReadOnlySpan<byte> cluster, Qcow2Header header)
    {
        var extensions = new List<Qcow2HeaderExtension>();
        // The backing file name bounds the extension area, and so does what was read: a truncated image's
        // header may name a backing file past its own end.
        var end = header.BackingFileOffset != 0 ? (int)Math.Min(header.BackingFileOffset, (ulong)cluster.Length) : cluster.Length;
        var position = header.HeaderLength;
        while (true)
        {
            if (position > end - 8)
            {
                throw Bad("qcow2 header extensions run past the end of the header cluster");
            }

            var type = (Qcow2HeaderExtensionType)BinaryPrimitives.ReadUInt32BigEndian(cluster[position..]);
            var length = BinaryPrimitives.ReadUInt32BigEndian(cluster[(position + 4)..]);
            if (type == Qcow2HeaderExtensionType.End)
            {
                break;
            }

            if (length > (uint)(end - position - 8))
            {
                throw Bad($"qcow2 header extension 0x{(uint)type:x8} is {length} bytes, past the end of the header");
            }

            extensions.Add(new Qcow2HeaderExtension(type, cluster.Slice(position + 8, (int)length).ToArray()));
            position += 8 + (int)((length + 7) & ~7u);
        }

        var unknown = header.Incompatible & ~Qcow2IncompatibleFeatures.Known;
        if (unknown != 0)
        {
            throw Bad($"Unsupported qcow2 feature(s): {DescribeFeatures(unknown, extensions)}");
        }

        return extensions;
    }

    private void CheckFields()
    {
        if (RefcountOrder > MaxRefcountOrder)
        {
            throw Bad($"Refcount width 2^{RefcountOrder} is invalid (at most 64 bits)");
        }

        if (CryptMethod != 0)
        {
            throw Bad("Encrypted qcow2 images are not supported");
        }

        if (CompressionType is not (Qcow2CompressionType.Zlib or Qcow2CompressionType.Zstd))
        {
            throw Bad($"qcow2: unknown compression type: {(byte)CompressionType}");
        }

        // QEMU's validate_compression_type: the feature bit is set exactly when the type is not zlib.
        if ((CompressionType != Qcow2CompressionType.Zlib) != ((Incompatible & Qcow2IncompatibleFeatures.CompressionType) != 0))
        {
            throw Bad($"qcow2: Compression type incompatible feature bit must {(CompressionType == Qcow2CompressionType.Zlib ? "not " : string.Empty)}be set");
        }

        if (BackingFileOffset != 0
            && (BackingFileSize > MaxBackingFileNameLength || BackingFileOffset > (ulong)(ClusterSize - BackingFileSize) || BackingFileOffset < (ulong)HeaderLength))
        {
            throw Bad("The backing file name lies outside the header cluster or is too long");
        }

        if (L1TableOffset % (ulong)ClusterSize != 0 || RefcountTableOffset % (ulong)ClusterSize != 0)
        {
            throw Bad("The L1 or refcount table offset is not aligned to a cluster");
        }

        if ((ulong)L1Size * 8 > MaxL1Bytes)
        {
            throw Bad($"Active L1 table too large ({L1Size} entries)");
        }

        if (Size > long.MaxValue / 2 || L1EntriesFor(Size, ClusterBits, ExtendedL2) > L1Size)
        {
            throw Bad($"The L1 table ({L1Size} entries) is too small for a virtual size of {Size} bytes");
        }

        if (RefcountTableClusters == 0 || (ulong)RefcountTableClusters * (ulong)ClusterSize > MaxRefcountTableBytes)
        {
            throw Bad($"Refcount table size of {RefcountTableClusters} clusters is invalid");
        }

        if (SnapshotCount > MaxSnapshots || (SnapshotCount > 0 && SnapshotsOffset % (ulong)ClusterSize != 0))
        {
            throw Bad($"Snapshot table ({SnapshotCount} entries at 0x{SnapshotsOffset:x}) is invalid");
        }
    }
}
