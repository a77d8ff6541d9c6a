using System.Text.Json.Nodes;
using Emulator.Block.Drivers.Nbd;
using Emulator.Monitor.Commands;
using Emulator.Monitor.Qmp;

namespace Emulator.Monitor.Tests.Commands;

/// <summary>blockdev-add / -blockdev for driver=nbd: QAPI BlockdevOptionsNbd into typed options, QEMU's errors for bad members.</summary>
public class BlockdevNbdOptionsTests
{
    private static NbdNodeOptions Parse(string json) => (NbdNodeOptions)new BlockdevOptionsParser().Parse(JsonNode.Parse(json)!.AsObject());

    [Test]
    public void Inet_HostPortExportReconnectDelay()
    {
        var options = Parse("""{"driver":"nbd","node-name":"n0","server":{"type":"inet","host":"storage1","port":"10900"},"export":"disk","reconnect-delay":5,"read-only":true}""");

        Assert.That(
            (options.Server.Host, options.Server.Port, options.Export, options.ReconnectDelaySeconds, options.ReadOnly, options.NodeName),
            Is.EqualTo(("storage1", 10900, "disk", 5, true, "n0")));
    }

    [Test]
    public void Unix_Path_DefaultExport()
    {
        var options = Parse("""{"driver":"nbd","server":{"type":"unix","path":"/run/nbd.sock"}}""");

        Assert.That((options.Server.Path, options.Export), Is.EqualTo(("/run/nbd.sock", string.Empty)));
    }

    [TestCase("""{"driver":"nbd"}""", "Parameter 'server' is missing")]
    [TestCase("""{"driver":"nbd","server":{"type":"vsock","cid":"3"}}""", "Parameter 'type' does not accept value 'vsock'")]
    [TestCase("""{"driver":"nbd","server":{"type":"inet","host":"h","port":"http"}}""", "Parameter 'port' does not accept value 'http'")]
    [TestCase("""{"driver":"nbd","server":{"type":"unix","path":"/s"},"bogus":1}""", "Parameter 'bogus' is unexpected")]
    public void Malformed_QemuError(string json, string message)
    {
        Assert.That(() => Parse(json), Throws.TypeOf<QmpException>().With.Message.Contains(message));
    }

    [Test]
    public void TlsCreds_ParsedForTheDriverToRefuse()
    {
        var options = Parse("""{"driver":"nbd","server":{"type":"unix","path":"/s"},"tls-creds":"tls0"}""");

        Assert.That(options.TlsCreds, Is.EqualTo("tls0"));
    }
}
