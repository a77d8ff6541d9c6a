using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Emulator.Block.Backend;
using Emulator.Block.Nbd;

namespace Emulator.Block.Drivers.Nbd;

/// <summary>
/// The client side of the fixed newstyle handshake (proto.md "Newstyle negotiation"): structured
/// replies, the <c>base:allocation</c> metadata context, then NBD_OPT_GO asking for block sizes; a
/// server that does not know NBD_OPT_GO gets NBD_OPT_EXPORT_NAME instead. Every refusal or protocol
/// violation throws <see cref="BlockOperationException"/> naming it; the caller closes the socket.
/// </summary>
internal static class NbdClientHandshake
{
    public static NbdExportInfo Run(Socket socket, string export, string server)
    {
        Span<byte> head = stackalloc byte[18];
        Expect(socket, head[..16], server, "the server's greeting");
        if (BinaryPrimitives.ReadUInt64BigEndian(head) != NbdMagic.InitPassword)
        {
            throw Fail(server, "bad initial magic (not an NBD server?)");
        }

        var second = BinaryPrimitives.ReadUInt64BigEndian(head[8..]);
        if (second == NbdMagic.OldStyle)
        {
            throw Fail(server, "the server only speaks the oldstyle handshake, which is not supported");
        }

        if (second != NbdMagic.IHaveOpt)
        {
            throw Fail(server, "bad server magic after NBDMAGIC");
        }

        Expect(socket, head[..2], server, "the handshake flags");
        var serverFlags = (NbdHandshakeFlags)BinaryPrimitives.ReadUInt16BigEndian(head);
        var fixedNewstyle = (serverFlags & NbdHandshakeFlags.FixedNewstyle) != 0;
        var noZeroes = (serverFlags & NbdHandshakeFlags.NoZeroes) != 0;
        var clientFlags = (fixedNewstyle ? NbdClientFlags.FixedNewstyle : NbdClientFlags.None) | (noZeroes ? NbdClientFlags.NoZeroes : NbdClientFlags.None);
        BinaryPrimitives.WriteUInt32BigEndian(head, (uint)clientFlags);
        Send(socket, head[..4], server);
        if (!fixedNewstyle)
        {
            // Without fixed newstyle an unknown option may drop the connection: only EXPORT_NAME is safe.
            return ExportName(socket, export, noZeroes, server, structured: false, allocation: null);
        }

        var structured = SimpleOption(socket, NbdOption.StructuredReply, server);
        var allocation = structured ? SetAllocationContext(socket, export, server) : null;
        return Go(socket, export, server, structured, allocation)
            ?? ExportName(socket, export, noZeroes, server, structured, allocation);
    }

    /// <summary>Sends an option without payload; true on ACK, false on NBD_REP_ERR_UNSUP.</summary>
    private static bool SimpleOption(Socket socket, NbdOption option, string server)
    {
        if (!NbdWire.SendOption(socket, option, []))
        {
            throw Fail(server, "connection closed during the handshake");
        }

        var (type, payload) = ReadReply(socket, option, server);
        if (type == NbdOptionReplyType.Ack)
        {
            return true;
        }

        if (type == NbdOptionReplyType.ErrUnsupported)
        {
            return false;
        }

        throw Refused(server, option, type, payload);
    }

    private static uint? SetAllocationContext(Socket socket, string export, string server)
    {
        var payload = new List<byte>();
        NbdWire.AppendString(payload, export);
        NbdWire.AppendUInt32(payload, 1);
        NbdWire.AppendString(payload, NbdLimits.BaseAllocation);
        if (!NbdWire.SendOption(socket, NbdOption.SetMetaContext, payload.ToArray()))
        {
            throw Fail(server, "connection closed during the handshake");
        }

        uint? id = null;
        while (true)
        {
            var (type, data) = ReadReply(socket, NbdOption.SetMetaContext, server);
            switch (type)
            {
                case NbdOptionReplyType.MetaContext when data.Length >= 4:
                    if (Encoding.UTF8.GetString(data, 4, data.Length - 4) != NbdLimits.BaseAllocation)
                    {
                        throw Fail(server, "the server chose a metadata context that was not asked for");
                    }

                    id = BinaryPrimitives.ReadUInt32BigEndian(data);
                    break;
                case NbdOptionReplyType.Ack:
                    return id;
                case NbdOptionReplyType.ErrUnsupported or NbdOptionReplyType.ErrInvalid or NbdOptionReplyType.ErrPolicy:
                    // No block status from this server: everything reads as allocated data.
                    return null;
                default:
                    throw Refused(server, NbdOption.SetMetaContext, type, data, export);
            }
        }
    }

    /// <summary>NBD_OPT_GO; null when the server does not know it (fall back to EXPORT_NAME).</summary>
    private static NbdExportInfo? Go(Socket socket, string export, string server, bool structured, uint? allocation)
    {
        var payload = new List<byte>();
        NbdWire.AppendString(payload, export);
        NbdWire.AppendUInt16(payload, 1);
        NbdWire.AppendUInt16(payload, (ushort)NbdInfoType.BlockSize);
        if (!NbdWire.SendOption(socket, NbdOption.Go, payload.ToArray()))
        {
            throw Fail(server, "connection closed during the handshake");
        }

        NbdExportInfo? info = null;
        uint min = 1, preferred = 4096, max = NbdLimits.MaxPayload;
        while (true)
        {
            var (type, data) = ReadReply(socket, NbdOption.Go, server);
            switch (type)
            {
                case NbdOptionReplyType.Info when data.Length >= 2:
                    var infoType = (NbdInfoType)BinaryPrimitives.ReadUInt16BigEndian(data);
                    if (infoType == NbdInfoType.Export && data.Length == 12)
                    {
                        info = new NbdExportInfo(
                            CheckedSize(BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(2)), server),
                            (NbdTransmissionFlags)BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(10)));
                    }
                    else if (infoType == NbdInfoType.BlockSize && data.Length == 14)
                    {
                        min = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(2));
                        preferred = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(6));
                        max = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(10));
                        CheckBlockSizes(min, preferred, max, server);
                    }
                    else if (infoType is NbdInfoType.Export or NbdInfoType.BlockSize)
                    {
                        throw Fail(server, $"malformed NBD_INFO reply of type {infoType}");
                    }

                    break;
                case NbdOptionReplyType.Ack:
                    if (info is null)
                    {
                        throw Fail(server, "NBD_OPT_GO was acknowledged without NBD_INFO_EXPORT");
                    }

                    return info with
                    {
                        StructuredReplies = structured,
                        AllocationContext = allocation,
                        MinimumBlock = min,
                        PreferredBlock = preferred,
                        MaximumBlock = Math.Min(max, (uint)NbdLimits.MaxPayload),
                        NegotiatedWithGo = true,
                    };
                case NbdOptionReplyType.ErrUnsupported:
                    return null;
                default:
                    throw Refused(server, NbdOption.Go, type, data, export);
            }
        }
    }

    private static NbdExportInfo ExportName(Socket socket, string export, bool noZeroes, string server, bool structured, uint? allocation)
    {
        if (!NbdWire.SendOption(socket, NbdOption.ExportName, Encoding.UTF8.GetBytes(export)))
        {
            throw Fail(server, "connection closed during the handshake");
        }

        Span<byte> reply = stackalloc byte[10 + NbdLimits.ExportNamePadding];
        var length = noZeroes ? 10 : reply.Length;
        if (!NbdWire.ReceiveExactly(socket, reply[..length]))
        {
            throw Fail(server, $"the server closed the connection: export '{export}' not available");
        }

        return new NbdExportInfo(
            CheckedSize(BinaryPrimitives.ReadUInt64BigEndian(reply), server),
            (NbdTransmissionFlags)BinaryPrimitives.ReadUInt16BigEndian(reply[8..]))
        {
            StructuredReplies = structured,
            AllocationContext = allocation,
        };
    }

    private static (NbdOptionReplyType Type, byte[] Payload) ReadReply(Socket socket, NbdOption option, string server)
    {
        Span<byte> header = stackalloc byte[20];
        Expect(socket, header, server, "an option reply");
        if (BinaryPrimitives.ReadUInt64BigEndian(header) != NbdMagic.OptionReply)
        {
            throw Fail(server, "bad option reply magic");
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(header[8..]) != (uint)option)
        {
            throw Fail(server, $"the reply is for option {BinaryPrimitives.ReadUInt32BigEndian(header[8..])}, not {option}");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header[16..]);
        if (length > NbdLimits.MaxOptionPayload)
        {
            throw Fail(server, $"option reply of {length} bytes is too large");
        }

        var payload = new byte[length];
        Expect(socket, payload, server, "an option reply");
        return ((NbdOptionReplyType)BinaryPrimitives.ReadUInt32BigEndian(header[12..]), payload);
    }

    private static long CheckedSize(ulong size, string server) =>
        size <= long.MaxValue ? (long)size : throw Fail(server, $"export size {size} is too large");

    private static void CheckBlockSizes(uint min, uint preferred, uint max, string server)
    {
        if (min == 0 || !uint.IsPow2(min) || min > 64 * 1024 || !uint.IsPow2(preferred) || preferred < min || max < min || (max % min) != 0)
        {
            throw Fail(server, $"invalid block size constraints (minimum {min}, preferred {preferred}, maximum {max})");
        }
    }

    private static void Expect(Socket socket, Span<byte> destination, string server, string what)
    {
        if (!NbdWire.ReceiveExactly(socket, destination))
        {
            throw Fail(server, $"connection closed while waiting for {what}");
        }
    }

    private static void Send(Socket socket, ReadOnlySpan<byte> data, string server)
    {
        if (!NbdWire.SendAll(socket, data))
        {
            throw Fail(server, "connection closed during the handshake");
        }
    }

    private static BlockOperationException Refused(string server, NbdOption option, NbdOptionReplyType type, byte[] payload, string? export = null)
    {
        var message = payload.Length > 0 && ((uint)type & (uint)NbdOptionReplyType.ErrorBit) != 0 ? $" (server: {Encoding.UTF8.GetString(payload)})" : string.Empty;
        var what = type switch
        {
            NbdOptionReplyType.ErrUnknown => $"export '{export}' not known",
            NbdOptionReplyType.ErrTlsRequired => "the server requires TLS, which this client does not support",
            NbdOptionReplyType.ErrPolicy => "refused by the server's policy",
            NbdOptionReplyType.ErrShutdown => "the server is shutting down",
            NbdOptionReplyType.ErrBlockSizeRequired => "the server requires block size negotiation",
            _ => $"unexpected reply {type} to {option}",
        };
        return Fail(server, what + message);
    }

    private static BlockOperationException Fail(string server, string what) => new($"NBD server {server}: {what}");
}
