using System.Net.Sockets;
using System.Text;
using Emulator.Monitor.Tests.Support;

namespace Emulator.Monitor.Tests.Qmp;

/// <summary>The monitor under hostile load: clients that never read, floods and storms must not stall the machine or the other clients.</summary>
public class QmpLoadTests
{
    private const int EventsToFlood = 100_000;

    private MonitorHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new MonitorHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    [Test]
    public void ClientThatNeverReads_EventFlood_PublisherAndOtherClientsCarryOn()
    {
        using var stuck = ConnectAndNegotiateRaw();

        // Without a per-client outbox the publisher (the machine thread in the emulator) blocks in a socket write.
        var publisher = Task.Run(() =>
        {
            for (var i = 0; i < EventsToFlood; i++)
            {
                _h.Events.Publish("BLOCK_JOB_READY", null);
            }
        });
        var published = publisher.Wait(TimeSpan.FromSeconds(60));
        using var other = _h.Connect();
        var status = other.Execute("query-status");

        Assert.Multiple(() =>
        {
            Assert.That(published, Is.True, "publishing never waits on a client's socket");
            Assert.That((string?)status["return"]?["status"], Is.EqualTo("running"));
            Assert.That(ReadsToEnd(stuck), Is.True, "the client that stopped reading is disconnected once its backlog passes the limit");
        });
    }

    [Test]
    public void ConnectionStorm_ManyClientsConnectAndDrop_ServerStillAnswers()
    {
        for (var i = 0; i < 200; i++)
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(_h.SocketPath));
            if (i % 2 == 0)
            {
                socket.Send("{\"execute\":\"qmp_capabilities\"}{\"execute\":"u8.ToArray());
            }
        }

        using var client = _h.Connect();

        Assert.That((string?)client.Execute("query-status")["return"]?["status"], Is.EqualTo("running"));
    }

    [Test]
    public void OversizedMessage_RefusedAndSessionGoesOn()
    {
        using var client = _h.Connect();

        var reply = client.SendRaw("{\"execute\":\"" + new string('x', 2 << 20) + "\"}");
        var after = client.Execute("query-status");

        Assert.Multiple(() =>
        {
            Assert.That((string?)reply["error"]?["class"], Is.EqualTo("GenericError"));
            Assert.That((string?)after["return"]?["status"], Is.EqualTo("running"));
        });
    }

    private Socket ConnectAndNegotiateRaw()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(_h.SocketPath));
        socket.ReceiveBufferSize = 4096;
        socket.Send(Encoding.UTF8.GetBytes("{\"execute\":\"qmp_capabilities\"}\n"));
        Thread.Sleep(200);
        return socket;
    }

    /// <summary>Drains the socket; true when the server closed it (end of stream) within the timeout.</summary>
    private static bool ReadsToEnd(Socket socket)
    {
        socket.ReceiveTimeout = 30_000;
        var buffer = new byte[1 << 16];
        try
        {
            while (socket.Receive(buffer) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
