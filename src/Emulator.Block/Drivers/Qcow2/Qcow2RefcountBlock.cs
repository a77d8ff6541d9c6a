using System.Buffers.Binary;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// Entries of a refcount block: 2^order bits each, big-endian for whole bytes; widths under a byte
/// are packed from the least significant bit (qcow2.txt, "Host cluster management").
/// </summary>
internal static class Qcow2RefcountBlock
{
    public static ulong MaxValue(int order) => order == 6 ? ulong.MaxValue : (1UL << (1 << order)) - 1;

    public static ulong Get(ReadOnlySpan<byte> block, int order, long index)
    {
        var bits = 1 << order;
        switch (bits)
        {
            case 8:
                return block[(int)index];
            case 16:
                return BinaryPrimitives.ReadUInt16BigEndian(block[(int)(index * 2)..]);
            case 32:
                return BinaryPrimitives.ReadUInt32BigEndian(block[(int)(index * 4)..]);
            case 64:
                return BinaryPrimitives.ReadUInt64BigEndian(block[(int)(index * 8)..]);
            default:
                var bit = index * bits;
                return (ulong)(block[(int)(bit >> 3)] >> (int)(bit & 7)) & MaxValue(order);
        }
    }

    /// <summary>Stores <paramref name="value"/> (at most <see cref="MaxValue"/>) and returns the byte range that changed.</summary>
    public static (int Start, int Length) Set(Span<byte> block, int order, long index, ulong value)
    {
        var bits = 1 << order;
        switch (bits)
        {
            case 8:
                block[(int)index] = (byte)value;
                return ((int)index, 1);
            case 16:
                BinaryPrimitives.WriteUInt16BigEndian(block[(int)(index * 2)..], (ushort)value);
                return ((int)(index * 2), 2);
            case 32:
                BinaryPrimitives.WriteUInt32BigEndian(block[(int)(index * 4)..], (uint)value);
                return ((int)(index * 4), 4);
            case 64:
                BinaryPrimitives.WriteUInt64BigEndian(block[(int)(index * 8)..], value);
                return ((int)(index * 8), 8);
            default:
                var bit = index * bits;
                var at = (int)(bit >> 3);
                var shift = (int)(bit & 7);
                var mask = (int)MaxValue(order) << shift;
                block[at] = (byte)((block[at] & ~mask) | ((int)value << shift));
                return (at, 1);
        }
    }
}
