using System.Buffers.Binary;
using System.Net.Sockets;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.Nbd;
using Emulator.Block.Drivers.NullCo;
using Emulator.Block.Graph;
using Emulator.Block.Nbd;
using Emulator.Block.Nbd.Server;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Nbd;

/// <summary>A server that breaks the protocol or drops the connection: the client fails the requests with a clear reason, never crashes or hangs.</summary>
public class NbdClientFaultTests
{
    private BlockHarness _h = null!;
    private string _path = null!;
    private BlockDriverState _backing = null!;

    [SetUp]
    public void SetUp()
    {
        _h = new BlockHarness();
        _path = Path.Combine(_h.TempDir, "fake.sock");
        _backing = _h.Layer.Graph.Open(new NullNodeOptions { Size = 1 << 20 });
    }

    [TearDown]
    public void TearDown() => _h.Dispose();

    private static byte[] Structured(NbdReplyFlags flags, NbdReplyType type, ulong cookie, uint length, int bodyBytes = 0)
    {
        var bytes = new byte[NbdLimits.StructuredReplyHeaderSize + bodyBytes];
        NbdReplyHeader.WriteStructured(bytes, flags, type, cookie, length);
        return bytes;
    }

    private NbdDriver Open(int reconnectDelay = 0) =>
        (NbdDriver)_h.Layer.Graph.Open(new NbdNodeOptions(NbdServerAddress.Unix(_path)) { Export = "e", ReconnectDelaySeconds = reconnectDelay }).Driver;

    private static (BlockError Error, string? Reason) ReadOnce(NbdDriver driver)
    {
        var error = NbdLoopback.Wait(driver.ReadAsync(0, new byte[4096]));
        return (error, driver.LastConnectionLoss);
    }

    [Test]
    public void WrongReplyMagic_Read_FailsAndNamesIt()
    {
        using var server = new FakeNbdServer(_path, _backing, (s, r) =>
        {
            s.Send(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 });
            return true;
        });
        var driver = Open();

        var (error, reason) = ReadOnce(driver);

        Assert.That(error, Is.EqualTo(BlockError.Io));
        Assert.That(reason, Does.Contain("bad reply magic 0xdeadbeef"));
    }

    [Test]
    public void UnknownCookie_Read_FailsAndNamesIt()
    {
        using var server = new FakeNbdServer(_path, _backing, (s, r) =>
        {
            s.Send(Structured(NbdReplyFlags.Done, NbdReplyType.None, r.Cookie ^ 0x5555_0000_0000, 0));
            return true;
        });
        var driver = Open();

        var (error, reason) = ReadOnce(driver);

        Assert.That(error, Is.EqualTo(BlockError.Io));
        Assert.That(reason, Does.Contain("unknown cookie"));
    }

    [Test]
    public void OversizedDataChunk_Read_FailsWithoutReadingIt()
    {
        using var server = new FakeNbdServer(_path, _backing, (s, r) =>
        {
            s.Send(Structured(NbdReplyFlags.Done, NbdReplyType.OffsetData, r.Cookie, 64u << 20));
            return true;
        });
        var driver = Open();

        var (error, reason) = ReadOnce(driver);

        Assert.That(error, Is.EqualTo(BlockError.Io));
        Assert.That(reason, Does.Contain("data chunk of 67108864 bytes for a read of 4096"));
    }

    [Test]
    public void TruncatedChunk_ServerHangsUp_FailsAndNamesIt()
    {
        using var server = new FakeNbdServer(_path, _backing, (s, r) =>
        {
            var chunk = Structured(NbdReplyFlags.Done, NbdReplyType.OffsetData, r.Cookie, 4096 + 8, 8 + 100);
            BinaryPrimitives.WriteUInt64BigEndian(chunk.AsSpan(NbdLimits.StructuredReplyHeaderSize), r.Offset);
            s.Send(chunk);
            return false;
        });
        var driver = Open();

        var (error, reason) = ReadOnce(driver);

        Assert.That(error, Is.EqualTo(BlockError.Io));
        Assert.That(reason, Does.Contain("connection closed in the middle of a data chunk"));
    }

    [Test]
    public void ShortRead_DoneBeforeAllData_Fails()
    {
        using var server = new FakeNbdServer(_path, _backing, (s, r) =>
        {
            var chunk = Structured(NbdReplyFlags.Done, NbdReplyType.OffsetHole, r.Cookie, 12, 12);
            BinaryPrimitives.WriteUInt64BigEndian(chunk.AsSpan(NbdLimits.StructuredReplyHeaderSize), r.Offset);
            BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(NbdLimits.StructuredReplyHeaderSize + 8), 512);
            s.Send(chunk);
            return true;
        });
        var driver = Open();

        var (error, reason) = ReadOnce(driver);

        Assert.That(error, Is.EqualTo(BlockError.Io));
        Assert.That(reason, Does.Contain("ended after 512 of 4096 bytes"));
    }

    [Test]
    public void ErrorChunk_Read_MappedErrorAndConnectionStaysUp()
    {
        var first = true;
        using var server = new FakeNbdServer(_path, _backing, (s, r) =>
        {
            if (first)
            {
                first = false;
                var chunk = Structured(NbdReplyFlags.Done, NbdReplyType.Error, r.Cookie, 6 + 4, 6 + 4);
                BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(20), (uint)NbdErrno.NoSpace);
                BinaryPrimitives.WriteUInt16BigEndian(chunk.AsSpan(24), 4);
                "full"u8.CopyTo(chunk.AsSpan(26));
                s.Send(chunk);
                return true;
            }

            var hole = Structured(NbdReplyFlags.Done, NbdReplyType.OffsetHole, r.Cookie, 12, 12);
            BinaryPrimitives.WriteUInt64BigEndian(hole.AsSpan(20), r.Offset);
            BinaryPrimitives.WriteUInt32BigEndian(hole.AsSpan(28), r.Length);
            s.Send(hole);
            return true;
        });
        var driver = Open();

        var failed = ReadOnce(driver);
        var second = ReadOnce(driver);

        Assert.That((failed.Error, second.Error, driver.IsConnected), Is.EqualTo((BlockError.NoSpace, BlockError.None, true)));
    }

    [Test]
    public void DroppedConnection_InFlightWrite_StopPolicyParksIt()
    {
        using var server = new FakeNbdServer(_path, _backing, (_, _) => true);
        var backend = _h.Layer.CreateBackend(
            new BlockBackendOptions { Name = "hd0", WriteErrorPolicy = BlockErrorPolicy.Stop },
            new NbdNodeOptions(NbdServerAddress.Unix(_path)) { Export = "e" });
        var device = TestDevice.HardDisk();
        backend.AttachDevice(device, "disk0", "/machine/peripheral/disk0");
        backend.EnableIoStatus();
        var request = new BlockRequest(device);
        request.PrepareWrite(0, new byte[4096]);

        backend.Submit(request);
        server.Drop();
        _h.RunLoopUntil(() => device.Completions.Count == 1);

        Assert.Multiple(() =>
        {
            Assert.That(device.Completions[0].Error, Is.EqualTo(BlockError.Io));
            Assert.That(device.Completions[0].Action, Is.EqualTo(BlockErrorAction.Stop));
            Assert.That(backend.IoStatus, Is.EqualTo(IoStatus.Failed));
            Assert.That(_h.Machine.StopRequests, Is.EqualTo(1));
        });
    }

    [Test]
    public void DroppedConnection_ServerBack_ReconnectsAndServesWaitingRequest()
    {
        var server = new FakeNbdServer(_path, _backing, (_, _) => true);
        var driver = Open(reconnectDelay: 20);
        var inFlight = driver.ReadAsync(0, new byte[4096]).AsTask();
        server.Drop();
        var dropped = inFlight.Wait(TimeSpan.FromSeconds(10)) ? inFlight.Result : BlockError.None;
        server.Dispose();
        File.Delete(_path);
        using var real = new NbdServer(new UnixDomainSocketEndPoint(_path), new NbdServerOptions { Persistent = true });
        real.AddExport(new NbdExport("e", _backing, writable: true));

        var after = NbdLoopback.Wait(driver.ReadAsync(0, new byte[4096]));

        Assert.That((dropped, after, driver.Connections), Is.EqualTo((BlockError.Io, BlockError.None, 2)));
    }

    [Test]
    public void DroppedConnection_NoReconnectDelay_NewRequestFailsAtOnce()
    {
        using var server = new FakeNbdServer(_path, _backing, (_, _) => true);
        var driver = Open(reconnectDelay: 0);
        var inFlight = driver.ReadAsync(0, new byte[4096]).AsTask();
        server.Drop();
        inFlight.Wait(TimeSpan.FromSeconds(10));

        var started = Environment.TickCount64;
        var error = NbdLoopback.Wait(driver.ReadAsync(0, new byte[4096]));

        Assert.That(error, Is.EqualTo(BlockError.Io));
        Assert.That(Environment.TickCount64 - started, Is.LessThan(2000));
    }
}
