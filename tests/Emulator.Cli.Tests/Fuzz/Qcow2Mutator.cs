using System.Buffers.Binary;

namespace Emulator.Cli.Tests.Fuzz;

/// <summary>
/// Structure-aware mutation of a qcow2 seed: picks a structure (header, extension, L1, L2, refcount,
/// snapshot, bitmap, backing name, compressed descriptor) evenly, then a field in it, and writes a
/// value hostile for that kind of field — pointers to other structures, to the end of the file or far
/// past it, unaligned or flag-polluted entries, counts at their limits, flipped bits — or, now and then,
/// truncates, extends or copies clusters over each other. One to four mutations an image; the same
/// <see cref="Random"/> gives the same images.
/// </summary>
internal static class Qcow2Mutator
{
    private const ulong CopiedBit = 1UL << 63;
    private const ulong CompressedBit = 1UL << 62;
    private const ulong OffsetMask = 0x00FF_FFFF_FFFF_FE00;

    /// <summary>Returns the mutated copy of <paramref name="seed"/> and a line naming each mutation.</summary>
    public static (byte[] Image, string Description) Mutate(byte[] seed, Qcow2FuzzLayout layout, Random random)
    {
        var image = (byte[])seed.Clone();
        var count = random.Next(10) switch
        {
            < 6 => 1,
            < 9 => 2,
            _ => random.Next(3, 5),
        };
        var notes = new List<string>();
        var groups = layout.Groups.Keys.Order(StringComparer.Ordinal).ToArray();
        for (var n = 0; n < count; n++)
        {
            if (random.Next(20) == 0)
            {
                notes.Add(Reshape(ref image, layout, random));
                continue;
            }

            var fields = layout.Groups[groups[random.Next(groups.Length)]];
            var field = fields[random.Next(fields.Count)];
            notes.Add(MutateField(image, field, layout, random));
        }

        return (image, string.Join("; ", notes));
    }

    private static string MutateField(byte[] image, Qcow2Field field, Qcow2FuzzLayout layout, Random random)
    {
        if (field.Offset + field.Width > image.Length)
        {
            return $"{field.Structure} at 0x{field.Offset:x} cut off by truncation";
        }

        var span = image.AsSpan((int)field.Offset, field.Width);
        if (field.Kind == Qcow2FieldKind.Bytes || field.Width is not (1 or 2 or 4 or 8))
        {
            var at = random.Next(field.Width);
            switch (random.Next(4))
            {
                case 0:
                    span[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    span[at] = (byte)random.Next(256);
                    break;
                case 2:
                    span[at..].Fill(0xFF);
                    break;
                default:
                    span[at..].Clear();
                    break;
            }

            return $"{field.Structure} bytes at 0x{field.Offset:x}+{at}";
        }

        var old = Read(span);
        var value = field.Kind switch
        {
            Qcow2FieldKind.Offset => HostileOffset(old, layout, random),
            Qcow2FieldKind.Entry => HostileEntry(old, layout, random),
            Qcow2FieldKind.Flags => random.Next(3) == 0 ? old ^ (1UL << random.Next(field.Width * 8)) : HostileCount(old, random),
            _ => HostileCount(old, random),
        };
        Write(span, value);
        return $"{field.Structure} at 0x{field.Offset:x} ({field.Width} bytes) 0x{old:x} -> 0x{Read(span):x}";
    }

    private static ulong HostileOffset(ulong old, Qcow2FuzzLayout layout, Random random)
    {
        var cluster = (ulong)layout.ClusterSize;
        return random.Next(12) switch
        {
            0 => 0,
            1 => (ulong)layout.Targets[random.Next(layout.Targets.Count)],
            2 => (ulong)layout.Targets[random.Next(layout.Targets.Count)],
            3 => (ulong)layout.Targets[random.Next(layout.Targets.Count)] + (ulong)random.Next(1, 512),
            4 => old + cluster,
            5 => old - cluster,
            6 => old ^ (1UL << random.Next(64)),
            7 => 1UL << random.Next(30, 64),
            8 => ulong.MaxValue - (ulong)random.Next(2) * (cluster - 1),
            9 => long.MaxValue & ~(cluster - 1),
            10 => old + (ulong)random.Next(1, 8),
            _ => (ulong)random.NextInt64(),
        };
    }

    private static ulong HostileEntry(ulong old, Qcow2FuzzLayout layout, Random random)
    {
        var flags = old & (CopiedBit | CompressedBit);
        var target = (ulong)layout.Targets[random.Next(layout.Targets.Count)];
        return random.Next(10) switch
        {
            0 => 0,
            1 => flags | (target & OffsetMask),
            2 => CopiedBit | target,
            3 => CompressedBit | target | ((ulong)random.Next(1, 64) << (62 - (layout.ClusterBits - 8))),
            4 => old ^ (1UL << random.Next(64)),
            5 => old | 1,
            6 => flags | (HostileOffset(old & OffsetMask, layout, random) & OffsetMask),
            7 => old + (ulong)layout.ClusterSize,
            8 => CopiedBit | (old & ~CopiedBit & OffsetMask),
            _ => HostileOffset(old, layout, random),
        };
    }

    private static ulong HostileCount(ulong old, Random random) => random.Next(12) switch
    {
        0 => 0,
        1 => 1,
        2 => uint.MaxValue,
        3 => int.MaxValue,
        4 => 1UL << 31,
        5 => old + 1,
        6 => old - 1,
        7 => old * 2,
        8 => 1UL << random.Next(64),
        9 => ulong.MaxValue,
        10 => old ^ (1UL << random.Next(64)),
        _ => (ulong)random.NextInt64(),
    };

    private static string Reshape(ref byte[] image, Qcow2FuzzLayout layout, Random random)
    {
        var cluster = (int)layout.ClusterSize;
        switch (random.Next(3))
        {
            case 0:
                var length = random.Next(2) == 0 ? random.Next(image.Length) : random.Next(image.Length / cluster) * cluster;
                Array.Resize(ref image, Math.Max(length, 1));
                return $"truncated to {image.Length} bytes";
            case 1:
                var extra = random.Next(1, 4) * cluster;
                Array.Resize(ref image, image.Length + extra);
                return $"extended by {extra} bytes";
            default:
                var clusters = image.Length / cluster;
                if (clusters < 2)
                {
                    return "no cluster to copy";
                }

                var from = random.Next(clusters);
                var to = random.Next(1, clusters);
                Array.Copy(image, (long)from * cluster, image, (long)to * cluster, cluster);
                return $"cluster {from} copied over cluster {to}";
        }
    }

    private static ulong Read(ReadOnlySpan<byte> span) => span.Length switch
    {
        1 => span[0],
        2 => BinaryPrimitives.ReadUInt16BigEndian(span),
        4 => BinaryPrimitives.ReadUInt32BigEndian(span),
        _ => BinaryPrimitives.ReadUInt64BigEndian(span),
    };

    private static void Write(Span<byte> span, ulong value)
    {
        switch (span.Length)
        {
            case 1:
                span[0] = (byte)value;
                break;
            case 2:
                BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)value);
                break;
            case 4:
                BinaryPrimitives.WriteUInt32BigEndian(span, (uint)value);
                break;
            default:
                BinaryPrimitives.WriteUInt64BigEndian(span, value);
                break;
        }
    }
}
