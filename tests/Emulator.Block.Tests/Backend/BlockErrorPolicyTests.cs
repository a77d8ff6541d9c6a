using Emulator.Block.Backend;
using Emulator.Block.Drivers.Blkdebug;
using Emulator.Block.Drivers.NullCo;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Backend;

public class BlockErrorPolicyTests
{
    private BlockHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new BlockHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    private (BlockBackend Backend, TestDevice Device) FailingDisk(BlockErrorPolicy rerror, BlockErrorPolicy werror, BlockError injected)
    {
        var options = new BlkdebugNodeOptions(new NullNodeOptions { Size = 1 << 20 })
        {
            NodeName = "dbg",
            Rules = [new BlkdebugRule { Error = injected }],
        };
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "hd0", ReadErrorPolicy = rerror, WriteErrorPolicy = werror }, options);
        var device = TestDevice.HardDisk();
        backend.AttachDevice(device, "disk0", "/machine/peripheral/disk0");
        backend.EnableIoStatus();
        return (backend, device);
    }

    private (BlockError, BlockErrorAction) RunOne(BlockBackend backend, TestDevice device, bool read)
    {
        var request = new BlockRequest(device);
        if (read)
        {
            request.PrepareRead(0, new byte[512]);
        }
        else
        {
            request.PrepareWrite(0, new byte[512]);
        }

        backend.Submit(request);
        _h.RunLoopUntil(() => device.Completions.Count == 1);
        return (device.Completions[0].Error, device.Completions[0].Action);
    }

    [TestCase(BlockErrorPolicy.Report, BlockError.Io, BlockErrorAction.Report, IoStatus.Ok)]
    [TestCase(BlockErrorPolicy.Report, BlockError.NoSpace, BlockErrorAction.Report, IoStatus.Ok)]
    [TestCase(BlockErrorPolicy.Ignore, BlockError.Io, BlockErrorAction.Ignore, IoStatus.Ok)]
    [TestCase(BlockErrorPolicy.Ignore, BlockError.NoSpace, BlockErrorAction.Ignore, IoStatus.Ok)]
    [TestCase(BlockErrorPolicy.Enospc, BlockError.Io, BlockErrorAction.Report, IoStatus.Ok)]
    [TestCase(BlockErrorPolicy.Enospc, BlockError.NoSpace, BlockErrorAction.Stop, IoStatus.NoSpace)]
    [TestCase(BlockErrorPolicy.Stop, BlockError.Io, BlockErrorAction.Stop, IoStatus.Failed)]
    [TestCase(BlockErrorPolicy.Stop, BlockError.NoSpace, BlockErrorAction.Stop, IoStatus.NoSpace)]
    public void WriteError_Policy_ChoosesActionAndIoStatus(BlockErrorPolicy werror, BlockError injected, BlockErrorAction expected, IoStatus status)
    {
        var (backend, device) = FailingDisk(BlockErrorPolicy.Report, werror, injected);

        var (error, action) = RunOne(backend, device, read: false);

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.EqualTo(injected));
            Assert.That(action, Is.EqualTo(expected));
            Assert.That(backend.IoStatus, Is.EqualTo(status));
            Assert.That(_h.Machine.StopRequests, Is.EqualTo(expected == BlockErrorAction.Stop ? 1 : 0));
            Assert.That(_h.EventsOf<BlockIoErrorEvent>().Count(), Is.EqualTo(1), "one BLOCK_IO_ERROR per action, ignore included");
        });
    }

    [TestCase(BlockErrorPolicy.Report, BlockErrorAction.Report)]
    [TestCase(BlockErrorPolicy.Ignore, BlockErrorAction.Ignore)]
    [TestCase(BlockErrorPolicy.Stop, BlockErrorAction.Stop)]
    public void ReadError_Policy_ChoosesAction(BlockErrorPolicy rerror, BlockErrorAction expected)
    {
        var (backend, device) = FailingDisk(rerror, BlockErrorPolicy.Report, BlockError.Io);

        var (_, action) = RunOne(backend, device, read: true);

        Assert.That(action, Is.EqualTo(expected));
    }

    [Test]
    public void WriteError_StopWithIoStatus_EventCarriesQemuFields()
    {
        var (backend, device) = FailingDisk(BlockErrorPolicy.Report, BlockErrorPolicy.Stop, BlockError.NoSpace);

        RunOne(backend, device, read: false);

        Assert.That(_h.EventsOf<BlockIoErrorEvent>().Single(), Is.EqualTo(new BlockIoErrorEvent(
            "/machine/peripheral/disk0", "hd0", "dbg", "write", "stop", true, "No space left on device")));
    }

    [Test]
    public void ReadError_ReportWithoutIoStatus_NoSpaceFieldOmitted()
    {
        var (backend, device) = FailingDisk(BlockErrorPolicy.Report, BlockErrorPolicy.Report, BlockError.Io);

        RunOne(backend, device, read: true);

        Assert.Multiple(() =>
        {
            Assert.That(backend.IoStatusEnabled, Is.False, "report/report cannot stop the VM");
            Assert.That(_h.EventsOf<BlockIoErrorEvent>().Single().NoSpace, Is.Null);
            Assert.That(_h.EventsOf<BlockIoErrorEvent>().Single().Operation, Is.EqualTo("read"));
        });
    }

    [Test]
    public void IoStatus_FirstErrorSticksUntilReset()
    {
        var (backend, _) = FailingDisk(BlockErrorPolicy.Report, BlockErrorPolicy.Stop, BlockError.Io);

        backend.ApplyErrorPolicy(isRead: false, BlockError.Io);
        backend.ApplyErrorPolicy(isRead: false, BlockError.NoSpace);
        var sticky = backend.IoStatus;
        _h.Layer.ResetAllIoStatus();

        Assert.Multiple(() =>
        {
            Assert.That(sticky, Is.EqualTo(IoStatus.Failed));
            Assert.That(backend.IoStatus, Is.EqualTo(IoStatus.Ok));
        });
    }

    [Test]
    public void NoMedium_GoesThroughPolicy()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "cd0", ReadErrorPolicy = BlockErrorPolicy.Report });
        var device = TestDevice.CdRom();
        backend.AttachDevice(device, "cd");
        var request = new BlockRequest(device);
        request.PrepareRead(0, new byte[2048]);

        backend.Submit(request);
        _h.RunLoopUntil(() => device.Completions.Count == 1);

        Assert.Multiple(() =>
        {
            Assert.That(device.Completions[0].Error, Is.EqualTo(BlockError.NoMedium));
            Assert.That(_h.EventsOf<BlockIoErrorEvent>().Single().Reason, Is.EqualTo("No medium found"));
        });
    }

    [Test]
    public void StopPolicy_RetryAfterResume_DataLandsOnce()
    {
        var image = _h.CreateImage(64 * 1024);
        var options = new BlkdebugNodeOptions(_h.Layer.Graph.Drivers.Find("raw")!.CreateFormatOptions(
            new Emulator.Block.Drivers.File.FileNodeOptions(image), null, false))
        {
            Rules = [new BlkdebugRule { Operations = BlkdebugOperations.Write, Error = BlockError.NoSpace, Once = true }],
        };
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "hd0", WriteErrorPolicy = BlockErrorPolicy.Enospc }, options);
        var device = TestDevice.HardDisk();
        backend.AttachDevice(device, "disk0");
        backend.EnableIoStatus();
        var data = Enumerable.Range(0, 4096).Select(i => (byte)(i ^ 0x5A)).ToArray();
        var request = new BlockRequest(device);
        request.PrepareWrite(8192, data);

        backend.Submit(request);
        _h.RunLoopUntil(() => device.Completions.Count == 1);
        var firstAction = device.Completions[0].Action;
        var statusWhileStopped = backend.IoStatus;

        // The machine resumes (QMP cont): iostatus is reset and the device resubmits its parked request as is.
        _h.Layer.ResetAllIoStatus();
        backend.Submit(request);
        _h.RunLoopUntil(() => device.Completions.Count == 2);
        var back = new byte[4096];
        backend.Read(8192, back);

        Assert.Multiple(() =>
        {
            Assert.That(firstAction, Is.EqualTo(BlockErrorAction.Stop));
            Assert.That(statusWhileStopped, Is.EqualTo(IoStatus.NoSpace));
            Assert.That(_h.Machine.StopRequests, Is.EqualTo(1));
            Assert.That(device.Completions[1].Error, Is.EqualTo(BlockError.None));
            Assert.That(back, Is.EqualTo(data));
            Assert.That(backend.IoStatus, Is.EqualTo(IoStatus.Ok));
        });
    }
}
