using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Raw;
using Emulator.Block.Memory;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Drivers;

public class FileDriverTests
{
    private BlockHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new BlockHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    private BlockBackend Open(string path, bool readOnly = false, FileCacheMode cache = FileCacheMode.Writeback,
        FileLockMode locking = FileLockMode.On, bool discard = false) =>
        _h.Layer.CreateBackend(new BlockBackendOptions(), new RawNodeOptions(new FileNodeOptions(path)
        {
            Cache = cache,
            Locking = locking,
            DiscardUnmap = discard,
        }) { ReadOnly = readOnly });

    [Test]
    public void Open_SecondWriter_RefusedWithLockMessage()
    {
        var image = _h.CreateImage(4096);
        Open(image);

        Assert.That(() => Open(image), Throws.TypeOf<BlockOperationException>().With.Message.EqualTo(
            $"Failed to get \"write\" lock: Is another process using the image [{image}]?"));
    }

    [Test]
    public void Open_ReaderWhileWriterHoldsImage_Refused()
    {
        var image = _h.CreateImage(4096);
        Open(image);

        Assert.That(() => Open(image, readOnly: true), Throws.TypeOf<BlockOperationException>().With.Message.StartsWith("Failed to get shared \"write\" lock"));
    }

    [Test]
    public void Open_TwoReaders_Allowed()
    {
        var image = _h.CreateImage(4096);
        Open(image, readOnly: true);

        Assert.That(Open(image, readOnly: true).IsReadOnly, Is.True);
    }

    [Test]
    public void Open_LockingOff_SecondWriterAllowed()
    {
        var image = _h.CreateImage(4096);
        Open(image, locking: FileLockMode.Off);

        Assert.That(() => Open(image, locking: FileLockMode.Off), Throws.Nothing);
    }

    [Test]
    public void Open_WriterAfterFirstClosed_Allowed()
    {
        var image = _h.CreateImage(4096);
        var first = Open(image);
        first.Unref();

        Assert.That(() => Open(image), Throws.Nothing);
    }

    [Test]
    public void Open_Directory_RefusedWithReason()
    {
        Assert.That(() => Open(_h.TempDir), Throws.TypeOf<BlockOperationException>().With.Message.EqualTo(
            $"Could not open '{_h.TempDir}': Is a directory"));
    }

    [Test]
    public void Write_HostOutOfSpace_ReportsNoSpace()
    {
        // /dev/full answers every write with ENOSPC, which must surface as its own error kind.
        var node = _h.Layer.Graph.Open(new FileNodeOptions("/dev/full") { Locking = FileLockMode.Off });

        var write = node.WriteAsync(0, new byte[512], BlockRequestFlags.None);

        Assert.That(write.Result, Is.EqualTo(BlockError.NoSpace));
    }

    [Test]
    public void Read_PastEndOfFile_ReturnsZeroes()
    {
        var node = _h.Layer.Graph.Open(new FileNodeOptions(_h.CreateImage(1000)));
        var buffer = Enumerable.Repeat((byte)0xCC, 48).ToArray();

        var error = node.ReadAsync(984, buffer).Result;

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.EqualTo(BlockError.None));
            Assert.That(buffer[15], Is.EqualTo(BlockHarness.Pattern(999)));
            Assert.That(buffer[16..], Is.All.Zero);
        });
    }

    [Test]
    public void CacheNone_UnalignedReadAndWrite_BouncedCorrectly()
    {
        var image = _h.CreateImage(64 * 1024);
        var backend = Open(image, cache: FileCacheMode.None);
        Assume.That(((FileDriver)_h.Layer.Graph.Nodes.Single(n => n.DriverName == "file").Driver).IsDirect, Is.True,
            "the temp filesystem does not take O_DIRECT, so the bounce path cannot be exercised here");
        var data = Enumerable.Range(0, 700).Select(i => (byte)(255 - (i % 256))).ToArray();

        var writeError = backend.Write(4000, data);
        var back = new byte[702];
        var readError = backend.Read(3999, back);

        Assert.Multiple(() =>
        {
            Assert.That(writeError, Is.EqualTo(BlockError.None));
            Assert.That(readError, Is.EqualTo(BlockError.None));
            Assert.That(back[0], Is.EqualTo(BlockHarness.Pattern(3999)));
            Assert.That(back[1..701], Is.EqualTo(data));
            Assert.That(back[701], Is.EqualTo(BlockHarness.Pattern(4700)));
            Assert.That(new FileInfo(image).Length, Is.EqualTo(64 * 1024));
        });
    }

    [Test]
    public void CacheNone_AlignedBuffer_ReadsThrough()
    {
        var backend = Open(_h.CreateImage(64 * 1024), cache: FileCacheMode.None);
        using var buffer = new AlignedBuffer(8192);

        var error = backend.Read(8192, buffer.Memory);

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.EqualTo(BlockError.None));
            Assert.That(buffer.Span[100], Is.EqualTo(BlockHarness.Pattern(8292)));
        });
    }

    [Test]
    public void Discard_Unmap_ReadsBackZeroes()
    {
        var image = _h.CreateImage(64 * 1024);
        var backend = Open(image, discard: true);

        backend.Discard(16384, 16384);
        var back = new byte[16384];
        backend.Read(16384, back);

        Assert.That(back, Is.All.Zero);
    }

    [Test]
    public void WriteZeroes_Range_ZeroedAndNeighboursKept()
    {
        var backend = Open(_h.CreateImage(64 * 1024));

        backend.WriteZeroes(1000, 3000);
        var back = new byte[3002];
        backend.Read(999, back);

        Assert.Multiple(() =>
        {
            Assert.That(back[0], Is.EqualTo(BlockHarness.Pattern(999)));
            Assert.That(back[1..3001], Is.All.Zero);
            Assert.That(back[3001], Is.EqualTo(BlockHarness.Pattern(4000)));
        });
    }

    [Test]
    public void Flush_Writable_Succeeds()
    {
        var backend = Open(_h.CreateImage(4096));
        backend.Write(0, new byte[] { 9 });

        Assert.That(backend.Flush(), Is.EqualTo(BlockError.None));
    }

    [Test]
    public void CacheNone_WritesPastOpenLengthThenBouncedWriteBelow_NothingCutOff()
    {
        // A format driver appends past the length the file had at open, then a sub-block write lower down
        // is bounced: the file must keep everything written.
        var image = _h.CreateImage(8192);
        var node = _h.Layer.Graph.Open(new FileNodeOptions(image) { Cache = FileCacheMode.None });
        Assume.That(((FileDriver)node.Driver).IsDirect, Is.True, "the temp filesystem does not take O_DIRECT");
        using var block = new AlignedBuffer(4096);
        block.Span.Fill(0x77);

        var appended = node.WriteAsync(8192, block.Memory, BlockRequestFlags.None).Result;
        var bounced = node.WriteAsync(100, new byte[] { 1, 2, 3 }, BlockRequestFlags.None).Result;
        var back = new byte[4096];
        node.ReadAsync(8192, back).AsTask().Wait();

        Assert.Multiple(() =>
        {
            Assert.That(appended, Is.EqualTo(BlockError.None));
            Assert.That(bounced, Is.EqualTo(BlockError.None));
            Assert.That(node.Length, Is.EqualTo(12288));
            Assert.That(back, Is.All.EqualTo(0x77));
        });
    }
}
