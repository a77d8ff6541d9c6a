using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Emulator.Cli.Tests.Boot;

/// <summary><c>emu boot --qmp</c>: the monitor drives the running machine over a Unix socket.</summary>
public class EmuBootQmpTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-boot-qmp-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Qmp_StatusStopContBlockQuit_AgainstRunningMachine()
    {
        var image = Path.Combine(_dir, "disk.img");
        File.WriteAllBytes(image, new byte[64 * 1024]);
        var socket = Path.Combine(_dir, "qmp.sock");
        var output = new StringWriter();
        var status = -1;
        var run = new Thread(() => status = EmuCommand.Run(
            ["boot", "--qmp", $"unix:{socket}", "--hda", image, "--timeout", "60"], new StringReader(string.Empty), output, new StringWriter()));
        var errors = new StringWriter();
        run.Start();
        using var qmp = Connect(socket);

        try
        {
            qmp.Execute("qmp_capabilities");
        }
        catch (IOException e)
        {
            run.Join(TimeSpan.FromSeconds(10));
            Assert.Fail($"QMP went away at negotiation ({e.Message}); emu boot returned {status}; output:\n{output}");
        }

        var running = qmp.Execute("query-status");
        qmp.Execute("stop");
        var stopEvent = qmp.WaitForEvent("STOP");
        var paused = qmp.Execute("query-status");
        qmp.Execute("cont");
        qmp.WaitForEvent("RESUME");
        var block = qmp.Execute("query-block");
        qmp.Execute("quit");
        var shutdown = qmp.WaitForEvent("SHUTDOWN");
        var exited = run.Join(TimeSpan.FromSeconds(30));

        Assert.Multiple(() =>
        {
            Assert.That((string?)running["return"]?["status"], Is.EqualTo("running"));
            Assert.That(stopEvent["timestamp"], Is.Not.Null);
            Assert.That((string?)paused["return"]?["status"], Is.EqualTo("paused"));
            Assert.That((string?)block["return"]?[0]?["device"], Is.EqualTo("ide0-hd0"));
            Assert.That((long?)block["return"]?[0]?["inserted"]?["image"]?["virtual-size"], Is.EqualTo(64 * 1024));
            Assert.That((string?)shutdown["data"]?["reason"], Is.EqualTo("host-qmp-quit"));
            Assert.That(exited, Is.True, "quit ends emu boot");
            Assert.That(status, Is.Zero);
        });
    }

    private static QmpLineClient Connect(string path)
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

    private sealed class QmpLineClient : IDisposable
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

        public JsonObject Execute(string command)
        {
            _stream.Write(Encoding.UTF8.GetBytes($"{{\"execute\":\"{command}\"}}\n"));
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
    }
}
