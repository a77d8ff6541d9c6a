using Emulator.Block.Backend;
using Emulator.Block.Drivers.Nbd;

namespace Emulator.Block.Tests.Nbd;

public class NbdUriTests
{
    [TestCase("nbd://localhost/exp", "localhost", 10809, "exp")]
    [TestCase("nbd://10.0.0.1:10900/", "10.0.0.1", 10900, "")]
    [TestCase("nbd+tcp://host:1234/a%20b", "host", 1234, "a b")]
    [TestCase("nbd://[::1]:2000/x", "::1", 2000, "x")]
    [TestCase("nbd:server:4000", "server", 4000, "")]
    [TestCase("nbd:server:4000:exportname=disk", "server", 4000, "disk")]
    public void Parse_Tcp_HostPortExport(string uri, string host, int port, string export)
    {
        var options = NbdUri.Parse(uri, readOnly: false);

        Assert.That((options.Server.Host, options.Server.Port, options.Server.Path, options.Export), Is.EqualTo((host, port, (string?)null, export)));
    }

    [TestCase("nbd+unix:///exp?socket=/tmp/s.sock", "/tmp/s.sock", "exp")]
    [TestCase("nbd+unix://?socket=/run/x", "/run/x", "")]
    [TestCase("nbd:unix:/tmp/s.sock:exportname=e1", "/tmp/s.sock", "e1")]
    public void Parse_Unix_PathAndExport(string uri, string path, string export)
    {
        var options = NbdUri.Parse(uri, readOnly: true);

        Assert.That((options.Server.Path, options.Export, options.ReadOnly), Is.EqualTo(((string?)path, export, true)));
    }

    [TestCase("nbd+unix:///exp", "socket=PATH")]
    [TestCase("nbd+unix://host/exp?socket=/x", "takes no host")]
    [TestCase("nbd://host:99999/x", "invalid port")]
    [TestCase("nbd://host/x?socket=/y", "unexpected query")]
    [TestCase("nbds://host/x", "TLS")]
    [TestCase("nbd+ssh://host/x", "Unknown NBD URI scheme")]
    [TestCase("nbd:justhost", "nbd:HOST:PORT")]
    public void Parse_Malformed_ClearError(string uri, string message)
    {
        Assert.That(() => NbdUri.Parse(uri, readOnly: false), Throws.TypeOf<BlockOperationException>().With.Message.Contains(message));
    }

    [TestCase("nbd://h/x", true)]
    [TestCase("nbd+unix:///x?socket=/s", true)]
    [TestCase("/images/nbd.img", false)]
    [TestCase("disk.qcow2", false)]
    public void IsNbd_Filename_RecognisesProtocol(string filename, bool expected)
    {
        Assert.That(NbdUri.IsNbd(filename), Is.EqualTo(expected));
    }
}
