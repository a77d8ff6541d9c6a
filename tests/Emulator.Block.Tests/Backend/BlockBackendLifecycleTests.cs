using Emulator.Block.Backend;
using Emulator.Block.Drivers.Blkdebug;
using Emulator.Block.Drivers.NullCo;
using Emulator.Block.Graph;
using Emulator.Block.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Block.Tests.Backend;

public class BlockBackendLifecycleTests
{
    private BlockHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new BlockHarness(s => s.AddSingleton<IBlockDriverFactory, RecordingDriverFactory>());

    [TearDown]
    public void TearDown() => _h.Dispose();

    [Test]
    public void CreateBackend_Named_FoundByName()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "drive0" });

        Assert.Multiple(() =>
        {
            Assert.That(_h.Layer.FindBackend("drive0"), Is.SameAs(backend));
            Assert.That(backend.IsInserted, Is.False);
        });
    }

    [Test]
    public void CreateBackend_DuplicateName_Refused()
    {
        _h.Layer.CreateBackend(new BlockBackendOptions { Name = "drive0" });

        Assert.That(() => _h.Layer.CreateBackend(new BlockBackendOptions { Name = "drive0" }),
            Throws.TypeOf<BlockOperationException>().With.Message.EqualTo("Device with id 'drive0' already exists"));
    }

    [Test]
    public void CreateBackend_NameOfExistingNode_Refused()
    {
        _h.Layer.Graph.Open(new NullNodeOptions { NodeName = "n0" });

        Assert.That(() => _h.Layer.CreateBackend(new BlockBackendOptions { Name = "n0" }), Throws.TypeOf<BlockOperationException>());
    }

    [TestCase("0drive")]
    [TestCase("a b")]
    [TestCase("")]
    public void CreateBackend_IllFormedName_Refused(string name)
    {
        Assert.That(() => _h.Layer.CreateBackend(new BlockBackendOptions { Name = name }), Throws.TypeOf<BlockOperationException>());
    }

    [Test]
    public void Unref_LastReference_ForgetsNameAndDeletesMedium()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "drive0" }, new NullNodeOptions { NodeName = "medium" });
        backend.Ref();

        backend.Unref();
        var stillThere = _h.Layer.FindBackend("drive0");
        backend.Unref();

        Assert.Multiple(() =>
        {
            Assert.That(stillThere, Is.SameAs(backend));
            Assert.That(_h.Layer.FindBackend("drive0"), Is.Null);
            Assert.That(_h.Layer.Graph.Find("medium"), Is.Null);
            Assert.That(_h.Layer.Backends, Is.Empty);
        });
    }

    [Test]
    public void Unref_DeviceStillAttached_Throws()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions());
        backend.AttachDevice(TestDevice.HardDisk(), "disk");

        backend.Unref();

        Assert.That(backend.Unref, Throws.InvalidOperationException);
    }

    [Test]
    public void AttachDevice_Second_RefusedAsInUse()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "drive0" });
        backend.AttachDevice(TestDevice.HardDisk(), "disk0");

        Assert.That(() => backend.AttachDevice(TestDevice.HardDisk(), "disk1"),
            Throws.TypeOf<BlockOperationException>().With.Message.EqualTo("Drive 'drive0' is already in use by device 'disk0'"));
    }

    [Test]
    public void DetachDevice_ThenAttachAnother_Allowed()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions());
        var first = TestDevice.HardDisk();
        backend.AttachDevice(first, "disk0");

        backend.DetachDevice(first);
        backend.AttachDevice(TestDevice.HardDisk(), "disk1");

        Assert.That(backend.DeviceId, Is.EqualTo("disk1"));
    }

    [TestCase(BlockErrorPolicy.Report, BlockErrorPolicy.Report, false)]
    [TestCase(BlockErrorPolicy.Report, BlockErrorPolicy.Enospc, true)]
    [TestCase(BlockErrorPolicy.Stop, BlockErrorPolicy.Report, true)]
    [TestCase(BlockErrorPolicy.Ignore, BlockErrorPolicy.Stop, true)]
    [TestCase(BlockErrorPolicy.Enospc, BlockErrorPolicy.Ignore, false)]
    public void IoStatusEnabled_OnlyWhenAPolicyCanStop(BlockErrorPolicy rerror, BlockErrorPolicy werror, bool enabled)
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { ReadErrorPolicy = rerror, WriteErrorPolicy = werror });
        backend.AttachDevice(TestDevice.HardDisk(), "disk");
        backend.EnableIoStatus();

        Assert.That(backend.IoStatusEnabled, Is.EqualTo(enabled));
    }

    [Test]
    public void HasRemovableMedia_NoDevice_True_HardDisk_False()
    {
        var free = _h.Layer.CreateBackend(new BlockBackendOptions());
        var disk = _h.Layer.CreateBackend(new BlockBackendOptions());
        disk.AttachDevice(TestDevice.HardDisk(), "disk");

        Assert.Multiple(() =>
        {
            Assert.That(free.HasRemovableMedia, Is.True);
            Assert.That(free.IsTrayOpen, Is.False);
            Assert.That(free.IsMediumLocked, Is.False);
            Assert.That(disk.HasRemovableMedia, Is.False);
        });
    }

    [Test]
    public void WriteCacheOff_WritesBecomeFua()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions(), new RecordingNodeOptions { NodeName = "rec" });
        var driver = (RecordingDriver)_h.Layer.Graph.Find("rec")!.Driver;

        backend.Write(0, new byte[512]);
        backend.WriteCacheEnabled = false;
        backend.Write(0, new byte[512]);

        Assert.That(driver.WriteFlags, Is.EqualTo(new[] { BlockRequestFlags.None, BlockRequestFlags.Fua }));
    }

    [Test]
    public void Drain_WaitsForSuspendedRequestReleasedElsewhere()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions(), new BlkdebugNodeOptions(new NullNodeOptions()) { NodeName = "dbg" });
        var debug = (BlkdebugDriver)_h.Layer.Graph.Find("dbg")!.Driver;
        debug.Break(BlkdebugOperations.Read, "r1");
        var device = TestDevice.HardDisk();
        var request = new BlockRequest(device);
        request.PrepareRead(0, new byte[512]);
        backend.Submit(request);
        var inFlightWhileHeld = backend.InFlight;
        var releaser = new Thread(() =>
        {
            debug.WaitUntilSuspended("r1", TimeSpan.FromSeconds(10));
            Thread.Sleep(20);
            debug.Resume("r1");
        });
        releaser.Start();

        backend.Drain();
        releaser.Join();

        Assert.Multiple(() =>
        {
            Assert.That(inFlightWhileHeld, Is.EqualTo(1));
            Assert.That(backend.InFlight, Is.Zero);
            Assert.That(device.Completions, Has.Count.EqualTo(1));
            Assert.That(device.Completions[0].ThreadId, Is.EqualTo(_h.LoopThreadId));
        });
    }
}
