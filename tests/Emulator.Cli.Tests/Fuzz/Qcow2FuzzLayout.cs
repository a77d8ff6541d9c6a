using System.Buffers.Binary;

namespace Emulator.Cli.Tests.Fuzz;

/// <summary>
/// The structures of a valid seed image, found the way the qcow2 specification lays them out: header
/// fields, header extensions (backing format, feature names, bitmaps), the backing file name, the
/// active L1 table and its L2 tables (standard and compressed descriptors), the refcount table and
/// blocks, the snapshot table with each snapshot's L1 table, and the bitmap directory with each
/// bitmap's table. Each structure is a named group of <see cref="Qcow2Field"/>s; <see cref="Targets"/>
/// are the offsets a hostile pointer is most interesting at (other structures, the end of the file).
/// </summary>
internal sealed class Qcow2FuzzLayout
{
    private const uint BitmapsExtension = 0x2385_2875;
    private const ulong L1OffsetMask = 0x00FF_FFFF_FFFF_FE00;
    private const ulong CompressedBit = 1UL << 62;

    private readonly Dictionary<string, List<Qcow2Field>> _groups = [];
    private readonly byte[] _image;

    private Qcow2FuzzLayout(byte[] image)
    {
        _image = image;
        ClusterBits = (int)U32(20);
        ClusterSize = 1L << ClusterBits;
    }

    public int ClusterBits { get; }

    public long ClusterSize { get; }

    public IReadOnlyDictionary<string, List<Qcow2Field>> Groups => _groups;

    public List<long> Targets { get; } = [0];

    public static Qcow2FuzzLayout Parse(byte[] image)
    {
        var layout = new Qcow2FuzzLayout(image);
        layout.ParseHeader();
        return layout;
    }

    private ulong U64(long at) => BinaryPrimitives.ReadUInt64BigEndian(_image.AsSpan((int)at, 8));

    private uint U32(long at) => BinaryPrimitives.ReadUInt32BigEndian(_image.AsSpan((int)at, 4));

    private ushort U16(long at) => BinaryPrimitives.ReadUInt16BigEndian(_image.AsSpan((int)at, 2));

    private bool Inside(long at, long length) => at >= 0 && length >= 0 && at + length <= _image.Length;

    private void Add(string group, long offset, int width, Qcow2FieldKind kind)
    {
        if (width <= 0 || !Inside(offset, width))
        {
            return;
        }

        if (!_groups.TryGetValue(group, out var fields))
        {
            fields = [];
            _groups[group] = fields;
        }

        fields.Add(new Qcow2Field(group, offset, width, kind));
    }

    private void ParseHeader()
    {
        var version = U32(4);
        Add("header", 4, 4, Qcow2FieldKind.Flags);
        Add("header", 8, 8, Qcow2FieldKind.Offset);
        Add("header", 16, 4, Qcow2FieldKind.Count);
        Add("header", 20, 4, Qcow2FieldKind.Count);
        Add("header", 24, 8, Qcow2FieldKind.Count);
        Add("header", 32, 4, Qcow2FieldKind.Flags);
        Add("header", 36, 4, Qcow2FieldKind.Count);
        Add("header", 40, 8, Qcow2FieldKind.Offset);
        Add("header", 48, 8, Qcow2FieldKind.Offset);
        Add("header", 56, 4, Qcow2FieldKind.Count);
        Add("header", 60, 4, Qcow2FieldKind.Count);
        Add("header", 64, 8, Qcow2FieldKind.Offset);
        var headerLength = 72L;
        if (version >= 3)
        {
            Add("header", 72, 8, Qcow2FieldKind.Flags);
            Add("header", 80, 8, Qcow2FieldKind.Flags);
            Add("header", 88, 8, Qcow2FieldKind.Flags);
            Add("header", 96, 4, Qcow2FieldKind.Count);
            Add("header", 100, 4, Qcow2FieldKind.Count);
            headerLength = U32(100);
            if (headerLength > 104)
            {
                Add("header", 104, 1, Qcow2FieldKind.Flags);
            }
        }

        var backingOffset = (long)U64(8);
        var backingLength = U32(16);
        if (backingOffset > 0 && Inside(backingOffset, backingLength))
        {
            Add("backing file name", backingOffset, (int)backingLength, Qcow2FieldKind.Bytes);
        }

        ParseExtensions(headerLength);
        var l1Offset = (long)U64(40);
        ParseL1("L1 table", "L2 table", l1Offset, U32(36));
        ParseRefcounts((long)U64(48), U32(56), version >= 3 ? (int)U32(96) : 4);
        ParseSnapshots((long)U64(64), U32(60));
        Targets.Add(_image.Length);
        Targets.Add(_image.Length - ClusterSize);
        Targets.Add(_image.Length + ClusterSize);
    }

    private void ParseExtensions(long at)
    {
        for (var n = 0; n < 16 && Inside(at, 8) && at < ClusterSize; n++)
        {
            var type = U32(at);
            var length = U32(at + 4);
            Add("header extension", at, 4, Qcow2FieldKind.Flags);
            Add("header extension", at + 4, 4, Qcow2FieldKind.Count);
            if (type == 0)
            {
                return;
            }

            if (length > 0 && Inside(at + 8, length))
            {
                Add("header extension", at + 8, (int)length, Qcow2FieldKind.Bytes);
            }

            if (type == BitmapsExtension && length >= 24)
            {
                Add("bitmaps extension", at + 8, 4, Qcow2FieldKind.Count);
                Add("bitmaps extension", at + 16, 8, Qcow2FieldKind.Count);
                Add("bitmaps extension", at + 24, 8, Qcow2FieldKind.Offset);
                ParseBitmapDirectory((long)U64(at + 24), U32(at + 8));
            }

            at += 8 + ((length + 7L) & ~7L);
        }
    }

    private void ParseL1(string l1Group, string l2Group, long offset, uint entries)
    {
        Targets.Add(offset);
        for (var i = 0L; i < entries && Inside(offset + (i * 8), 8); i++)
        {
            Add(l1Group, offset + (i * 8), 8, Qcow2FieldKind.Entry);
            var l2 = (long)(U64(offset + (i * 8)) & L1OffsetMask);
            if (l2 != 0)
            {
                ParseL2(l2Group, l2);
            }
        }
    }

    private void ParseL2(string group, long offset)
    {
        Targets.Add(offset);
        for (var at = offset; at < offset + ClusterSize && Inside(at, 8); at += 8)
        {
            var entry = U64(at);
            var compressed = (entry & CompressedBit) != 0;
            Add(compressed ? "compressed descriptor" : group, at, 8, Qcow2FieldKind.Entry);
            var host = (long)(entry & (compressed ? (1UL << (62 - (ClusterBits - 8))) - 1 : L1OffsetMask));
            if (host != 0)
            {
                Targets.Add(host);
            }
        }
    }

    private void ParseRefcounts(long table, uint clusters, int order)
    {
        Targets.Add(table);
        var width = order >= 3 ? 1 << (order - 3) : 0;
        for (var at = table; at < table + (clusters * ClusterSize) && Inside(at, 8); at += 8)
        {
            var block = (long)U64(at);
            Add("refcount table", at, 8, Qcow2FieldKind.Entry);
            if (block == 0 || !Inside(block, ClusterSize))
            {
                continue;
            }

            Targets.Add(block);
            if (width == 0)
            {
                Add("refcount block", block, (int)Math.Min(ClusterSize, 64), Qcow2FieldKind.Bytes);
                continue;
            }

            // The refcounts of the clusters the file really has, not the block's empty tail.
            var used = Math.Min(ClusterSize / width, (_image.Length / ClusterSize) + 2);
            for (var i = 0L; i < used; i++)
            {
                Add("refcount block", block + (i * width), width, Qcow2FieldKind.Count);
            }
        }
    }

    private void ParseSnapshots(long table, uint count)
    {
        var at = table;
        for (var n = 0; n < count && n < 16 && Inside(at, 40); n++)
        {
            Targets.Add(at);
            Add("snapshot table", at, 8, Qcow2FieldKind.Offset);
            Add("snapshot table", at + 8, 4, Qcow2FieldKind.Count);
            Add("snapshot table", at + 12, 2, Qcow2FieldKind.Count);
            Add("snapshot table", at + 14, 2, Qcow2FieldKind.Count);
            Add("snapshot table", at + 32, 4, Qcow2FieldKind.Count);
            Add("snapshot table", at + 36, 4, Qcow2FieldKind.Count);
            var extra = U32(at + 36);
            if (extra >= 16)
            {
                Add("snapshot table", at + 40, 8, Qcow2FieldKind.Count);
                Add("snapshot table", at + 48, 8, Qcow2FieldKind.Count);
            }

            ParseL1("snapshot L1 table", "snapshot L2 table", (long)U64(at), U32(at + 8));
            var length = 40L + extra + U16(at + 12) + U16(at + 14);
            Add("snapshot table", at + 40 + extra, (int)(length - 40 - extra), Qcow2FieldKind.Bytes);
            at += (length + 7) & ~7L;
        }
    }

    private void ParseBitmapDirectory(long directory, uint count)
    {
        var at = directory;
        Targets.Add(directory);
        for (var n = 0; n < count && n < 16 && Inside(at, 24); n++)
        {
            Add("bitmap directory", at, 8, Qcow2FieldKind.Offset);
            Add("bitmap directory", at + 8, 4, Qcow2FieldKind.Count);
            Add("bitmap directory", at + 12, 4, Qcow2FieldKind.Flags);
            Add("bitmap directory", at + 16, 1, Qcow2FieldKind.Flags);
            Add("bitmap directory", at + 17, 1, Qcow2FieldKind.Count);
            Add("bitmap directory", at + 18, 2, Qcow2FieldKind.Count);
            Add("bitmap directory", at + 20, 4, Qcow2FieldKind.Count);
            var table = (long)U64(at);
            var size = U32(at + 8);
            Targets.Add(table);
            for (var i = 0L; i < size && Inside(table + (i * 8), 8); i++)
            {
                Add("bitmap table", table + (i * 8), 8, Qcow2FieldKind.Entry);
            }

            var length = 24L + U32(at + 20) + U16(at + 18);
            Add("bitmap directory", at + 24, (int)Math.Max(0, length - 24), Qcow2FieldKind.Bytes);
            at += (length + 7) & ~7L;
        }
    }
}
