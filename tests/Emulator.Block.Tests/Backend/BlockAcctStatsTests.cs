using Emulator.Block.Backend;
using Emulator.Block.Drivers.Blkdebug;
using Emulator.Block.Drivers.NullCo;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Backend;

public class BlockAcctStatsTests
{
    private BlockHarness _h = null!;
    private BlockBackend _backend = null!;
    private TestDevice _device = null!;

    [SetUp]
    public void SetUp()
    {
        _h = new BlockHarness();
        var options = new BlkdebugNodeOptions(new NullNodeOptions { Size = 1 << 20 })
        {
            Rules = [new BlkdebugRule { Operations = BlkdebugOperations.Read, RangeStart = 65536, RangeEnd = 65537 }],
        };
        _backend = _h.Layer.CreateBackend(new BlockBackendOptions(), options);
        _device = TestDevice.HardDisk();
        _backend.AttachDevice(_device, "disk");
    }

    [TearDown]
    public void TearDown() => _h.Dispose();

    private void Run(Action<BlockRequest> prepare)
    {
        var request = new BlockRequest(_device);
        prepare(request);
        var expected = _device.Completions.Count + 1;
        _backend.Submit(request);
        _h.RunLoopUntil(() => _device.Completions.Count == expected);
    }

    [Test]
    public void Reads_CountOperationsAndBytes()
    {
        Run(r => r.PrepareRead(0, new byte[4096]));
        Run(r => r.PrepareRead(4096, new byte[512]));

        var read = _backend.Stats[BlockAcctType.Read];
        Assert.Multiple(() =>
        {
            Assert.That(read.Operations, Is.EqualTo(2));
            Assert.That(read.Bytes, Is.EqualTo(4608));
            Assert.That(read.FailedOperations, Is.Zero);
            Assert.That(read.TotalTimeNs, Is.Positive);
        });
    }

    [Test]
    public void WritesAndZeroes_CountAsWritesWithHighestOffset()
    {
        Run(r => r.PrepareWrite(8192, new byte[1024]));
        Run(r => r.PrepareWriteZeroes(0, 2048));

        Assert.Multiple(() =>
        {
            Assert.That(_backend.Stats[BlockAcctType.Write].Operations, Is.EqualTo(2));
            Assert.That(_backend.Stats[BlockAcctType.Write].Bytes, Is.EqualTo(3072));
            Assert.That(_backend.Stats.WriteHighestOffset, Is.EqualTo(9216));
        });
    }

    [Test]
    public void FlushAndDiscard_CountInTheirOwnClasses()
    {
        Run(r => r.PrepareFlush());
        Run(r => r.PrepareDiscard(0, 65536));

        Assert.Multiple(() =>
        {
            Assert.That(_backend.Stats[BlockAcctType.Flush].Operations, Is.EqualTo(1));
            Assert.That(_backend.Stats[BlockAcctType.Unmap].Operations, Is.EqualTo(1));
            Assert.That(_backend.Stats[BlockAcctType.Unmap].Bytes, Is.EqualTo(65536));
        });
    }

    [Test]
    public void FailedRead_CountsAsFailedNotDone()
    {
        Run(r => r.PrepareRead(65536, new byte[512]));

        var read = _backend.Stats[BlockAcctType.Read];
        Assert.Multiple(() =>
        {
            Assert.That(read.FailedOperations, Is.EqualTo(1));
            Assert.That(read.Operations, Is.Zero);
            Assert.That(read.Bytes, Is.Zero);
        });
    }

    [Test]
    public void OutOfRangeRequest_CountsAsInvalid()
    {
        Run(r => r.PrepareWrite((1 << 20) - 256, new byte[512]));

        Assert.Multiple(() =>
        {
            Assert.That(_backend.Stats[BlockAcctType.Write].InvalidOperations, Is.EqualTo(1));
            Assert.That(_backend.Stats[BlockAcctType.Write].FailedOperations, Is.Zero);
        });
    }

    [Test]
    public void Merged_AddedByDevice()
    {
        _backend.Stats.AccountMerged(BlockAcctType.Read, 3);

        Assert.That(_backend.Stats[BlockAcctType.Read].Merged, Is.EqualTo(3));
    }

    [Test]
    public void IdleTime_NullUntilFirstAccess()
    {
        var before = _backend.Stats.IdleTimeNs;
        Run(r => r.PrepareFlush());

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.Null);
            Assert.That(_backend.Stats.IdleTimeNs, Is.Not.Null.And.GreaterThanOrEqualTo(0));
        });
    }
}
