using System.Buffers.Binary;
using Emulator.Block.Backend;
using Emulator.Block.Nbd;

namespace Emulator.Block.Drivers.Nbd;

/// <summary>
/// Parses the server's replies, simple or structured, from a connection's receive buffer and applies each
/// to the request its cookie names: read data goes straight into the caller's buffer (OFFSET_DATA and
/// OFFSET_HOLE chunks checked to lie inside the request), block status and error chunks fill in the
/// request's result fields, and a request whose reply is done is queued on the <see cref="NbdRequestTable"/>.
/// Anything that breaks the protocol is returned as the reason the connection must end. Used only by the
/// thread holding the connection's reading role.
/// </summary>
internal sealed class NbdReplyReader
{
    /// <summary>Largest block status payload accepted (we ask for one extent; a server may send more).</summary>
    private const int MaxStatusPayload = 1 << 20;
    private const int MaxErrorMessage = 4096;

    private readonly NbdReceiveBuffer _rx;
    private readonly NbdRequestTable _requests;
    private readonly uint? _allocationContext;

    public NbdReplyReader(NbdReceiveBuffer rx, NbdRequestTable requests, uint? allocationContext)
    {
        _rx = rx;
        _requests = requests;
        _allocationContext = allocationContext;
    }

    /// <summary>Reads one whole reply (blocking until it is here) and matches it to its request; returns why the connection must end, or null.</summary>
    public string? ReadReply()
    {
        Span<byte> header = stackalloc byte[NbdLimits.StructuredReplyHeaderSize];
        if (!_rx.ReadExactly(header[..4]))
        {
            return "connection closed by the server";
        }

        var size = NbdReplyHeader.SizeFor(header);
        if (size == 0)
        {
            return $"bad reply magic 0x{BinaryPrimitives.ReadUInt32BigEndian(header):x8}";
        }

        if (!_rx.ReadExactly(header[4..size]))
        {
            return "connection closed in the middle of a reply header";
        }

        var reply = NbdReplyHeader.Read(header);
        if (_requests.Find(reply.Cookie) is not { } request)
        {
            return $"reply for unknown cookie 0x{reply.Cookie:x16}";
        }

        var problem = reply.Structured ? ReadChunk(reply, request) : ReadSimple(reply, request);
        if (problem is not null || !reply.IsDone)
        {
            return problem;
        }

        if (request.Error == BlockError.None && request.Command == NbdCommand.Read && request.Received < request.Length)
        {
            return $"read reply at offset {request.Offset} ended after {request.Received} of {request.Length} bytes";
        }

        if (request.Error == BlockError.None && request.Command == NbdCommand.BlockStatus && !request.StatusSeen)
        {
            return "block status reply without an extent";
        }

        _requests.MarkReady(request);
        return null;
    }

    private string? ReadSimple(NbdReplyHeader reply, NbdPendingRequest request)
    {
        if (reply.Error != NbdErrno.None)
        {
            request.Error = NbdErrors.ToBlockError(reply.Error);
            return null;
        }

        if (request.Command == NbdCommand.BlockStatus)
        {
            return "simple reply to a block status request";
        }

        if (request.Command == NbdCommand.Read)
        {
            if (!_rx.ReadExactly(request.ReadBuffer.Span))
            {
                return "connection closed in the middle of read data";
            }

            request.Received = request.Length;
        }

        return null;
    }

    private string? ReadChunk(NbdReplyHeader reply, NbdPendingRequest request)
    {
        var length = reply.Length;
        if (reply.IsError)
        {
            return ReadErrorChunk(reply, request);
        }

        switch (reply.Type)
        {
            case NbdReplyType.None:
                return length != 0 ? "NBD_REPLY_TYPE_NONE chunk with a payload" : !reply.IsDone ? "NBD_REPLY_TYPE_NONE chunk without the done flag" : null;
            case NbdReplyType.OffsetData when request.Command == NbdCommand.Read:
                return ReadData(request, length);
            case NbdReplyType.OffsetHole when request.Command == NbdCommand.Read:
                return ReadHole(request, length);
            case NbdReplyType.BlockStatus when request.Command == NbdCommand.BlockStatus:
                return ReadStatus(request, length);
            default:
                return $"unexpected chunk type {(ushort)reply.Type} for {request.Command}";
        }
    }

    private string? ReadData(NbdPendingRequest request, uint length)
    {
        if (length <= 8 || length - 8 > request.Length)
        {
            return $"data chunk of {length} bytes for a read of {request.Length}";
        }

        Span<byte> offsetBytes = stackalloc byte[8];
        if (!_rx.ReadExactly(offsetBytes))
        {
            return "connection closed in the middle of a data chunk";
        }

        var relative = (long)BinaryPrimitives.ReadUInt64BigEndian(offsetBytes) - request.Offset;
        var count = length - 8;
        if (relative < 0 || relative > request.Length - count)
        {
            return "data chunk outside the requested range";
        }

        if (!_rx.ReadExactly(request.ReadBuffer.Span.Slice((int)relative, (int)count)))
        {
            return "connection closed in the middle of a data chunk";
        }

        request.Received += count;
        return null;
    }

    private string? ReadHole(NbdPendingRequest request, uint length)
    {
        Span<byte> body = stackalloc byte[12];
        if (length != body.Length)
        {
            return $"hole chunk of {length} bytes (12 expected)";
        }

        if (!_rx.ReadExactly(body))
        {
            return "connection closed in the middle of a hole chunk";
        }

        var relative = (long)BinaryPrimitives.ReadUInt64BigEndian(body) - request.Offset;
        var count = BinaryPrimitives.ReadUInt32BigEndian(body[8..]);
        if (count == 0 || relative < 0 || relative > request.Length - count)
        {
            return "hole chunk outside the requested range";
        }

        request.ReadBuffer.Span.Slice((int)relative, (int)count).Clear();
        request.Received += count;
        return null;
    }

    private string? ReadStatus(NbdPendingRequest request, uint length)
    {
        if (length < 12 || length > MaxStatusPayload || (length - 4) % 8 != 0)
        {
            return $"block status chunk of {length} bytes";
        }

        Span<byte> first = stackalloc byte[12];
        if (!_rx.ReadExactly(first) || !_rx.Skip(length - 12))
        {
            return "connection closed in the middle of a block status chunk";
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(first) != _allocationContext)
        {
            return "block status for a metadata context that was not negotiated";
        }

        var extent = BinaryPrimitives.ReadUInt32BigEndian(first[4..]);
        if (extent == 0 || request.StatusSeen)
        {
            return extent == 0 ? "block status extent of length 0" : "more than one block status chunk";
        }

        request.StatusSeen = true;
        request.StatusLength = Math.Min(extent, request.Length);
        request.StatusFlags = (NbdAllocationFlags)BinaryPrimitives.ReadUInt32BigEndian(first[8..]);
        return null;
    }

    private string? ReadErrorChunk(NbdReplyHeader reply, NbdPendingRequest request)
    {
        var length = reply.Length;
        var extra = reply.Type == NbdReplyType.ErrorOffset ? 8u : 0u;
        if (length < 6 + extra || length > 6 + extra + MaxErrorMessage)
        {
            return $"error chunk of {length} bytes";
        }

        Span<byte> head = stackalloc byte[6];
        if (!_rx.ReadExactly(head) || !_rx.Skip(length - 6))
        {
            return "connection closed in the middle of an error chunk";
        }

        var errno = (NbdErrno)BinaryPrimitives.ReadUInt32BigEndian(head);
        if (BinaryPrimitives.ReadUInt16BigEndian(head[4..]) != length - 6 - extra || errno == NbdErrno.None)
        {
            return "malformed error chunk";
        }

        // The first error wins; later chunks of the same reply may still carry data or more errors.
        if (request.Error == BlockError.None)
        {
            request.Error = NbdErrors.ToBlockError(errno);
        }

        return null;
    }
}
