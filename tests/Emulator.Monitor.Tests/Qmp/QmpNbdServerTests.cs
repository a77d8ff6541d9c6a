using System.Text.Json.Nodes;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.Nbd;
using Emulator.Block.Nbd;
using Emulator.Monitor.Tests.Support;

namespace Emulator.Monitor.Tests.Qmp;

/// <summary>QEMU's built-in NBD server over QMP: a running disk exported, read back through our NBD client, QEMU's errors.</summary>
public class QmpNbdServerTests
{
    private MonitorHarness _h = null!;
    private QmpTestClient _client = null!;
    private string _socket = null!;

    [SetUp]
    public void SetUp()
    {
        _h = new MonitorHarness();
        _client = _h.Connect();
        _socket = Path.Combine(_h.TempDir, "nbd.sock");
    }

    [TearDown]
    public void TearDown()
    {
        _client.Dispose();
        _h.Dispose();
    }

    private JsonObject Run(string command, JsonObject? arguments = null) => _client.Execute(command, arguments);

    private static string? Desc(JsonObject reply) => (string?)reply["error"]?["desc"];

    private JsonObject Start() => Run("nbd-server-start", new JsonObject
    {
        ["addr"] = new JsonObject { ["type"] = "unix", ["data"] = new JsonObject { ["path"] = _socket } },
    });

    [Test]
    public void ServerAdd_RunningDisk_ClientReadsItsBytes()
    {
        var image = _h.CreateImage(1 << 20, "hd.img");
        var expected = File.ReadAllBytes(image).AsSpan(8192, 4096).ToArray();
        _h.AddDisk(image);
        Start();

        var added = Run("nbd-server-add", new JsonObject { ["device"] = "hd0" });
        var node = _h.Layer.Graph.Open(new NbdNodeOptions(NbdServerAddress.Unix(_socket)) { Export = "hd0", ReadOnly = true });
        var buffer = new byte[4096];
        var error = node.ReadAsync(8192, buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();

        Assert.That(added.ContainsKey("return"), Is.True, Desc(added));
        Assert.That(error, Is.EqualTo(BlockError.None));
        Assert.That(buffer, Is.EqualTo(expected));
        _h.Layer.Graph.Unref(node);
    }

    [TestCase(1, false)]
    [TestCase(2, true)]
    public void ServerAdd_WritableExport_MultiConnWhenMaxConnectionsIsNotOne(int maxConnections, bool multiConn)
    {
        _h.AddDisk(_h.CreateImage(1 << 20, "hd.img"));
        Run("nbd-server-start", new JsonObject
        {
            ["addr"] = new JsonObject { ["type"] = "unix", ["data"] = new JsonObject { ["path"] = _socket } },
            ["max-connections"] = maxConnections,
        });

        Run("nbd-server-add", new JsonObject { ["device"] = "hd0", ["writable"] = true });
        var node = _h.Layer.Graph.Open(new NbdNodeOptions(NbdServerAddress.Unix(_socket)) { Export = "hd0" });
        var info = ((NbdDriver)node.Driver).Info;

        Assert.That((info.Has(NbdTransmissionFlags.CanMultiConn), info.Has(NbdTransmissionFlags.ReadOnly)), Is.EqualTo((multiConn, false)));
        _h.Layer.Graph.Unref(node);
    }

    [Test]
    public void BlockExportAdd_ThenQueryAndDel()
    {
        _h.AddDisk(_h.CreateImage(1 << 20, "hd.img"));
        Start();
        var root = _h.Layer.FindBackend("hd0")!.RootNodeName!;

        Run("block-export-add", new JsonObject { ["type"] = "nbd", ["id"] = "exp0", ["node-name"] = root, ["writable"] = true });
        var listed = Run("query-block-exports")["return"]!.AsArray();
        var deleted = Run("block-export-del", new JsonObject { ["id"] = "exp0" });

        Assert.That(listed.Select(e => (string?)e!["id"]), Is.EqualTo(new[] { "exp0" }));
        Assert.That(deleted.ContainsKey("return"), Is.True, Desc(deleted));
    }

    [Test]
    public void ServerRemove_ClientConnected_SafeRefusedHardDisconnects()
    {
        _h.AddDisk(_h.CreateImage(1 << 20, "hd.img"));
        Start();
        Run("nbd-server-add", new JsonObject { ["device"] = "hd0" });
        var node = _h.Layer.Graph.Open(new NbdNodeOptions(NbdServerAddress.Unix(_socket)) { Export = "hd0", ReadOnly = true });

        var safe = Desc(Run("nbd-server-remove", new JsonObject { ["name"] = "hd0" }));
        var badMode = Desc(Run("nbd-server-remove", new JsonObject { ["name"] = "hd0", ["mode"] = "soft" }));
        var hard = Run("nbd-server-remove", new JsonObject { ["name"] = "hd0", ["mode"] = "hard" });
        var listed = Run("query-block-exports")["return"]!.AsArray();
        var afterRemoval = node.ReadAsync(0, new byte[512]).AsTask().WaitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();
        _h.Layer.Graph.Unref(node);

        Assert.Multiple(() =>
        {
            Assert.That(safe, Is.EqualTo("export 'hd0' still in use"));
            Assert.That(badMode, Is.EqualTo("Parameter 'mode' does not accept value 'soft'"));
            Assert.That(hard.ContainsKey("return"), Is.True, Desc(hard));
            Assert.That(listed, Is.Empty);
            Assert.That(afterRemoval, Is.Not.EqualTo(BlockError.None), "the disconnected client cannot read the removed export");
        });
    }

    [Test]
    public void Errors_AsQemuWordsThem()
    {
        _h.AddDisk(_h.CreateImage(1 << 20, "hd.img"));

        var notRunning = Desc(Run("nbd-server-add", new JsonObject { ["device"] = "hd0" }));
        var stopNotRunning = Desc(Run("nbd-server-stop"));
        Start();
        var again = Desc(Start());
        var missing = Desc(Run("nbd-server-add", new JsonObject { ["device"] = "nope" }));
        Run("nbd-server-add", new JsonObject { ["device"] = "hd0" });
        var twice = Desc(Run("nbd-server-add", new JsonObject { ["device"] = "hd0" }));
        var unknown = Desc(Run("nbd-server-remove", new JsonObject { ["name"] = "zz" }));

        Assert.Multiple(() =>
        {
            Assert.That(notRunning, Is.EqualTo("NBD server not running"));
            Assert.That(stopNotRunning, Is.EqualTo("NBD server not running"));
            Assert.That(again, Is.EqualTo("NBD server already running"));
            Assert.That(missing, Is.EqualTo("Cannot find device=nope nor node-name=nope"));
            Assert.That(twice, Is.EqualTo("Block export id 'hd0' is already in use"));
            Assert.That(unknown, Is.EqualTo("Export 'zz' is not found"));
        });
    }

    [Test]
    public void ServerStop_ClosesListener()
    {
        Start();

        var stopped = Run("nbd-server-stop");

        Assert.That(stopped.ContainsKey("return"), Is.True, Desc(stopped));
        Assert.That(File.Exists(_socket), Is.False);
    }
}
