using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Emulator.Monitor.Tests.Support;

/// <summary>A QMP client as external tools write them: one JSON text per line, events set aside while waiting for a reply.</summary>
internal sealed class QmpTestClient : IDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly Stream _stream;

    private QmpTestClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(_stream, Encoding.UTF8);
        _stream.ReadTimeout = 10_000;
        Greeting = ReadMessage();
    }

    public JsonObject Greeting { get; }

    public List<JsonObject> Events { get; } = [];

    public static QmpTestClient Connect(string path, bool negotiate = true)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        var client = new QmpTestClient(socket);
        if (negotiate)
        {
            client.Execute("qmp_capabilities");
        }

        return client;
    }

    public JsonObject Execute(string command, JsonObject? arguments = null, JsonNode? id = null)
    {
        var request = new JsonObject { ["execute"] = command };
        if (arguments is not null)
        {
            request["arguments"] = arguments;
        }

        if (id is not null)
        {
            request["id"] = id;
        }

        return SendRaw(request.ToJsonString());
    }

    /// <summary>Sends text as is and returns the next reply (events that arrive first are kept in <see cref="Events"/>).</summary>
    public JsonObject SendRaw(string text) => SendBytes(Encoding.UTF8.GetBytes(text + "\n"));

    /// <summary>Sends bytes as they are and waits for nothing.</summary>
    public void SendBytesOnly(byte[] bytes) => _stream.Write(bytes);

    /// <summary>Sends bytes as they are (no newline added) and returns the next reply.</summary>
    public JsonObject SendBytes(byte[] bytes)
    {
        _stream.Write(bytes);
        while (true)
        {
            var message = ReadMessage();
            if (message.ContainsKey("event"))
            {
                Events.Add(message);
                continue;
            }

            return message;
        }
    }

    /// <summary>Waits for an event that may arrive after the reply.</summary>
    public JsonObject WaitForEvent(string name)
    {
        while (true)
        {
            if (Events.FirstOrDefault(e => (string?)e["event"] == name) is { } seen)
            {
                Events.Remove(seen);
                return seen;
            }

            var message = ReadMessage();
            if (message.ContainsKey("event"))
            {
                Events.Add(message);
            }
        }
    }

    public void Dispose()
    {
        _reader.Dispose();
        _socket.Dispose();
    }

    private JsonObject ReadMessage()
    {
        var line = _reader.ReadLine() ?? throw new IOException("The QMP server closed the connection.");
        return (JsonObject)JsonNode.Parse(line)!;
    }
}
