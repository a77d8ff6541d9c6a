using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Emulator.Block.Nbd;

/// <summary>
/// Blocking socket primitives both ends use: exact reads (false on a clean or abrupt end of stream,
/// never a partial result), whole sends, and the handshake's option framing. Allocation-free except
/// for the handshake helpers, which run once per connection.
/// </summary>
internal static class NbdWire
{
    /// <summary>Fills <paramref name="destination"/>; false when the peer closed or reset the connection first.</summary>
    public static bool ReceiveExactly(Socket socket, Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            int n;
            try
            {
                n = socket.Receive(destination, SocketFlags.None);
            }
            catch (SocketException)
            {
                return false;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }

            if (n == 0)
            {
                return false;
            }

            destination = destination[n..];
        }

        return true;
    }

    /// <summary>Sends all of <paramref name="source"/>; false when the connection is gone.</summary>
    public static bool SendAll(Socket socket, ReadOnlySpan<byte> source)
    {
        while (source.Length > 0)
        {
            int n;
            try
            {
                n = socket.Send(source, SocketFlags.None);
            }
            catch (SocketException)
            {
                return false;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }

            source = source[n..];
        }

        return true;
    }

    /// <summary>Reads and drops <paramref name="length"/> bytes through <paramref name="scratch"/>.</summary>
    public static bool Skip(Socket socket, long length, Span<byte> scratch)
    {
        while (length > 0)
        {
            var chunk = (int)Math.Min(length, scratch.Length);
            if (!ReceiveExactly(socket, scratch[..chunk]))
            {
                return false;
            }

            length -= chunk;
        }

        return true;
    }

    /// <summary>The client's option frame: IHAVEOPT, option, length, payload.</summary>
    public static bool SendOption(Socket socket, NbdOption option, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(header, NbdMagic.IHaveOpt);
        BinaryPrimitives.WriteUInt32BigEndian(header[8..], (uint)option);
        BinaryPrimitives.WriteUInt32BigEndian(header[12..], (uint)payload.Length);
        return SendAll(socket, header) && SendAll(socket, payload);
    }

    /// <summary>The server's option reply frame: magic, option, reply type, length, payload.</summary>
    public static bool SendOptionReply(Socket socket, uint option, NbdOptionReplyType type, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[20];
        BinaryPrimitives.WriteUInt64BigEndian(header, NbdMagic.OptionReply);
        BinaryPrimitives.WriteUInt32BigEndian(header[8..], option);
        BinaryPrimitives.WriteUInt32BigEndian(header[12..], (uint)type);
        BinaryPrimitives.WriteUInt32BigEndian(header[16..], (uint)payload.Length);
        return SendAll(socket, header) && SendAll(socket, payload);
    }

    /// <summary>A u32 length followed by the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static void AppendString(List<byte> payload, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        AppendUInt32(payload, (uint)bytes.Length);
        payload.AddRange(bytes);
    }

    public static void AppendUInt16(List<byte> payload, ushort value)
    {
        payload.Add((byte)(value >> 8));
        payload.Add((byte)value);
    }

    public static void AppendUInt32(List<byte> payload, uint value)
    {
        payload.Add((byte)(value >> 24));
        payload.Add((byte)(value >> 16));
        payload.Add((byte)(value >> 8));
        payload.Add((byte)value);
    }

    public static void AppendUInt64(List<byte> payload, ulong value)
    {
        AppendUInt32(payload, (uint)(value >> 32));
        AppendUInt32(payload, (uint)value);
    }
}
