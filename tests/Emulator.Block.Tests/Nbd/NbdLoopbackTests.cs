using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Nbd;
using Emulator.Block.Drivers.NullCo;
using Emulator.Block.Drivers.Qcow2;
using Emulator.Block.Graph;
using Emulator.Block.Nbd;
using Emulator.Block.Nbd.Server;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Nbd;

/// <summary>Our client against our server, in process: every operation, many requests in flight, block status, read-only, limits.</summary>
public class NbdLoopbackTests
{
    private BlockHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new BlockHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    [Test]
    public void Open_Export_SizeAndFlagsFromGo()
    {
        using var loop = new NbdLoopback(_h, NbdLoopback.FileNode(_h, 1 << 20));

        var node = loop.OpenClient();
        var info = ((NbdDriver)node.Driver).Info;

        Assert.Multiple(() =>
        {
            Assert.That(node.Length, Is.EqualTo(1 << 20));
            Assert.That(info.NegotiatedWithGo && info.StructuredReplies && info.AllocationContext is not null, Is.True);
            Assert.That(info.Has(NbdTransmissionFlags.SendFlush | NbdTransmissionFlags.SendTrim | NbdTransmissionFlags.SendWriteZeroes | NbdTransmissionFlags.SendFua | NbdTransmissionFlags.SendCache), Is.True);
            Assert.That(info.Has(NbdTransmissionFlags.CanMultiConn), Is.False, "MultiConn was not asked for");
            Assert.That(node.Driver.Filename, Is.EqualTo(loop.Uri()));
        });
    }

    [Test]
    public void Read_WholeImage_MatchesPattern()
    {
        using var loop = new NbdLoopback(_h, NbdLoopback.FileNode(_h, 256 * 1024));
        var node = loop.OpenClient();
        var buffer = new byte[256 * 1024];

        var error = NbdLoopback.Wait(node.ReadAsync(0, buffer));

        Assert.That(error, Is.EqualTo(BlockError.None));
        Assert.That(buffer.Select((b, i) => b == BlockHarness.Pattern(i)).All(x => x), Is.True);
    }

    [Test]
    public void WriteFuaThenRead_ThroughServer_DataOnExportedNode()
    {
        using var loop = new NbdLoopback(_h, NbdLoopback.FileNode(_h, 1 << 20));
        var node = loop.OpenClient();
        var data = Enumerable.Range(0, 8192).Select(i => (byte)(i * 13)).ToArray();

        var write = NbdLoopback.Wait(node.WriteAsync(4096, data, BlockRequestFlags.Fua));
        var back = new byte[8192];
        NbdLoopback.Wait(loop.Exported.ReadAsync(4096, back));

        Assert.That(write, Is.EqualTo(BlockError.None));
        Assert.That(back, Is.EqualTo(data));
    }

    [Test]
    public void WriteZeroesFlushDiscard_ThroughServer_Succeed()
    {
        using var loop = new NbdLoopback(_h, NbdLoopback.FileNode(_h, 1 << 20));
        var node = loop.OpenClient();

        var zero = NbdLoopback.Wait(node.WriteZeroesAsync(65536, 65536, BlockRequestFlags.None));
        var flush = NbdLoopback.Wait(node.FlushAsync());
        var discard = NbdLoopback.Wait(node.DiscardAsync(0, 4096));
        var back = new byte[65536];
        NbdLoopback.Wait(loop.Exported.ReadAsync(65536, back));

        Assert.That((zero, flush, discard), Is.EqualTo((BlockError.None, BlockError.None, BlockError.None)));
        Assert.That(back, Is.All.Zero);
    }

    [Test]
    public void ManyReadsInFlight_OneConnection_EachGetsItsOwnData()
    {
        using var loop = new NbdLoopback(_h, NbdLoopback.FileNode(_h, 1 << 20));
        var node = loop.OpenClient();
        var buffers = Enumerable.Range(0, 64).Select(_ => new byte[4096]).ToArray();

        var tasks = buffers.Select((b, i) => node.ReadAsync((63 - i) * 4096L, b).AsTask()).ToArray();
        Task.WaitAll(tasks, TimeSpan.FromSeconds(20));

        Assert.That(tasks.Select(t => t.Result), Is.All.EqualTo(BlockError.None));
        for (var i = 0; i < buffers.Length; i++)
        {
            Assert.That(buffers[i][100], Is.EqualTo(BlockHarness.Pattern(((63 - i) * 4096L) + 100)), $"request {i}");
        }
    }

    [Test]
    public void ReadOnlyExport_OpenWritable_RefusedLikeQemu()
    {
        using var loop = new NbdLoopback(_h, NbdLoopback.FileNode(_h, 1 << 20), writable: false);

        Assert.That(() => loop.OpenClient(readOnly: false), Throws.TypeOf<BlockOperationException>().With.Message.Contains("NBD export is read-only"));
    }

    [Test]
    public void ReadOnlyExport_OpenReadOnly_ReadsAndRefusesWrites()
    {
        using var loop = new NbdLoopback(_h, NbdLoopback.FileNode(_h, 1 << 20), writable: false);
        var node = loop.OpenClient(readOnly: true);

        var read = NbdLoopback.Wait(node.ReadAsync(0, new byte[512]));
        var write = NbdLoopback.Wait(node.Driver.WriteAsync(0, new byte[512], BlockRequestFlags.None));

        Assert.That((read, write), Is.EqualTo((BlockError.None, BlockError.ReadOnly)));
    }

    [Test]
    public void SnapshotOn_OverReadOnlyExport_WritesStayInTheTemporaryOverlay()
    {
        var image = _h.CreateImage(1 << 20, "exported.img");
        var before = File.ReadAllBytes(image);
        var data = Enumerable.Repeat((byte)0x77, 4096).ToArray();
        var back = new byte[8192];
        BlockError written, read;
        var exported = _h.Layer.Graph.Open(new FileNodeOptions(image) { ReadOnly = true });
        using (var loop = new NbdLoopback(_h, exported, writable: false))
        {
            var backend = _h.Layer.OpenImageSnapshot(new BlockBackendOptions(), loop.Uri(), "raw");
            written = NbdLoopback.Wait(backend.Root!.WriteAsync(65536, data, BlockRequestFlags.None));
            read = NbdLoopback.Wait(backend.Root!.ReadAsync(65536 - 4096, back));
            backend.Unref();
        }

        _h.Layer.Graph.Unref(exported);
        Assert.Multiple(() =>
        {
            Assert.That((written, read), Is.EqualTo((BlockError.None, BlockError.None)));
            Assert.That(back[..4096], Is.EqualTo(before[(65536 - 4096)..65536]), "the export's data below the write");
            Assert.That(back[4096..], Is.EqualTo(data), "the write, from the overlay");
            Assert.That(File.ReadAllBytes(image), Is.EqualTo(before), "the exported image is untouched");
        });
    }

    [Test]
    public void UnknownExport_Open_ClearError()
    {
        using var loop = new NbdLoopback(_h, NbdLoopback.FileNode(_h, 1 << 20));

        Assert.That(() => loop.OpenClient(export: "nope"), Throws.TypeOf<BlockOperationException>().With.Message.Contains("export 'nope' not known"));
    }

    [Test]
    public void TlsCreds_Open_RefusedWithClearMessage()
    {
        using var loop = new NbdLoopback(_h, NbdLoopback.FileNode(_h, 1 << 20));

        Assert.That(
            () => _h.Layer.Graph.Open(new NbdNodeOptions(NbdServerAddress.Unix(loop.SocketPath)) { TlsCreds = "tls0" }),
            Throws.TypeOf<BlockOperationException>().With.Message.Contains("tls-creds is not supported"));
    }

    [Test]
    public void NoServer_Open_FailsToConnect()
    {
        Assert.That(
            () => _h.Layer.Graph.Open(new NbdNodeOptions(NbdServerAddress.Unix(Path.Combine(_h.TempDir, "none.sock")))),
            Throws.TypeOf<BlockOperationException>().With.Message.StartsWith("Failed to connect to 'unix:"));
    }

    [Test]
    public void BlockStatus_Qcow2Export_HolesZeroesAndData()
    {
        var image = Path.Combine(_h.TempDir, "s.qcow2");
        Qcow2Creator.Create(image, new Qcow2CreateOptions { Size = 4 << 20 });
        var exported = _h.Layer.Graph.Open(new Qcow2NodeOptions(BlockChildOptions.Of(new Emulator.Block.Drivers.File.FileNodeOptions(image))));
        NbdLoopback.Wait(exported.WriteAsync(1 << 20, new byte[65536].Select(_ => (byte)1).ToArray(), BlockRequestFlags.None));
        using var loop = new NbdLoopback(_h, exported);
        var node = loop.OpenClient(readOnly: true);

        var holeError = node.Driver.GetBlockStatus(0, 4 << 20, out var hole);
        var dataError = node.Driver.GetBlockStatus(1 << 20, 4 << 20, out var data);

        Assert.That((holeError, hole.Flags & ~BlockStatusFlags.OffsetValid, hole.Length), Is.EqualTo((BlockError.None, BlockStatusFlags.Zero, 1L << 20)), "sixteen unallocated clusters in one extent");
        Assert.That((dataError, data.Flags & ~BlockStatusFlags.OffsetValid, data.Length), Is.EqualTo((BlockError.None, BlockStatusFlags.Data | BlockStatusFlags.Allocated, 65536L)));
    }

    /// <summary>
    /// NBD_FLAG_CAN_MULTI_CONN promises that a FLUSH on one connection covers writes completed on the others
    /// (the Linux kernel's <c>nbd-client -C 2</c> sends its flush on whichever socket the flushing CPU maps to).
    /// The qcow2 node keeps new L2 entries in its cache until a flush, so the image read by a second opener
    /// only holds the write after the flush that came over the other connection.
    /// </summary>
    [Test]
    public void Flush_MultiConnQcow2Export_CoversWriteCompletedOnOtherConnection()
    {
        var image = Path.Combine(_h.TempDir, "multi.qcow2");
        Qcow2Creator.Create(image, new Qcow2CreateOptions { Size = 4 << 20 });
        var exported = _h.Layer.Graph.Open(new Qcow2NodeOptions(BlockChildOptions.Of(new FileNodeOptions(image) { Locking = FileLockMode.Off })));
        using var loop = new NbdLoopback(_h, exported, multiConn: true);
        var writer = loop.OpenClient();
        var flusher = loop.OpenClient();
        var data = Enumerable.Range(0, 65536).Select(i => (byte)((i * 11) + 3)).ToArray();

        var write = NbdLoopback.Wait(writer.WriteAsync(1 << 20, data, BlockRequestFlags.None));
        var beforeFlush = ReadImageAsAnotherOpener(image, 1 << 20, data.Length);
        var flush = NbdLoopback.Wait(flusher.FlushAsync());
        var afterFlush = ReadImageAsAnotherOpener(image, 1 << 20, data.Length);

        Assert.Multiple(() =>
        {
            Assert.That(((NbdDriver)flusher.Driver).Info.Has(NbdTransmissionFlags.CanMultiConn), Is.True);
            Assert.That((write, flush), Is.EqualTo((BlockError.None, BlockError.None)));
            Assert.That(beforeFlush, Is.Not.EqualTo(data), "before any flush the write is only in the server's qcow2 cache (else this test shows nothing)");
            Assert.That(afterFlush, Is.EqualTo(data), "the flush on the other connection put the write in the image");
        });
    }

    [Test]
    public void ProtocolFilename_OpenImage_BackendOverNbd()
    {
        using var loop = new NbdLoopback(_h, NbdLoopback.FileNode(_h, 1 << 20));

        var backend = _h.Layer.OpenImage(new BlockBackendOptions(), loop.Uri(), "raw");
        var buffer = new byte[512];
        var error = backend.Read(512, buffer);

        Assert.That(error, Is.EqualTo(BlockError.None));
        Assert.That(buffer[3], Is.EqualTo(BlockHarness.Pattern(515)));
    }

    [Test]
    public void Shared_OneClientAllowed_SecondConnectionClosed()
    {
        using var loop = new NbdLoopback(_h, NbdLoopback.FileNode(_h, 1 << 20), options: new NbdServerOptions { MaxClients = 1, Persistent = true });
        loop.OpenClient();

        Assert.That(() => loop.OpenClient(), Throws.TypeOf<BlockOperationException>().With.Message.Contains("connection closed"));
    }

    [Test]
    public void NotPersistent_LastClientLeaves_ServerFinishes()
    {
        var nullNode = _h.Layer.Graph.Open(new NullNodeOptions { Size = 1 << 20 });
        using var loop = new NbdLoopback(_h, nullNode, options: new NbdServerOptions { MaxClients = 1, Persistent = false });
        var client = loop.OpenClient();

        _h.Layer.Graph.Unref(client);

        Assert.That(loop.Server.Finished.Wait(TimeSpan.FromSeconds(10)), Is.True);
    }

    /// <summary>Opens the image afresh, read-only and without locks, in a layer of its own, as qemu-img -U would.</summary>
    private static byte[] ReadImageAsAnotherOpener(string image, long offset, int length)
    {
        using var other = new BlockHarness();
        var node = other.Layer.Graph.Open(new Qcow2NodeOptions(BlockChildOptions.Of(new FileNodeOptions(image) { Locking = FileLockMode.Off, ReadOnly = true })) { ReadOnly = true });
        var buffer = new byte[length];
        Assert.That(NbdLoopback.Wait(node.ReadAsync(offset, buffer)), Is.EqualTo(BlockError.None));
        return buffer;
    }
}
