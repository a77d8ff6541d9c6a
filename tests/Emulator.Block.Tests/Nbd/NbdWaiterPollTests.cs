using System.Buffers.Binary;
using System.Net.Sockets;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.Nbd;
using Emulator.Block.Drivers.NullCo;
using Emulator.Block.Nbd;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Nbd;

/// <summary>
/// The thread that waits for completions (<see cref="BlockCompletionQueue.WaitForPending"/>, as tools and
/// drains do) reads the client's replies itself instead of the connection's receive thread: data, order
/// of roles and the protocol checks must be the same on that path.
/// </summary>
public class NbdWaiterPollTests
{
    private const int Depth = 16;
    private const int Rounds = 40;

    private BlockHarness _h = null!;
    private string _path = null!;

    [SetUp]
    public void SetUp()
    {
        _h = new BlockHarness();
        _path = Path.Combine(_h.TempDir, "fake.sock");
    }

    [TearDown]
    public void TearDown() => _h.Dispose();

    [Test]
    public void ManyReadsInFlight_LoopWaits_WaiterReadsRepliesWithTheRightData()
    {
        using var loop = new NbdLoopback(_h, NbdLoopback.FileNode(_h, 1 << 20));
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "hd0" }, new NbdNodeOptions(NbdServerAddress.Unix(loop.SocketPath)) { Export = "e" });
        var device = TestDevice.HardDisk();
        backend.AttachDevice(device, "disk0", "/machine/peripheral/disk0");
        var buffers = Enumerable.Range(0, Depth * Rounds).Select(_ => new byte[4096]).ToArray();

        // Rounds of a full queue, as a tool keeps it: each round's replies come while the loop waits.
        for (var round = 0; round < Rounds; round++)
        {
            for (var i = round * Depth; i < (round + 1) * Depth; i++)
            {
                var request = new BlockRequest(device);
                request.PrepareRead((buffers.Length - 1 - i) * 4096L % (1 << 20), buffers[i]);
                backend.Submit(request);
            }

            _h.RunLoopUntil(() => device.Completions.Count == (round + 1) * Depth);
        }

        var driver = (NbdDriver)backend.Root!.Driver;
        Assert.Multiple(() =>
        {
            Assert.That(device.Completions.Select(c => c.Error), Is.All.EqualTo(BlockError.None));
            for (var i = 0; i < buffers.Length; i++)
            {
                Assert.That(buffers[i][100], Is.EqualTo(BlockHarness.Pattern(((buffers.Length - 1 - i) * 4096L % (1 << 20)) + 100)), $"request {i}");
            }

            Assert.That(driver.RepliesReadByWaiters, Is.GreaterThan(0), "the waiting thread read no reply itself");
        });
    }

    [Test]
    public void ReadsThroughWaiter_AfterWarmUp_AllocateNothingOnTheWaitingThread()
    {
        using var loop = new NbdLoopback(_h, NbdLoopback.FileNode(_h, 1 << 20));
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "hd0" }, new NbdNodeOptions(NbdServerAddress.Unix(loop.SocketPath)) { Export = "e" });
        var counter = new CompletionCounter();
        var requests = Enumerable.Range(0, Depth).Select(_ => new BlockRequest(counter)).ToArray();
        var buffers = Enumerable.Range(0, Depth).Select(_ => new byte[4096]).ToArray();
        void Round()
        {
            for (var i = 0; i < Depth; i++)
            {
                requests[i].PrepareRead(i * 4096L, buffers[i]);
                backend.Submit(requests[i]);
            }

            var target = counter.Done + Depth;
            var deadline = Environment.TickCount64 + 10_000;
            while (counter.Done < target && Environment.TickCount64 < deadline)
            {
                if (_h.Layer.Completions.RunPending() == 0)
                {
                    _h.Layer.Completions.WaitForPending(TimeSpan.FromMilliseconds(20));
                }
            }
        }

        for (var round = 0; round < Rounds; round++)
        {
            Round();
        }

        var waiterReadsBefore = ((NbdDriver)backend.Root!.Driver).RepliesReadByWaiters;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var round = 0; round < Rounds; round++)
        {
            Round();
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Multiple(() =>
        {
            Assert.That(counter.Done, Is.EqualTo(2 * Rounds * Depth));
            Assert.That(allocated, Is.Zero);
            Assert.That(((NbdDriver)backend.Root!.Driver).RepliesReadByWaiters, Is.GreaterThan(waiterReadsBefore), "the waiting thread read no reply itself");
        });
    }

    [Test]
    public void SynchronousReadInCompletionHandler_BatchPlugged_CompletesWithItsData()
    {
        using var loop = new NbdLoopback(_h, NbdLoopback.FileNode(_h, 1 << 20));
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "hd0" }, new NbdNodeOptions(NbdServerAddress.Unix(loop.SocketPath)) { Export = "e" });
        var handler = new ReadingHandler(backend);
        var requests = Enumerable.Range(0, Depth).Select(_ => new BlockRequest(handler)).ToArray();

        // Each completion submits a request (held in the plugged batch) and then reads synchronously.
        for (var round = 0; round < 4; round++)
        {
            foreach (var request in requests)
            {
                request.PrepareRead(0, new byte[4096]);
                backend.Submit(request);
            }

            _h.RunLoopUntil(() => handler.Done == (round + 1) * Depth);
        }

        Assert.That(handler.Errors, Is.Empty);
    }

    /// <summary>The bad answer to a read, by name.</summary>
    private static bool Garbage(string kind, Socket s, NbdRequestHeader r)
    {
        switch (kind)
        {
            case "magic":
                s.Send(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 });
                return true;
            case "cookie":
                s.Send(Structured(NbdReplyFlags.Done, NbdReplyType.None, r.Cookie ^ 0x5555_0000_0000, 0));
                return true;
            case "oversized":
                s.Send(Structured(NbdReplyFlags.Done, NbdReplyType.OffsetData, r.Cookie, 64u << 20));
                return true;
            default:
                var chunk = Structured(NbdReplyFlags.Done, NbdReplyType.OffsetData, r.Cookie, 4096 + 8, 8 + 100);
                BinaryPrimitives.WriteUInt64BigEndian(chunk.AsSpan(NbdLimits.StructuredReplyHeaderSize), r.Offset);
                s.Send(chunk);
                return false;
        }
    }

    [TestCase("magic", "bad reply magic 0xdeadbeef")]
    [TestCase("cookie", "unknown cookie")]
    [TestCase("oversized", "data chunk of 67108864 bytes for a read of 4096")]
    [TestCase("truncated", "connection closed in the middle of a data chunk")]
    public void Garbage_AfterGoodReplies_ReadFailsWithTheReason(string kind, string reason)
    {
        // Writes are answered properly (so the waiter has taken the socket over), the read with garbage.
        var backing = _h.Layer.Graph.Open(new NullNodeOptions { Size = 1 << 20 });
        using var server = new FakeNbdServer(_path, backing, (s, r) =>
            r.Command == NbdCommand.Write ? s.Send(Structured(NbdReplyFlags.Done, NbdReplyType.None, r.Cookie, 0)) > 0 : Garbage(kind, s, r));
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "hd0" }, new NbdNodeOptions(NbdServerAddress.Unix(_path)) { Export = "e" });
        var device = TestDevice.HardDisk();
        backend.AttachDevice(device, "disk0", "/machine/peripheral/disk0");
        for (var i = 1; i <= 5; i++)
        {
            var write = new BlockRequest(device);
            write.PrepareWrite(0, new byte[4096]);
            backend.Submit(write);
            _h.RunLoopUntil(() => device.Completions.Count == i);
        }

        var read = new BlockRequest(device);
        read.PrepareRead(0, new byte[4096]);
        backend.Submit(read);
        _h.RunLoopUntil(() => device.Completions.Count == 6);

        var driver = (NbdDriver)backend.Root!.Driver;
        Assert.Multiple(() =>
        {
            Assert.That(device.Completions.Take(5).Select(c => c.Error), Is.All.EqualTo(BlockError.None));
            Assert.That(device.Completions[5].Error, Is.EqualTo(BlockError.Io));
            Assert.That(driver.LastConnectionLoss, Does.Contain(reason));
        });
    }

    private sealed class ReadingHandler(BlockBackend backend) : IBlockCompletionHandler
    {
        private readonly byte[] _buffer = new byte[4096];

        public int Done { get; private set; }

        public List<string> Errors { get; } = [];

        public void OnBlockRequestCompleted(BlockRequest request)
        {
            Done++;
            var error = backend.Read(8192, _buffer);
            if (error != BlockError.None || _buffer[100] != BlockHarness.Pattern(8192 + 100))
            {
                Errors.Add($"completion {Done}: {error}");
            }
        }
    }

    private sealed class CompletionCounter : IBlockCompletionHandler
    {
        public int Done { get; private set; }

        public void OnBlockRequestCompleted(BlockRequest request) => Done++;
    }

    private static byte[] Structured(NbdReplyFlags flags, NbdReplyType type, ulong cookie, uint length, int bodyBytes = 0)
    {
        var bytes = new byte[NbdLimits.StructuredReplyHeaderSize + bodyBytes];
        NbdReplyHeader.WriteStructured(bytes, flags, type, cookie, length);
        return bytes;
    }
}
