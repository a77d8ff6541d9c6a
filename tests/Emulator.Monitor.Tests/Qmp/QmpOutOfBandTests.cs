using System.Diagnostics;
using System.Text.Json.Nodes;
using Emulator.Monitor.Tests.Support;

namespace Emulator.Monitor.Tests.Qmp;

/// <summary>
/// QMP out-of-band execution and --preconfig as QEMU 7.2 has them (monitor/qmp.c, qapi/qmp-dispatch.c),
/// with the replies the reference QEMU gives: the scenarios of QEMU's qmp-test.
/// </summary>
public class QmpOutOfBandTests
{
    private MonitorHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new MonitorHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    private static string? ErrorDesc(JsonObject reply) => (string?)reply["error"]?["desc"];

    private QmpTestClient ConnectWithOob()
    {
        var client = _h.Connect(negotiate: false);
        var reply = client.SendRaw("""{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}""");
        Assert.That(reply.ContainsKey("return"), reply.ToJsonString());
        return client;
    }

    [Test]
    public void Greeting_OffersOobCapability()
    {
        using var client = _h.Connect(negotiate: false);

        Assert.That(client.Greeting["QMP"]?["capabilities"]?.ToJsonString(), Is.EqualTo("""["oob"]"""));
    }

    [Test]
    public void Negotiation_UnknownCapability_RefusedAsQemuWordsIt()
    {
        using var client = _h.Connect(negotiate: false);

        var reply = client.SendRaw("""{"execute":"qmp_capabilities","arguments":{"enable":["cap-does-not-exist"]}}""");

        Assert.That(ErrorDesc(reply), Is.EqualTo("Parameter 'null' does not accept value 'cap-does-not-exist'"));
    }

    [Test]
    public void ExecOob_OobNotEnabled_UnexpectedMember()
    {
        using var client = _h.Connect();

        var reply = client.SendRaw("""{"exec-oob":"migrate-pause","id":"x"}""");

        Assert.Multiple(() =>
        {
            Assert.That(ErrorDesc(reply), Is.EqualTo("QMP input member 'exec-oob' is unexpected"));
            Assert.That((string?)reply["id"], Is.EqualTo("x"));
        });
    }

    [TestCase("""{"exec-oob":"query-status"}""", "The command query-status does not support OOB")]
    [TestCase("""{"exec-oob":"migrate-pause","execute":"query-name"}""", "QMP input member 'execute' clashes with 'exec-oob'")]
    [TestCase("""{"exec-oob":5}""", "QMP input member 'exec-oob' must be a string")]
    [TestCase("""{"exec-oob":"migrate-pause"}""", "migrate-pause is currently only supported during postcopy-active state")]
    [TestCase("""{"exec-oob":"qmp_capabilities"}""", "The command qmp_capabilities does not support OOB")]
    public void ExecOob_OobEnabled_AnswersAsQemu(string request, string desc)
    {
        using var client = ConnectWithOob();

        var reply = client.SendRaw(request);

        Assert.That(ErrorDesc(reply), Is.EqualTo(desc));
    }

    [Test]
    public void ExecOob_InBandCommandBlocked_OobReplyOvertakesInBandOnesInOrder()
    {
        using var client = ConnectWithOob();
        var fifo = Path.Combine(_h.TempDir, "fifo");
        using (var mkfifo = Process.Start("mkfifo", fifo))
        {
            mkfifo.WaitForExit();
            Assert.That(mkfifo.ExitCode, Is.Zero, "mkfifo");
        }

        // blkdebug reads its config file when the node opens: a FIFO holds blockdev-add until a writer comes.
        var blocks = new JsonObject
        {
            ["execute"] = "blockdev-add",
            ["id"] = "ib-blocks-1",
            ["arguments"] = new JsonObject
            {
                ["driver"] = "blkdebug",
                ["node-name"] = "ib-blocks-1",
                ["config"] = fifo,
                ["image"] = new JsonObject { ["driver"] = "null-co", ["read-zeroes"] = true },
            },
        };
        client.SendBytesOnly(System.Text.Encoding.UTF8.GetBytes(blocks.ToJsonString() + "\n"));
        client.SendBytesOnly("""{"execute":"query-name","id":"ib-quick-1"}"""u8.ToArray());
        client.SendBytesOnly("\n"u8.ToArray());

        // Unblocked after a while however the server behaves, so a wrong order fails instead of hanging.
        using var unblock = Task.Delay(TimeSpan.FromSeconds(2)).ContinueWith(_ => new FileStream(fifo, FileMode.Open, FileAccess.Write).Dispose(), TaskScheduler.Default);
        var ids = new List<string?> { (string?)client.SendRaw("""{"exec-oob":"migrate-pause","id":"oob-1"}""")["id"] };
        ids.Add((string?)client.SendRaw(string.Empty)["id"]);
        ids.Add((string?)client.SendRaw(string.Empty)["id"]);

        Assert.That(ids, Is.EqualTo(new[] { "oob-1", "ib-blocks-1", "ib-quick-1" }));
    }

    [Test]
    public void Preconfig_CommandNotAllowed_RefusedUntilExit()
    {
        _h.Machine.InPreconfig = true;
        using var client = _h.Connect();

        var before = client.Execute("stop");
        var exit = client.Execute("x-exit-preconfig");
        var after = client.Execute("stop");
        var exitAgain = client.Execute("x-exit-preconfig");

        Assert.Multiple(() =>
        {
            Assert.That(ErrorDesc(before), Is.EqualTo("The command 'stop' is permitted only after machine initialization has completed"));
            Assert.That(exit.ContainsKey("return"), exit.ToJsonString());
            Assert.That(after.ContainsKey("return"), after.ToJsonString());
            Assert.That(ErrorDesc(exitAgain), Is.EqualTo("The command is permitted only before machine initialization"));
        });
    }

    [Test]
    public void Preconfig_AllowPreconfigCommand_Runs()
    {
        _h.Machine.InPreconfig = true;
        using var client = _h.Connect();

        var reply = client.Execute("query-status");

        Assert.That(reply.ContainsKey("return"), reply.ToJsonString());
    }

    [Test]
    public void QomSet_WithoutValue_ParameterMissing()
    {
        using var client = _h.Connect();

        var reply = client.Execute("qom-set", new JsonObject { ["path"] = "/machine", ["property"] = "rtc-time" });

        Assert.That(ErrorDesc(reply), Is.EqualTo("Parameter 'value' is missing"));
    }

    [Test]
    public void QomGet_UnknownPath_DeviceNotFound()
    {
        using var client = _h.Connect();

        var reply = client.Execute("qom-get", new JsonObject { ["path"] = "/nope", ["property"] = "type" });

        Assert.Multiple(() =>
        {
            Assert.That((string?)reply["error"]?["class"], Is.EqualTo("DeviceNotFound"));
            Assert.That(ErrorDesc(reply), Is.EqualTo("Device '/nope' not found"));
        });
    }

    [Test]
    public void QomGet_MachineType_PcMachineTypeName()
    {
        using var client = _h.Connect();

        var reply = client.Execute("qom-get", new JsonObject { ["path"] = "/machine", ["property"] = "type" });

        Assert.That((string?)reply["return"], Is.EqualTo("pc-i440fx-7.2-machine"));
    }
}
