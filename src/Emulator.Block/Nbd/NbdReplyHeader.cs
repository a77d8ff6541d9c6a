using System.Buffers.Binary;

namespace Emulator.Block.Nbd;

/// <summary>
/// The header of a transmission-phase reply, simple or structured. Both start with a 4-byte magic;
/// a simple reply is 16 bytes (magic, error u32, cookie u64), a structured chunk 20 bytes (magic,
/// flags u16, type u16, cookie u64, payload length u32). Read in two steps: <see cref="SizeFor"/> on
/// the magic, then <see cref="Read"/> on the whole header.
/// </summary>
internal readonly record struct NbdReplyHeader(bool Structured, NbdErrno Error, NbdReplyFlags Flags, NbdReplyType Type, ulong Cookie, uint Length)
{
    /// <summary>The header's size for the magic in <paramref name="magic"/>, or 0 for a wrong magic.</summary>
    public static int SizeFor(ReadOnlySpan<byte> magic) => BinaryPrimitives.ReadUInt32BigEndian(magic) switch
    {
        NbdMagic.SimpleReply => NbdLimits.SimpleReplyHeaderSize,
        NbdMagic.StructuredReply => NbdLimits.StructuredReplyHeaderSize,
        _ => 0,
    };

    public static NbdReplyHeader Read(ReadOnlySpan<byte> source) =>
        BinaryPrimitives.ReadUInt32BigEndian(source) == NbdMagic.SimpleReply
            ? new NbdReplyHeader(false, (NbdErrno)BinaryPrimitives.ReadUInt32BigEndian(source[4..]), NbdReplyFlags.Done, NbdReplyType.None, BinaryPrimitives.ReadUInt64BigEndian(source[8..]), 0)
            : new NbdReplyHeader(
                true,
                NbdErrno.None,
                (NbdReplyFlags)BinaryPrimitives.ReadUInt16BigEndian(source[4..]),
                (NbdReplyType)BinaryPrimitives.ReadUInt16BigEndian(source[6..]),
                BinaryPrimitives.ReadUInt64BigEndian(source[8..]),
                BinaryPrimitives.ReadUInt32BigEndian(source[16..]));

    public bool IsDone => (Flags & NbdReplyFlags.Done) != 0;

    public bool IsError => Structured && ((ushort)Type & (ushort)NbdReplyType.ErrorBit) != 0;

    public static void WriteSimple(Span<byte> destination, NbdErrno error, ulong cookie)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, NbdMagic.SimpleReply);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], (uint)error);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], cookie);
    }

    public static void WriteStructured(Span<byte> destination, NbdReplyFlags flags, NbdReplyType type, ulong cookie, uint length)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, NbdMagic.StructuredReply);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)flags);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], (ushort)type);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], cookie);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], length);
    }
}
