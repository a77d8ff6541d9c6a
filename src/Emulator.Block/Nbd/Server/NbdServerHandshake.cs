using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Emulator.Block.Nbd.Server;

/// <summary>
/// The server side of the fixed newstyle handshake: LIST, INFO, GO, EXPORT_NAME, STRUCTURED_REPLY,
/// LIST/SET_META_CONTEXT (<c>base:allocation</c>), ABORT; STARTTLS refused by policy (no TLS); anything
/// else NBD_REP_ERR_UNSUP. Malformed options get NBD_REP_ERR_INVALID and the negotiation goes on;
/// a wrong magic, an oversized option or a closed stream end it.
/// </summary>
internal sealed class NbdServerHandshake
{
    /// <summary>Options a client may send before it must choose an export.</summary>
    private const int MaxOptions = 64;

    /// <summary>base:allocation's context id on this server.</summary>
    public const uint AllocationContextId = 1;

    private readonly Socket _socket;
    private readonly Func<string, NbdExport?> _find;
    private readonly Func<IEnumerable<NbdExport>> _list;
    private bool _noZeroes;

    public NbdServerHandshake(Socket socket, Func<string, NbdExport?> find, Func<IEnumerable<NbdExport>> list)
    {
        _socket = socket;
        _find = find;
        _list = list;
    }

    public bool Structured { get; private set; }

    public bool AllocationContext { get; private set; }

    /// <summary>Runs the handshake; the chosen export, or null when the client left or broke the protocol.</summary>
    public NbdExport? Run()
    {
        Span<byte> greeting = stackalloc byte[18];
        BinaryPrimitives.WriteUInt64BigEndian(greeting, NbdMagic.InitPassword);
        BinaryPrimitives.WriteUInt64BigEndian(greeting[8..], NbdMagic.IHaveOpt);
        BinaryPrimitives.WriteUInt16BigEndian(greeting[16..], (ushort)(NbdHandshakeFlags.FixedNewstyle | NbdHandshakeFlags.NoZeroes));
        if (!NbdWire.SendAll(_socket, greeting) || !NbdWire.ReceiveExactly(_socket, greeting[..4]))
        {
            return null;
        }

        var clientFlags = (NbdClientFlags)BinaryPrimitives.ReadUInt32BigEndian(greeting);
        if ((clientFlags & ~(NbdClientFlags.FixedNewstyle | NbdClientFlags.NoZeroes)) != 0)
        {
            return null;
        }

        _noZeroes = (clientFlags & NbdClientFlags.NoZeroes) != 0;
        Span<byte> header = stackalloc byte[16];
        for (var count = 0; count < MaxOptions; count++)
        {
            if (!NbdWire.ReceiveExactly(_socket, header) || BinaryPrimitives.ReadUInt64BigEndian(header) != NbdMagic.IHaveOpt)
            {
                return null;
            }

            var option = BinaryPrimitives.ReadUInt32BigEndian(header[8..]);
            var length = BinaryPrimitives.ReadUInt32BigEndian(header[12..]);
            if (length > NbdLimits.MaxOptionPayload)
            {
                // Too big to read: answer, then drop the client rather than read megabytes of junk.
                Reply(option, NbdOptionReplyType.ErrTooBig, "option payload too large");
                return null;
            }

            var payload = new byte[length];
            if (!NbdWire.ReceiveExactly(_socket, payload))
            {
                return null;
            }

            var outcome = Handle((NbdOption)option, payload, out var export);
            if (outcome is Outcome.Close)
            {
                return null;
            }

            if (outcome is Outcome.Transmission)
            {
                return export;
            }
        }

        return null;
    }

    private enum Outcome
    {
        Continue,
        Transmission,
        Close,
    }

    private Outcome Handle(NbdOption option, byte[] payload, out NbdExport? export)
    {
        export = null;
        switch (option)
        {
            case NbdOption.ExportName:
                export = _find(Encoding.UTF8.GetString(payload));
                if (export is null)
                {
                    return Outcome.Close;
                }

                Span<byte> reply = stackalloc byte[10 + NbdLimits.ExportNamePadding];
                reply.Clear();
                BinaryPrimitives.WriteUInt64BigEndian(reply, (ulong)export.Node.Length);
                BinaryPrimitives.WriteUInt16BigEndian(reply[8..], (ushort)export.Flags);
                return NbdWire.SendAll(_socket, reply[..(_noZeroes ? 10 : reply.Length)]) ? Outcome.Transmission : Outcome.Close;
            case NbdOption.Abort:
                Reply((uint)option, NbdOptionReplyType.Ack, null);
                return Outcome.Close;
            case NbdOption.List:
                if (payload.Length != 0)
                {
                    return Reply((uint)option, NbdOptionReplyType.ErrInvalid, "NBD_OPT_LIST takes no data");
                }

                foreach (var e in _list())
                {
                    var name = Encoding.UTF8.GetBytes(e.Name);
                    var entry = new byte[4 + name.Length];
                    BinaryPrimitives.WriteUInt32BigEndian(entry, (uint)name.Length);
                    name.CopyTo(entry, 4);
                    if (!NbdWire.SendOptionReply(_socket, (uint)option, NbdOptionReplyType.Server, entry))
                    {
                        return Outcome.Close;
                    }
                }

                return Reply((uint)option, NbdOptionReplyType.Ack, null);
            case NbdOption.StartTls:
                return Reply((uint)option, NbdOptionReplyType.ErrPolicy, "TLS not configured");
            case NbdOption.StructuredReply:
                if (payload.Length != 0 || Structured)
                {
                    return Reply((uint)option, NbdOptionReplyType.ErrInvalid, Structured ? "structured reply already negotiated" : "NBD_OPT_STRUCTURED_REPLY takes no data");
                }

                Structured = true;
                return Reply((uint)option, NbdOptionReplyType.Ack, null);
            case NbdOption.Info or NbdOption.Go:
                return InfoOrGo(option, payload, out export);
            case NbdOption.ListMetaContext or NbdOption.SetMetaContext:
                return MetaContext(option, payload);
            default:
                return Reply((uint)option, NbdOptionReplyType.ErrUnsupported, $"option {(uint)option} not supported");
        }
    }

    private Outcome InfoOrGo(NbdOption option, byte[] payload, out NbdExport? export)
    {
        export = null;
        var span = payload.AsSpan();
        if (span.Length < 6)
        {
            return Reply((uint)option, NbdOptionReplyType.ErrInvalid, "request too short");
        }

        var nameLength = BinaryPrimitives.ReadUInt32BigEndian(span);
        if (nameLength > span.Length - 6)
        {
            return Reply((uint)option, NbdOptionReplyType.ErrInvalid, "export name length past the end of the request");
        }

        var name = Encoding.UTF8.GetString(span.Slice(4, (int)nameLength));
        var requests = BinaryPrimitives.ReadUInt16BigEndian(span[(4 + (int)nameLength)..]);
        var rest = span[(6 + (int)nameLength)..];
        if (rest.Length != requests * 2)
        {
            return Reply((uint)option, NbdOptionReplyType.ErrInvalid, "information request count does not match the data");
        }

        var found = _find(name);
        if (found is null)
        {
            return Reply((uint)option, NbdOptionReplyType.ErrUnknown, $"export '{name}' not present");
        }

        var wantName = false;
        var wantDescription = false;
        for (var i = 0; i < requests; i++)
        {
            var type = (NbdInfoType)BinaryPrimitives.ReadUInt16BigEndian(rest[(i * 2)..]);
            wantName |= type == NbdInfoType.Name;
            wantDescription |= type == NbdInfoType.Description && found.Description is not null;
        }

        if (wantName && !SendInfo(option, NbdInfoType.Name, Encoding.UTF8.GetBytes(found.Name)))
        {
            return Outcome.Close;
        }

        if (wantDescription && !SendInfo(option, NbdInfoType.Description, Encoding.UTF8.GetBytes(found.Description!)))
        {
            return Outcome.Close;
        }

        Span<byte> sizes = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(sizes, 1);
        BinaryPrimitives.WriteUInt32BigEndian(sizes[4..], 4096);
        BinaryPrimitives.WriteUInt32BigEndian(sizes[8..], NbdLimits.MaxPayload);
        Span<byte> exportInfo = stackalloc byte[10];
        BinaryPrimitives.WriteUInt64BigEndian(exportInfo, (ulong)found.Node.Length);
        BinaryPrimitives.WriteUInt16BigEndian(exportInfo[8..], (ushort)found.Flags);
        if (!SendInfo(option, NbdInfoType.BlockSize, sizes) || !SendInfo(option, NbdInfoType.Export, exportInfo))
        {
            return Outcome.Close;
        }

        if (Reply((uint)option, NbdOptionReplyType.Ack, null) == Outcome.Close)
        {
            return Outcome.Close;
        }

        export = option == NbdOption.Go ? found : null;
        return export is null ? Outcome.Continue : Outcome.Transmission;
    }

    private Outcome MetaContext(NbdOption option, byte[] payload)
    {
        if (option == NbdOption.SetMetaContext && !Structured)
        {
            return Reply((uint)option, NbdOptionReplyType.ErrInvalid, "structured replies must be negotiated first");
        }

        var span = payload.AsSpan();
        if (span.Length < 8 || BinaryPrimitives.ReadUInt32BigEndian(span) > span.Length - 8)
        {
            return Reply((uint)option, NbdOptionReplyType.ErrInvalid, "malformed metadata context request");
        }

        var nameLength = (int)BinaryPrimitives.ReadUInt32BigEndian(span);
        var name = Encoding.UTF8.GetString(span.Slice(4, nameLength));
        var queries = BinaryPrimitives.ReadUInt32BigEndian(span[(4 + nameLength)..]);
        var rest = span[(8 + nameLength)..];
        var allocation = false;
        for (var i = 0u; i < queries; i++)
        {
            if (rest.Length < 4 || BinaryPrimitives.ReadUInt32BigEndian(rest) > rest.Length - 4)
            {
                return Reply((uint)option, NbdOptionReplyType.ErrInvalid, "malformed metadata context query");
            }

            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(rest);
            var query = Encoding.UTF8.GetString(rest.Slice(4, length));
            allocation |= query == NbdLimits.BaseAllocation || (option == NbdOption.ListMetaContext && query == "base:");
            rest = rest[(4 + length)..];
        }

        if (rest.Length != 0)
        {
            return Reply((uint)option, NbdOptionReplyType.ErrInvalid, "trailing data after the queries");
        }

        if (_find(name) is null)
        {
            return Reply((uint)option, NbdOptionReplyType.ErrUnknown, $"export '{name}' not present");
        }

        allocation |= option == NbdOption.ListMetaContext && queries == 0;
        if (option == NbdOption.SetMetaContext)
        {
            AllocationContext = allocation;
        }

        if (allocation)
        {
            var context = Encoding.UTF8.GetBytes(NbdLimits.BaseAllocation);
            var reply = new byte[4 + context.Length];
            BinaryPrimitives.WriteUInt32BigEndian(reply, AllocationContextId);
            context.CopyTo(reply, 4);
            if (!NbdWire.SendOptionReply(_socket, (uint)option, NbdOptionReplyType.MetaContext, reply))
            {
                return Outcome.Close;
            }
        }

        return Reply((uint)option, NbdOptionReplyType.Ack, null);
    }

    private bool SendInfo(NbdOption option, NbdInfoType type, ReadOnlySpan<byte> data)
    {
        var payload = new byte[2 + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)type);
        data.CopyTo(payload.AsSpan(2));
        return NbdWire.SendOptionReply(_socket, (uint)option, NbdOptionReplyType.Info, payload);
    }

    private Outcome Reply(uint option, NbdOptionReplyType type, string? message) =>
        NbdWire.SendOptionReply(_socket, option, type, message is null ? [] : Encoding.UTF8.GetBytes(message)) ? Outcome.Continue : Outcome.Close;
}
