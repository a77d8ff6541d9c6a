using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Emulator.Monitor.Qmp;

/// <summary>
/// One QMP client: greeting, capabilities negotiation, command dispatch with <c>id</c> echo, and
/// events once negotiated. Every malformed input gets the error reply QEMU sends and the session
/// goes on; only end of input or a broken connection ends it. Commands run on the machine thread
/// through <see cref="IMonitorExecutor"/>. As in QEMU 7.2 (monitor/qmp.c) the greeting offers the
/// <c>oob</c> capability; until a client enables it, input is read one request at a time. Once enabled,
/// in-band requests (malformed ones included) queue, up to <see cref="InBandQueueLength"/>, for a
/// dispatcher that runs them in order while the reader goes on, so an <c>exec-oob</c> request of a
/// command that allows it runs at once on the reader and its reply overtakes slower in-band ones. Replies and events go through one outbox, in order, to a
/// writer task, so neither the machine thread (which publishes events) nor another client ever waits
/// on this client's socket; a client that stops reading while more than
/// <see cref="MaxUnsentBytes"/> pile up for it is disconnected (QEMU would buffer without bound).
/// </summary>
internal sealed class QmpSession
{
    /// <summary>QEMU's QMP_REQ_QUEUE_LEN_MAX: in-band requests queued before the reader stops reading.</summary>
    public const int InBandQueueLength = 8;

    private const string OobCapability = "oob";

    private readonly Stream _input;
    private readonly Stream _output;
    private readonly QmpCommandTable _commands;
    private readonly IMonitorExecutor _executor;
    private readonly MonitorEvents _events;
    /// <summary>Output queued for a client that is not reading before it is disconnected.</summary>
    public const int MaxUnsentBytes = 4 << 20;

    private readonly Channel<Outgoing> _outbox = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private readonly QmpActivity _activity;
    private long _unsentBytes;
    private volatile bool _negotiated;
    private volatile bool _oobEnabled;
    private volatile bool _broken;

    /// <summary>One message to send; <paramref name="Counted"/> when it is a reply the activity counter waits for.</summary>
    private readonly record struct Outgoing(byte[] Bytes, bool Counted);

    public QmpSession(Stream input, Stream output, QmpCommandTable commands, IMonitorExecutor executor, MonitorEvents events, QmpActivity? activity = null)
    {
        _activity = activity ?? new QmpActivity();
        _input = input;
        _output = output;
        _commands = commands;
        _executor = executor;
        _events = events;
    }

    /// <summary>Serves the client until it disconnects or <paramref name="cancellation"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellation)
    {
        var writer = Task.Run(WriteLoop, CancellationToken.None);
        var inBand = Channel.CreateBounded<QmpJsonMessage>(new BoundedChannelOptions(InBandQueueLength) { SingleReader = true, SingleWriter = true });
        var dispatcher = Task.Run(() => DispatchLoop(inBand.Reader), CancellationToken.None);
        _events.Subscribe(OnEvent);
        try
        {
            Write(new JsonObject { ["QMP"] = new JsonObject { ["version"] = QmpVersion.ToJson(), ["capabilities"] = new JsonArray(OobCapability) } });
            var streamer = new QmpJsonStreamer();
            var messages = new List<QmpJsonMessage>();
            var buffer = new byte[4096];
            while (!_broken)
            {
                var n = await _input.ReadAsync(buffer.AsMemory(), cancellation).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                messages.Clear();
                streamer.Feed(buffer.AsSpan(0, n), messages);
                foreach (var message in messages)
                {
                    // Counted until the reply is written, so a shutting-down server still sends it.
                    _activity.Enter();
                    if (_oobEnabled && !IsOutOfBand(message))
                    {
                        await inBand.Writer.WriteAsync(message, cancellation).ConfigureAwait(false);
                    }
                    else
                    {
                        // Out-of-band, or OOB not enabled: QEMU then reads no further until this one is answered.
                        Respond(message);
                    }
                }
            }
        }
        catch (IOException)
        {
            // The client went away mid-read; nothing to answer.
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
            // Disconnected by the writer (the client stopped reading).
        }
        finally
        {
            // Requests already queued are answered (a client may close its sending side and read on).
            inBand.Writer.TryComplete();
            await dispatcher.ConfigureAwait(false);
            _events.Unsubscribe(OnEvent);
            _outbox.Writer.TryComplete();
            await writer.ConfigureAwait(false);
        }
    }

    /// <summary>QEMU's qmp_is_oob: an object with <c>exec-oob</c> and no <c>execute</c>.</summary>
    private static bool IsOutOfBand(QmpJsonMessage message) =>
        message.Value is JsonObject request && request.ContainsKey("exec-oob") && !request.ContainsKey("execute");

    private async Task DispatchLoop(ChannelReader<QmpJsonMessage> queue)
    {
        await foreach (var message in queue.ReadAllAsync().ConfigureAwait(false))
        {
            Respond(message);
        }
    }

    /// <summary>Handles one request and queues its reply (counted for the activity entered when it was read).</summary>
    private void Respond(QmpJsonMessage message)
    {
        JsonObject? reply = null;
        try
        {
            reply = Handle(message);
        }
        finally
        {
            if (reply is null)
            {
                _activity.Exit();
            }
        }

        Write(reply, counted: true);
    }

    private static JsonObject Error(string desc, QmpErrorClass errorClass = QmpErrorClass.GenericError, JsonNode? id = null) =>
        QmpCommandTable.ErrorReply(desc, errorClass, id);

    private JsonObject Handle(QmpJsonMessage message)
    {
        if (message.Error is { } error)
        {
            return Error(error);
        }

        var parsed = message.Value;
        if (parsed is not JsonObject request)
        {
            return Error("QMP input must be a JSON object");
        }

        var id = request["id"];

        // QEMU's qmp_dispatch_check_obj: exec-oob is a member only once the client enabled OOB.
        string? name = null;
        var outOfBand = false;
        foreach (var (member, value) in request)
        {
            if (member == "execute" || (member == "exec-oob" && _oobEnabled))
            {
                if (value?.GetValueKind() != JsonValueKind.String)
                {
                    return Error($"QMP input member '{member}' must be a string", id: id);
                }

                if (name is not null)
                {
                    return Error($"QMP input member '{member}' clashes with '{(outOfBand ? "exec-oob" : "execute")}'", id: id);
                }

                name = value.GetValue<string>();
                outOfBand = member == "exec-oob";
            }
            else if (member == "arguments")
            {
                if (value is not JsonObject)
                {
                    return Error("QMP input member 'arguments' must be an object", id: id);
                }
            }
            else if (member != "id")
            {
                return Error($"QMP input member '{member}' is unexpected", id: id);
            }
        }

        if (name is null)
        {
            return Error("QMP input lacks member 'execute'", id: id);
        }

        var arguments = request["arguments"] as JsonObject ?? new JsonObject();
        if (!_negotiated)
        {
            // Before negotiation QEMU's command list holds qmp_capabilities alone.
            return name == "qmp_capabilities" && !outOfBand
                ? Negotiate(arguments, id)
                : Error("Expecting capabilities negotiation with 'qmp_capabilities'", QmpErrorClass.CommandNotFound, id);
        }

        if (name == "qmp_capabilities")
        {
            return outOfBand
                ? Error("The command qmp_capabilities does not support OOB", id: id)
                : Negotiate(arguments, id);
        }

        return _commands.Execute(name, arguments, _executor, id, outOfBand);
    }

    /// <summary>qmp_capabilities: <c>enable</c> is a list of QMPCapability, of which this server offers <c>oob</c>.</summary>
    private JsonObject Negotiate(JsonObject arguments, JsonNode? id)
    {
        var oob = false;
        foreach (var (member, value) in arguments)
        {
            if (member != "enable")
            {
                return Error($"Parameter '{member}' is unexpected", id: id);
            }

            if (value is not JsonArray enable)
            {
                return Error("Invalid parameter type for 'enable', expected: array", id: id);
            }

            foreach (var capability in enable)
            {
                if (capability?.GetValueKind() != JsonValueKind.String)
                {
                    return Error("Invalid parameter type for 'null', expected: string", id: id);
                }

                // QEMU 7.2 names a list element 'null' in this message.
                if (capability.GetValue<string>() != OobCapability)
                {
                    return Error($"Parameter 'null' does not accept value '{capability.GetValue<string>()}'", id: id);
                }

                oob = true;
            }
        }

        // The arguments are checked first, as QEMU's generated marshaller does before the command runs.
        if (_negotiated)
        {
            return Error("Capabilities negotiation is already complete, command ignored", QmpErrorClass.CommandNotFound, id);
        }

        _oobEnabled = oob;
        _negotiated = true;
        var reply = new JsonObject { ["return"] = new JsonObject() };
        if (id is not null)
        {
            reply["id"] = id.DeepClone();
        }

        return reply;
    }

    private void OnEvent(JsonObject message)
    {
        if (_negotiated)
        {
            Write(message);
        }
    }

    /// <summary>Queues <paramref name="message"/> for the writer; never blocks. Any thread.</summary>
    private void Write(JsonObject message, bool counted = false)
    {
        var bytes = Encoding.UTF8.GetBytes(QmpJsonWriter.Write(message) + "\r\n");
        if (_broken || Interlocked.Add(ref _unsentBytes, bytes.Length) > MaxUnsentBytes || !_outbox.Writer.TryWrite(new Outgoing(bytes, counted)))
        {
            if (counted)
            {
                _activity.Exit();
            }

            Disconnect();
        }
    }

    /// <summary>Sends the outbox in order until the session ends or the connection breaks.</summary>
    private async Task WriteLoop()
    {
        await foreach (var item in _outbox.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                if (!_broken)
                {
                    await _output.WriteAsync(item.Bytes).ConfigureAwait(false);
                    await _output.FlushAsync().ConfigureAwait(false);
                }
            }
            catch (IOException)
            {
                Disconnect();
            }
            catch (ObjectDisposedException)
            {
                // Disconnected meanwhile (another thread hit the backlog limit).
                Disconnect();
            }
            finally
            {
                Interlocked.Add(ref _unsentBytes, -item.Bytes.Length);
                if (item.Counted)
                {
                    _activity.Exit();
                }
            }
        }
    }

    /// <summary>Stops sending and closes the connection, which ends the read loop too.</summary>
    private void Disconnect()
    {
        if (_broken)
        {
            return;
        }

        _broken = true;
        _outbox.Writer.TryComplete();
        _input.Dispose();
        _output.Dispose();
    }
}
