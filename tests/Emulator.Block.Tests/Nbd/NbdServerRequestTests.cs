using System.Buffers.Binary;
using System.Net.Sockets;
using Emulator.Block.Drivers.Nbd;
using Emulator.Block.Nbd;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Nbd;

/// <summary>Malformed requests to our server, sent raw after a normal handshake: the protocol's error, then the connection stays usable or closes as the spec says.</summary>
public class NbdServerRequestTests
{
    private const int ExportSize = 1 << 20;

    private BlockHarness _h = null!;
    private NbdLoopback _loop = null!;
    private Socket _socket = null!;

    [SetUp]
    public void SetUp()
    {
        _h = new BlockHarness();
    }

    [TearDown]
    public void TearDown()
    {
        _socket.Dispose();
        _loop.Dispose();
        _h.Dispose();
    }

    private void Connect(bool writable = true)
    {
        _loop = new NbdLoopback(_h, NbdLoopback.FileNode(_h, ExportSize), writable);
        _socket = NbdServerAddress.Unix(_loop.SocketPath).Connect();
        _socket.ReceiveTimeout = 10_000;
        NbdClientHandshake.Run(_socket, "e", "test");
    }

    private void Send(NbdCommand command, NbdCommandFlags flags, ulong offset, uint length, int payload = 0, uint magic = 0x25609513)
    {
        var bytes = new byte[NbdLimits.RequestHeaderSize + payload];
        new NbdRequestHeader(flags, command, 0x1234, offset, length).Write(bytes);
        BinaryPrimitives.WriteUInt32BigEndian(bytes, magic);
        _socket.Send(bytes);
    }

    /// <summary>The errno of the next reply (0 for success), skipping any data.</summary>
    private NbdErrno Reply()
    {
        var header = new byte[NbdLimits.StructuredReplyHeaderSize];
        Assert.That(NbdWire.ReceiveExactly(_socket, header), Is.True, "the server closed the connection");
        var reply = NbdReplyHeader.Read(header);
        var body = new byte[reply.Length];
        Assert.That(NbdWire.ReceiveExactly(_socket, body), Is.True);
        return reply.IsError ? (NbdErrno)BinaryPrimitives.ReadUInt32BigEndian(body) : NbdErrno.None;
    }

    private bool Closed()
    {
        var one = new byte[1];
        return !NbdWire.ReceiveExactly(_socket, one);
    }

    // The wire enums are internal and NUnit runs only public methods, so the cases pass their numbers.
    [TestCase((ushort)NbdCommand.Read, ExportSize - 512, 1024u, (uint)NbdErrno.Invalid)]
    [TestCase((ushort)NbdCommand.Trim, ExportSize + 4096, 512u, (uint)NbdErrno.Invalid)]
    [TestCase((ushort)NbdCommand.WriteZeroes, ExportSize - 512, 1024u, (uint)NbdErrno.NoSpace)]
    [TestCase((ushort)NbdCommand.BlockStatus, ExportSize, 1u, (uint)NbdErrno.Invalid)]
    [TestCase((ushort)NbdCommand.Cache, ExportSize - 512, 1024u, (uint)NbdErrno.Invalid)]
    public void PastTheEnd_RangeRefused_ConnectionUsable(ushort command, long offset, uint length, uint expected)
    {
        Connect();

        Send((NbdCommand)command, NbdCommandFlags.None, (ulong)offset, length);
        var refused = Reply();
        Send(NbdCommand.Read, NbdCommandFlags.None, 0, 512);

        Assert.That((refused, Reply()), Is.EqualTo(((NbdErrno)expected, NbdErrno.None)));
    }

    [Test]
    public void WritePastTheEnd_PayloadSkipped_NoSpaceAndUsable()
    {
        Connect();

        Send(NbdCommand.Write, NbdCommandFlags.None, ExportSize - 512, 1024, payload: 1024);
        var refused = Reply();
        Send(NbdCommand.Flush, NbdCommandFlags.None, 0, 0);

        Assert.That((refused, Reply()), Is.EqualTo((NbdErrno.NoSpace, NbdErrno.None)));
    }

    [Test]
    public void WriteToReadOnlyExport_Perm()
    {
        Connect(writable: false);

        Send(NbdCommand.Write, NbdCommandFlags.None, 0, 512, payload: 512);

        Assert.That(Reply(), Is.EqualTo(NbdErrno.Perm));
    }

    [TestCase((ushort)99, (ushort)NbdCommandFlags.None)]
    [TestCase((ushort)NbdCommand.Read, (ushort)NbdCommandFlags.Fua)]
    [TestCase((ushort)NbdCommand.Flush, (ushort)NbdCommandFlags.NoHole)]
    public void UnknownCommandOrFlag_Invalid(ushort command, ushort flags)
    {
        Connect();

        Send((NbdCommand)command, (NbdCommandFlags)flags, 0, 0);

        Assert.That(Reply(), Is.EqualTo(NbdErrno.Invalid));
    }

    [Test]
    public void OversizedRead_InvalidAndUsable()
    {
        Connect();

        Send(NbdCommand.Read, NbdCommandFlags.None, 0, (64u << 20) + 1);
        var refused = Reply();
        Send(NbdCommand.Read, NbdCommandFlags.None, 0, 512);

        Assert.That((refused, Reply()), Is.EqualTo((NbdErrno.Invalid, NbdErrno.None)));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Cache_WholeExport_SucceedsAndUsable(bool writable)
    {
        Connect(writable);

        Send(NbdCommand.Cache, NbdCommandFlags.None, 0, ExportSize);
        var cached = Reply();
        Send(NbdCommand.Read, NbdCommandFlags.None, 0, 512);

        Assert.That((cached, Reply()), Is.EqualTo((NbdErrno.None, NbdErrno.None)));
    }

    [Test]
    public void OversizedCache_InvalidAndUsable()
    {
        Connect();

        Send(NbdCommand.Cache, NbdCommandFlags.None, 0, (32u << 20) + 1);
        var refused = Reply();
        Send(NbdCommand.Read, NbdCommandFlags.None, 0, 512);

        Assert.That((refused, Reply()), Is.EqualTo((NbdErrno.Invalid, NbdErrno.None)));
    }

    [Test]
    public void OversizedWrite_InvalidThenClosed()
    {
        Connect();

        Send(NbdCommand.Write, NbdCommandFlags.None, 0, 64u << 20);

        Assert.That((Reply(), Closed()), Is.EqualTo((NbdErrno.Invalid, true)));
    }

    [Test]
    public void BadRequestMagic_ConnectionClosed()
    {
        Connect();

        Send(NbdCommand.Read, NbdCommandFlags.None, 0, 512, magic: 0x12345678);

        Assert.That(Closed(), Is.True);
    }
}
