using Emulator.Block.Backend;
using Emulator.Block.Drivers.Blkdebug;
using Emulator.Block.Drivers.NullCo;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Drivers;

public class BlkdebugDriverTests
{
    private BlockHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new BlockHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    private BlockBackend With(params BlkdebugRule[] rules) =>
        _h.Layer.CreateBackend(new BlockBackendOptions(), new BlkdebugNodeOptions(new NullNodeOptions { Size = 1 << 20 }) { Rules = rules });

    private static BlockError[] Reads(BlockBackend backend, int count, long offset = 0) =>
        Enumerable.Range(0, count).Select(_ => backend.Read(offset, new byte[512])).ToArray();

    [Test]
    public void Rule_FailThirdReadOnce_OnlyThirdFails()
    {
        var backend = With(new BlkdebugRule { Operations = BlkdebugOperations.Read, Nth = 3, Once = true });

        Assert.That(Reads(backend, 5), Is.EqualTo(new[] { BlockError.None, BlockError.None, BlockError.Io, BlockError.None, BlockError.None }));
    }

    [Test]
    public void Rule_FailFromSecondAlways_AllLaterFail()
    {
        var backend = With(new BlkdebugRule { Operations = BlkdebugOperations.Read, Nth = 2 });

        Assert.That(Reads(backend, 4), Is.EqualTo(new[] { BlockError.None, BlockError.Io, BlockError.Io, BlockError.Io }));
    }

    [Test]
    public void Rule_OnlyWrites_ReadsUnaffected()
    {
        var backend = With(new BlkdebugRule { Operations = BlkdebugOperations.Write, Error = BlockError.NoSpace });

        Assert.Multiple(() =>
        {
            Assert.That(backend.Read(0, new byte[512]), Is.EqualTo(BlockError.None));
            Assert.That(backend.Write(0, new byte[512]), Is.EqualTo(BlockError.NoSpace));
        });
    }

    [Test]
    public void Rule_Range_OnlyOverlappingRequestsFail()
    {
        var backend = With(new BlkdebugRule { RangeStart = 4096, RangeEnd = 8192 });

        Assert.Multiple(() =>
        {
            Assert.That(backend.Read(0, new byte[4096]), Is.EqualTo(BlockError.None));
            Assert.That(backend.Read(4000, new byte[512]), Is.EqualTo(BlockError.Io));
            Assert.That(backend.Read(8192, new byte[512]), Is.EqualTo(BlockError.None));
            Assert.That(backend.Flush(), Is.EqualTo(BlockError.None), "a flush has no range");
        });
    }

    [Test]
    public void Rule_FlushOnly_FailsFlush()
    {
        var backend = With(new BlkdebugRule { Operations = BlkdebugOperations.Flush });

        Assert.That(backend.Flush(), Is.EqualTo(BlockError.Io));
    }

    [Test]
    public void Rule_NthZero_Refused()
    {
        Assert.That(() => With(new BlkdebugRule { Nth = 0 }), Throws.TypeOf<BlockOperationException>());
    }

    [Test]
    public void Break_SuspendsUntilResumed()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions(), new BlkdebugNodeOptions(new NullNodeOptions()) { NodeName = "dbg" });
        var debug = (BlkdebugDriver)_h.Layer.Graph.Find("dbg")!.Driver;
        debug.Break(BlkdebugOperations.Write, "w");
        var device = TestDevice.HardDisk();
        var request = new BlockRequest(device);
        request.PrepareWrite(0, new byte[512]);

        backend.Submit(request);
        var suspended = debug.WaitUntilSuspended("w", TimeSpan.FromSeconds(5));
        _h.Layer.Completions.RunPending();
        var completedWhileSuspended = device.Completions.Count;
        var resumed = debug.Resume("w");
        _h.RunLoopUntil(() => device.Completions.Count == 1);

        Assert.Multiple(() =>
        {
            Assert.That(suspended, Is.True);
            Assert.That(completedWhileSuspended, Is.Zero);
            Assert.That(resumed, Is.True);
            Assert.That(device.Completions[0].Error, Is.EqualTo(BlockError.None));
            Assert.That(debug.Resume("w"), Is.False, "nothing is suspended any more");
        });
    }
}
