using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Emulator.Monitor.Qmp;

/// <summary>
/// One QMP client: greeting, capabilities negotiation, command dispatch with <c>id</c> echo, and
/// events once negotiated. Every malformed input gets the error reply QEMU sends and the session
/// goes on; only end of input or a broken connection ends it. Commands run on the machine thread
/// through <see cref="IMonitorExecutor"/>. Replies and events go through one outbox, in order, to a
/// writer task, so neither the machine thread (which publishes events) nor another client ever waits
/// on this client's socket; a client that stops reading while more than
/// <see cref="MaxUnsentBytes"/> pile up for it is disconnected (QEMU would buffer without bound).
/// </summary>
internal sealed class QmpSession
{
    private static readonly string[] InputMembers = ["execute", "arguments", "id", "exec-oob", "control"];

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
        _events.Subscribe(OnEvent);
        try
        {
            Write(new JsonObject { ["QMP"] = new JsonObject { ["version"] = QmpVersion.ToJson(), ["capabilities"] = new JsonArray() } });
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
            _events.Unsubscribe(OnEvent);
            _outbox.Writer.TryComplete();
            await writer.ConfigureAwait(false);
        }
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
        foreach (var (member, _) in request)
        {
            if (!InputMembers.Contains(member))
            {
                return Error($"QMP input member '{member}' is unexpected", id: id);
            }
        }

        if (request["execute"] is not { } executeNode)
        {
            return Error(request["exec-oob"] is null ? "QMP input lacks member 'execute'" : "Out-Of-Band capability is not enabled", id: id);
        }

        if (executeNode.GetValueKind() != JsonValueKind.String)
        {
            return Error("QMP input member 'execute' must be a string", id: id);
        }

        var name = executeNode.GetValue<string>();
        var arguments = request["arguments"] ?? new JsonObject();
        if (arguments is not JsonObject argumentObject)
        {
            return Error("QMP input member 'arguments' must be an object", id: id);
        }

        if (name == "qmp_capabilities")
        {
            return Negotiate(argumentObject, id);
        }

        if (!_negotiated)
        {
            return Error("Expecting capabilities negotiation with 'qmp_capabilities'", QmpErrorClass.CommandNotFound, id);
        }

        return _commands.Execute(name, argumentObject, _executor, id);
    }

    private JsonObject Negotiate(JsonObject arguments, JsonNode? id)
    {
        if (_negotiated)
        {
            return Error("Capabilities negotiation is already complete, command ignored", QmpErrorClass.CommandNotFound, id);
        }

        if (arguments["enable"] is JsonArray { Count: > 0 } enable)
        {
            return Error($"Capability '{enable[0]}' not available", id: id);
        }

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
