using Emulator.Block.Backend;
using Emulator.Block.Drivers.NullCo;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Backend;

public class BlockBackendIoTests
{
    private BlockHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new BlockHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    private BlockBackend OpenImage(long length = 64 * 1024, bool readOnly = false) =>
        _h.Layer.OpenImage(new BlockBackendOptions { ReadOnly = readOnly }, _h.CreateImage(length), "raw");

    [Test]
    public void Read_WholeImage_ReturnsFileBytes()
    {
        var backend = OpenImage();
        var buffer = new byte[64 * 1024];

        var error = backend.Read(0, buffer);

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.EqualTo(BlockError.None));
            Assert.That(buffer[1000], Is.EqualTo(BlockHarness.Pattern(1000)));
            Assert.That(buffer[^1], Is.EqualTo(BlockHarness.Pattern(buffer.Length - 1)));
        });
    }

    [Test]
    public void Write_ThenRead_ByteGranular()
    {
        var backend = OpenImage();
        var data = new byte[] { 1, 2, 3, 4, 5 };

        var writeError = backend.Write(777, data);
        var back = new byte[7];
        backend.Read(776, back);

        Assert.Multiple(() =>
        {
            Assert.That(writeError, Is.EqualTo(BlockError.None));
            Assert.That(back, Is.EqualTo(new[] { BlockHarness.Pattern(776), (byte)1, (byte)2, (byte)3, (byte)4, (byte)5, BlockHarness.Pattern(782) }));
        });
    }

    [TestCase(-1L, 512, TestName = "Read_NegativeOffset_OutOfRange")]
    [TestCase(65024L, 1024, TestName = "Read_PastEnd_OutOfRange")]
    [TestCase(65537L, 0, TestName = "Read_EmptyRequestPastEnd_OutOfRange")]
    [TestCase(long.MaxValue, 512, TestName = "Read_OffsetPlusLengthOverflows_OutOfRange")]
    public void Read_BadRange_OutOfRange(long offset, int length)
    {
        var backend = OpenImage();

        Assert.That(backend.Read(offset, new byte[length]), Is.EqualTo(BlockError.OutOfRange));
    }

    [Test]
    public void Discard_NegativeLength_OutOfRange()
    {
        var backend = OpenImage();

        Assert.That(backend.Discard(0, -512), Is.EqualTo(BlockError.OutOfRange));
    }

    [Test]
    public void WriteZeroes_LengthOverflowingEnd_OutOfRange()
    {
        var backend = OpenImage();

        Assert.That(backend.WriteZeroes(4096, long.MaxValue), Is.EqualTo(BlockError.OutOfRange));
    }

    [Test]
    public void Read_AtExactEnd_EmptyRequestSucceeds()
    {
        var backend = OpenImage();

        Assert.That(backend.Read(64 * 1024, Memory<byte>.Empty), Is.EqualTo(BlockError.None));
    }

    [Test]
    public void Read_EmptyDrive_NoMedium()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions());

        Assert.Multiple(() =>
        {
            Assert.That(backend.Read(0, new byte[512]), Is.EqualTo(BlockError.NoMedium));
            Assert.That(backend.Flush(), Is.EqualTo(BlockError.NoMedium));
            Assert.That(backend.Length, Is.Zero);
        });
    }

    [Test]
    public void Read_TrayOpen_NoMedium()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions(), new NullNodeOptions());
        var cd = TestDevice.CdRom();
        cd.TrayOpen = true;
        backend.AttachDevice(cd, "cd");

        Assert.That(backend.Read(0, new byte[512]), Is.EqualTo(BlockError.NoMedium));
    }

    [Test]
    public void Write_ReadOnlyBackend_ReadOnlyAndFileUnchanged()
    {
        var backend = OpenImage(readOnly: true);

        var error = backend.Write(0, new byte[512]);
        var back = new byte[1];
        backend.Read(1, back);

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.EqualTo(BlockError.ReadOnly));
            Assert.That(backend.IsReadOnly, Is.True);
            Assert.That(back[0], Is.EqualTo(BlockHarness.Pattern(1)));
        });
    }

    [Test]
    public void Submit_InlineDriver_CompletesOnlyWhenLoopRuns()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions(), new NullNodeOptions());
        var device = new TestDevice(BlockDevCapabilities.None);
        var request = new BlockRequest(device);
        request.PrepareRead(0, new byte[512]);

        backend.Submit(request);
        var before = device.Completions.Count;
        _h.Layer.Completions.RunPending();

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.Zero, "never before the submitting call returns, nor before the loop's fixed point");
            Assert.That(device.Completions, Has.Count.EqualTo(1));
            Assert.That(device.Completions[0].Error, Is.EqualTo(BlockError.None));
        });
    }

    [Test]
    public void Submit_RefusedRequest_StillCompletesThroughQueue()
    {
        var backend = OpenImage();
        var device = new TestDevice(BlockDevCapabilities.None);
        var request = new BlockRequest(device);
        request.PrepareRead(-512, new byte[512]);

        backend.Submit(request);
        var before = device.Completions.Count;
        _h.RunLoopUntil(() => device.Completions.Count == 1);

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.Zero);
            Assert.That(device.Completions[0].Error, Is.EqualTo(BlockError.OutOfRange));
            Assert.That(_h.EventsOf<BlockIoErrorEvent>(), Is.Empty, "request errors never reach the error policy");
        });
    }

    [Test]
    public void Submit_FileRead_DataArrivesOnLoopThread()
    {
        var backend = OpenImage();
        var device = new TestDevice(BlockDevCapabilities.None);
        var buffer = new byte[4096];
        var request = new BlockRequest(device);
        request.PrepareRead(8192, buffer);

        backend.Submit(request);
        _h.RunLoopUntil(() => device.Completions.Count == 1);

        Assert.Multiple(() =>
        {
            Assert.That(device.Completions[0].ThreadId, Is.EqualTo(_h.LoopThreadId));
            Assert.That(buffer[0], Is.EqualTo(BlockHarness.Pattern(8192)));
            Assert.That(request.IsInFlight, Is.False);
        });
    }

    [Test]
    public void Submit_SameRequestTwiceInFlight_Throws()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions(), new NullNodeOptions());
        var request = new BlockRequest(new TestDevice(BlockDevCapabilities.None));
        request.PrepareFlush();
        backend.Submit(request);

        Assert.That(() => backend.Submit(request), Throws.InvalidOperationException);
        _h.Layer.Completions.RunPending();
    }

    [Test]
    public void Submit_ConcurrentSubmitters_AllCompleteOnLoopThread()
    {
        const int Threads = 4;
        const int PerThread = 200;
        var backend = OpenImage(1 << 20);
        var device = new TestDevice(BlockDevCapabilities.None);
        var requests = Enumerable.Range(0, Threads * PerThread).Select(i => new BlockRequest(device, i)).ToArray();
        var buffers = Enumerable.Range(0, requests.Length).Select(_ => new byte[512]).ToArray();

        var submitters = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            for (var i = t * PerThread; i < (t + 1) * PerThread; i++)
            {
                requests[i].PrepareRead(i * 512L % (1 << 20), buffers[i]);
                backend.Submit(requests[i]);
            }
        })).ToArray();
        foreach (var thread in submitters)
        {
            thread.Start();
        }

        _h.RunLoopUntil(() => device.Completions.Count == requests.Length && submitters.All(t => !t.IsAlive));

        Assert.Multiple(() =>
        {
            Assert.That(device.Completions.Select(c => c.ThreadId).Distinct(), Is.EqualTo(new[] { _h.LoopThreadId }));
            Assert.That(device.Completions.Select(c => (int)c.Request.Tag!).Distinct().Count(), Is.EqualTo(requests.Length));
            Assert.That(device.Completions.All(c => c.Error == BlockError.None), Is.True);
            Assert.That(buffers[777][0], Is.EqualTo(BlockHarness.Pattern(777 * 512)));
            Assert.That(backend.InFlight, Is.Zero);
        });
    }

    [Test]
    public void Truncate_Grow_NotifiesDeviceAndChangesLength()
    {
        var backend = OpenImage();
        var disk = TestDevice.HardDisk();
        backend.AttachDevice(disk, "disk");

        var error = backend.Truncate(128 * 1024);
        var tail = new byte[16];
        backend.Read((128 * 1024) - 16, tail);

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.EqualTo(BlockError.None));
            Assert.That(backend.Length, Is.EqualTo(128 * 1024));
            Assert.That(disk.ResizeCalls, Is.EqualTo(1));
            Assert.That(tail, Is.All.Zero);
        });
    }

    [Test]
    public void Truncate_EmptyDrive_NoMedium()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions());

        Assert.That(backend.Truncate(4096), Is.EqualTo(BlockError.NoMedium));
    }
}
