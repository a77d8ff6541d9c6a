using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Emulator.TestSupport;

/// <summary>A minimal QMP client for tests: one JSON object per line, events kept until asked for.</summary>
internal sealed class QmpLineClient : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;
    private readonly List<JsonObject> _events = [];

    public QmpLineClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket);
        _stream.ReadTimeout = 30_000;
        _reader = new StreamReader(_stream, Encoding.UTF8);
        Read();
    }

    public JsonObject Execute(string command, JsonObject? arguments = null)
    {
        var request = new JsonObject { ["execute"] = command };
        if (arguments is not null)
        {
            request["arguments"] = arguments;
        }

        _stream.Write(Encoding.UTF8.GetBytes(request.ToJsonString() + "\n"));
        while (true)
        {
            var message = Read();
            if (!message.ContainsKey("event"))
            {
                return message;
            }

            _events.Add(message);
        }
    }

    public JsonObject WaitForEvent(string name)
    {
        while (true)
        {
            if (_events.FirstOrDefault(e => (string?)e["event"] == name) is { } seen)
            {
                _events.Remove(seen);
                return seen;
            }

            _events.Add(Read());
        }
    }

    public void Dispose()
    {
        _reader.Dispose();
        _socket.Dispose();
    }

    private JsonObject Read() => (JsonObject)JsonNode.Parse(_reader.ReadLine() ?? throw new IOException("QMP closed"))!;

    public static QmpLineClient Connect(string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Connect(new UnixDomainSocketEndPoint(path));
                return new QmpLineClient(socket);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }
}
