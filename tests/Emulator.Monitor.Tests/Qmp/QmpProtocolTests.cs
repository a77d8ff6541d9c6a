using System.Text;
using System.Text.Json.Nodes;
using Emulator.Monitor.Tests.Support;

namespace Emulator.Monitor.Tests.Qmp;

public class QmpProtocolTests
{
    private MonitorHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new MonitorHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    private static string? ErrorClass(JsonObject reply) => (string?)reply["error"]?["class"];

    private static string? ErrorDesc(JsonObject reply) => (string?)reply["error"]?["desc"];

    [Test]
    public void Greeting_AnnouncesVersionAndCapabilities()
    {
        using var client = _h.Connect(negotiate: false);

        Assert.Multiple(() =>
        {
            Assert.That((int?)client.Greeting["QMP"]?["version"]?["qemu"]?["major"], Is.EqualTo(7));
            Assert.That(client.Greeting["QMP"]?["capabilities"], Is.InstanceOf<JsonArray>());
        });
    }

    [Test]
    public void Command_BeforeNegotiation_CommandNotFound()
    {
        using var client = _h.Connect(negotiate: false);

        var reply = client.Execute("query-status");

        Assert.Multiple(() =>
        {
            Assert.That(ErrorClass(reply), Is.EqualTo("CommandNotFound"));
            Assert.That(ErrorDesc(reply), Is.EqualTo("Expecting capabilities negotiation with 'qmp_capabilities'"));
        });
    }

    [Test]
    public void Negotiation_Twice_RefusedAsAlreadyComplete()
    {
        using var client = _h.Connect();

        var reply = client.Execute("qmp_capabilities");

        Assert.That(ErrorDesc(reply), Is.EqualTo("Capabilities negotiation is already complete, command ignored"));
    }

    [Test]
    public void UnknownCommand_CommandNotFound()
    {
        using var client = _h.Connect();

        var reply = client.Execute("foo");

        Assert.Multiple(() =>
        {
            Assert.That(ErrorClass(reply), Is.EqualTo("CommandNotFound"));
            Assert.That(ErrorDesc(reply), Is.EqualTo("The command foo has not been found"));
        });
    }

    [Test]
    public void MalformedJson_GenericErrorAndSessionContinues()
    {
        using var client = _h.Connect();

        var bad = client.SendRaw("{bad json}");
        var good = client.Execute("query-status");

        Assert.Multiple(() =>
        {
            Assert.That(ErrorClass(bad), Is.EqualTo("GenericError"));
            Assert.That(ErrorDesc(bad), Does.StartWith("JSON parse error"));
            Assert.That(good["return"], Is.Not.Null);
        });
    }

    // Lexical and syntax errors as QEMU's own qmp-test sends them: each gets exactly one error, then the
    // stream is back in step at the next '{' (the reply to the following command is that command's).
    [TestCase(new byte[] { (byte)'{', (byte)']', (byte)'\n' }, TestName = "Malformed_SyntaxError_OneErrorThenRecovered")]
    [TestCase(new byte[] { (byte)'{', 0xFF }, TestName = "Malformed_ImpossibleByte_OneErrorThenRecovered")]
    [TestCase(new byte[] { (byte)'{', 0x01 }, TestName = "Malformed_ControlCharacter_OneErrorThenRecovered")]
    [TestCase(new byte[] { (byte)'{', (byte)'\'', (byte)'b', (byte)'a', (byte)'d', (byte)' ', 0xFF }, TestName = "Malformed_ImpossibleByteInString_OneErrorThenRecovered")]
    [TestCase(new byte[] { (byte)'{', (byte)'\'', (byte)'i', (byte)'d', (byte)'\'', (byte)':', (byte)'\'', (byte)'\n' }, TestName = "Malformed_NewlineInString_OneErrorThenRecovered")]
    [TestCase(new byte[] { (byte)'%', (byte)'%', (byte)'p' }, TestName = "Malformed_Interpolation_OneErrorThenRecovered")]
    public void Malformed_OneGenericError_ThenNextCommandAnswered(byte[] input)
    {
        using var client = _h.Connect();

        var bad = client.SendBytes(input);
        var next = client.Execute("query-status", id: 7);

        Assert.Multiple(() =>
        {
            Assert.That(ErrorClass(bad), Is.EqualTo("GenericError"));
            Assert.That(ErrorDesc(bad), Does.StartWith("JSON parse error"));
            Assert.That((int?)next["id"], Is.EqualTo(7), "the reply to the next command is its own");
            Assert.That(next["return"], Is.Not.Null);
        });
    }

    [Test]
    public void SingleQuotesEscapesAndSplitWrites_ParsedAsQemuDoes()
    {
        using var client = _h.Connect();
        var text = Encoding.UTF8.GetBytes("{'execute': 'query-status', 'id': 'it\\'s \\u00e9 \"q\" \\ud83d\\ude00'}");

        // Byte by byte, as a slow client might send it.
        foreach (var b in text[..^1])
        {
            client.SendBytesOnly([b]);
        }

        var reply = client.SendBytes(text[^1..]);

        Assert.That((string?)reply["id"], Is.EqualTo("it's \u00e9 \"q\" \U0001F600"));
    }

    [TestCase("{'execute': 'query-status', 'id': 18446744073709551615}", "18446744073709551615")]
    [TestCase("{'execute': 'query-status', 'id': -9223372036854775808}", "-9223372036854775808")]
    [TestCase("{'execute': 'query-status', 'id': 1.5e3}", "1500")]
    public void Numbers_SignedUnsignedAndFloat_EchoedInId(string input, string id)
    {
        using var client = _h.Connect();

        var reply = client.SendRaw(input);

        Assert.That(reply["id"]!.ToJsonString(), Is.EqualTo(id));
    }

    [TestCase("{'execute': 'query-status', 'execute': 'stop'}", "JSON parse error, duplicate key")]
    [TestCase("{'execute': 'query-status', 'id': nul}", "JSON parse error, invalid keyword 'nul'")]
    [TestCase("{'execute': 'query-status', 'id': '\\x'}", "JSON parse error, invalid escape sequence in string")]
    [TestCase("{'execute': 'query-status', 'id': '\\u0000'}", "JSON parse error, \\u0000 is not a valid Unicode character")]
    public void Malformed_ParseErrorWithQemuWording(string input, string desc)
    {
        using var client = _h.Connect();

        var reply = client.SendRaw(input);

        Assert.That(ErrorDesc(reply), Is.EqualTo(desc));
    }

    [TestCase("[1]", "QMP input must be a JSON object")]
    [TestCase("{\"foo\": 1}", "QMP input member 'foo' is unexpected")]
    [TestCase("{\"id\": 1}", "QMP input lacks member 'execute'")]
    [TestCase("{\"execute\": 5}", "QMP input member 'execute' must be a string")]
    [TestCase("{\"execute\": \"query-status\", \"arguments\": []}", "QMP input member 'arguments' must be an object")]
    public void BadInput_GenericErrorWithQemuMessage(string input, string desc)
    {
        using var client = _h.Connect();

        var reply = client.SendRaw(input);

        Assert.That(ErrorDesc(reply), Is.EqualTo(desc));
    }

    [Test]
    public void Arguments_Missing_Mistyped_Unexpected_Refused()
    {
        using var client = _h.Connect();
        _h.AddCd();

        var missing = client.Execute("blockdev-remove-medium");
        var mistyped = client.Execute("eject", new JsonObject { ["device"] = 5 });
        var unexpected = client.Execute("query-block", new JsonObject { ["x"] = 1 });

        Assert.Multiple(() =>
        {
            Assert.That(ErrorDesc(missing), Is.EqualTo("Parameter 'id' is missing"));
            Assert.That(ErrorDesc(mistyped), Is.EqualTo("Invalid parameter type for 'device', expected: string"));
            Assert.That(ErrorDesc(unexpected), Is.EqualTo("Parameter 'x' is unexpected"));
        });
    }

    [Test]
    public void Id_EchoedOnReturnAndError()
    {
        using var client = _h.Connect();

        var ok = client.Execute("query-status", id: new JsonObject { ["a"] = new JsonArray(1) });
        var failed = client.Execute("nope", id: "x7");

        Assert.Multiple(() =>
        {
            Assert.That(ok["id"]?.ToJsonString(), Is.EqualTo("{\"a\":[1]}"));
            Assert.That((string?)failed["id"], Is.EqualTo("x7"));
        });
    }

    [Test]
    public void SeveralValuesOnOneLine_EachAnswered()
    {
        using var client = _h.Connect();

        var first = client.SendRaw("{\"execute\":\"query-status\",\"id\":1} {\"execute\":\"query-version\",\"id\":2}");
        var second = client.SendRaw("{\"execute\":\"query-status\",\"id\":3}");

        Assert.Multiple(() =>
        {
            Assert.That((int?)first["id"], Is.EqualTo(1));
            Assert.That((int?)second["id"], Is.EqualTo(2), "the second value of the first line is answered next");
        });
    }

    [Test]
    public void QueryCommands_ListsBlockCommands()
    {
        using var client = _h.Connect();

        var names = client.Execute("query-commands")["return"]!.AsArray().Select(c => (string?)c!["name"]).ToList();

        Assert.That(names, Is.SupersetOf(new[] { "qmp_capabilities", "query-block", "blockdev-add", "eject", "block_resize", "cont" }));
    }

    [Test]
    public void StopCont_StatusAndEvents()
    {
        using var client = _h.Connect();

        client.Execute("stop");
        var paused = client.Execute("query-status")["return"]!;
        client.Execute("cont");
        var running = client.Execute("query-status")["return"]!;

        Assert.Multiple(() =>
        {
            Assert.That((string?)paused["status"], Is.EqualTo("paused"));
            Assert.That((bool?)paused["running"], Is.False);
            Assert.That((string?)running["status"], Is.EqualTo("running"));
            Assert.That(client.WaitForEvent("STOP")["timestamp"]?["seconds"], Is.Not.Null);
            Assert.That(client.WaitForEvent("RESUME"), Is.Not.Null);
        });
    }

    [Test]
    public void Quit_ShutdownEventBeforeReturn()
    {
        using var client = _h.Connect();

        var reply = client.Execute("quit");

        Assert.Multiple(() =>
        {
            Assert.That(reply["return"], Is.Not.Null);
            Assert.That(client.Events.Select(e => (string?)e["event"]), Is.EqualTo(new[] { "SHUTDOWN" }));
            Assert.That(_h.Machine.QuitRequested, Is.True);
        });
    }

    [Test]
    public void SeveralClients_OwnNegotiation_EventsOnlyToNegotiated()
    {
        using var a = _h.Connect();
        using var b = _h.Connect(negotiate: false);
        using var c = _h.Connect();

        a.Execute("system_reset");
        var bBefore = b.Execute("query-status");
        b.Execute("qmp_capabilities");
        a.Execute("stop");

        Assert.Multiple(() =>
        {
            Assert.That(ErrorClass(bBefore), Is.EqualTo("CommandNotFound"));
            Assert.That(c.WaitForEvent("RESET")["data"]?["reason"]?.GetValue<string>(), Is.EqualTo("host-qmp-system-reset"));
            Assert.That(b.WaitForEvent("STOP"), Is.Not.Null);
            Assert.That(b.Events.Any(e => (string?)e["event"] == "RESET"), Is.False, "RESET came before b negotiated");
        });
    }

    [Test]
    public void ClientDisconnectsMidCommand_ServerKeepsServingOthers()
    {
        using (var rude = _h.Connect())
        {
            rude.SendRaw("{\"execute\":\"query-status\"}");
        }

        using var polite = _h.Connect();

        Assert.That(polite.Execute("query-status")["return"], Is.Not.Null);
    }
}
