using Emulator.Block.Backend;
using Emulator.Block.Drivers.NullCo;
using Emulator.Block.Tests.Support;

namespace Emulator.Block.Tests.Backend;

public class BlockMediaTests
{
    private BlockHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new BlockHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    private (BlockBackend Backend, TestDevice Device) CdWithMedium(bool locked = false)
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "cd0" }, new NullNodeOptions { Size = 1 << 20 });
        var device = TestDevice.CdRom();
        device.Backend = backend;
        device.Locked = locked;
        backend.AttachDevice(device, "ide1-cd0");
        return (backend, device);
    }

    private List<bool> TrayEvents() => _h.EventsOf<DeviceTrayMovedEvent>().Select(e => e.TrayOpen).ToList();

    [Test]
    public void OpenTray_Unlocked_OpensWithOneEvent()
    {
        var (backend, device) = CdWithMedium();

        var opened = _h.Layer.Media.OpenTray(backend);

        Assert.Multiple(() =>
        {
            Assert.That(opened, Is.True);
            Assert.That(device.TrayOpen, Is.True);
            Assert.That(TrayEvents(), Is.EqualTo(new[] { true }));
            Assert.That(_h.EventsOf<DeviceTrayMovedEvent>().Single(), Is.EqualTo(new DeviceTrayMovedEvent("cd0", "ide1-cd0", true)));
        });
    }

    [Test]
    public void OpenTray_LockedNotForced_StaysClosedAndAsksGuestToEject()
    {
        var (backend, device) = CdWithMedium(locked: true);

        var opened = _h.Layer.Media.OpenTray(backend);

        Assert.Multiple(() =>
        {
            Assert.That(opened, Is.False);
            Assert.That(device.TrayOpen, Is.False);
            Assert.That(device.EjectRequests, Is.EqualTo(new[] { false }));
            Assert.That(TrayEvents(), Is.Empty);
        });
    }

    [Test]
    public void OpenTray_LockedForced_OpensAndForcesEjectRequest()
    {
        var (backend, device) = CdWithMedium(locked: true);

        var opened = _h.Layer.Media.OpenTray(backend, force: true);

        Assert.Multiple(() =>
        {
            Assert.That(opened, Is.True);
            Assert.That(device.TrayOpen, Is.True);
            Assert.That(device.EjectRequests, Is.EqualTo(new[] { true }));
            Assert.That(TrayEvents(), Is.EqualTo(new[] { true }));
        });
    }

    [Test]
    public void OpenTray_AlreadyOpen_NoEvent()
    {
        var (backend, device) = CdWithMedium();
        device.TrayOpen = true;

        _h.Layer.Media.OpenTray(backend);

        Assert.Multiple(() =>
        {
            Assert.That(TrayEvents(), Is.Empty);
            Assert.That(device.MediaChanges, Is.Empty);
        });
    }

    [Test]
    public void CloseTray_Open_ClosesWithOneEvent()
    {
        var (backend, device) = CdWithMedium();
        device.TrayOpen = true;

        _h.Layer.Media.CloseTray(backend);

        Assert.Multiple(() =>
        {
            Assert.That(device.TrayOpen, Is.False);
            Assert.That(TrayEvents(), Is.EqualTo(new[] { false }));
        });
    }

    [Test]
    public void RemoveMedium_TrayClosed_RefusedWithQemuMessage()
    {
        var (backend, _) = CdWithMedium();

        Assert.That(() => _h.Layer.Media.RemoveMedium(backend),
            Throws.TypeOf<BlockOperationException>().With.Message.EqualTo("Tray of device 'cd0' is not open"));
        Assert.That(backend.IsInserted, Is.True);
    }

    [Test]
    public void RemoveMedium_TrayOpen_LeavesDriveEmpty()
    {
        var (backend, _) = CdWithMedium();
        var node = backend.RootNodeName!;
        _h.Layer.Media.OpenTray(backend);

        _h.Layer.Media.RemoveMedium(backend);

        Assert.Multiple(() =>
        {
            Assert.That(backend.IsInserted, Is.False);
            Assert.That(_h.Layer.Graph.Find(node), Is.Null, "the medium node was the backend's alone and is deleted");
        });
    }

    [Test]
    public void InsertMedium_TrayClosed_Refused()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "cd0" });
        backend.AttachDevice(TestDevice.CdRom(), "cd");
        _h.Layer.Graph.Open(new NullNodeOptions { NodeName = "disc" });

        Assert.That(() => _h.Layer.Media.InsertMedium(backend, "disc"),
            Throws.TypeOf<BlockOperationException>().With.Message.EqualTo("Tray of device 'cd0' is not open"));
    }

    [Test]
    public void InsertMedium_AlreadyHasMedium_Refused()
    {
        var (backend, _) = CdWithMedium();
        _h.Layer.Media.OpenTray(backend);
        _h.Layer.Graph.Open(new NullNodeOptions { NodeName = "disc2" });

        Assert.That(() => _h.Layer.Media.InsertMedium(backend, "disc2"),
            Throws.TypeOf<BlockOperationException>().With.Message.EqualTo("There already is a medium in the device"));
    }

    [Test]
    public void InsertMedium_NodeIsAnotherBackendsMedium_Refused()
    {
        var other = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "hd0" }, new NullNodeOptions { NodeName = "shared" });
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "cd0" });
        var device = TestDevice.CdRom();
        device.TrayOpen = true;
        backend.AttachDevice(device, "cd");

        Assert.That(() => _h.Layer.Media.InsertMedium(backend, "shared"),
            Throws.TypeOf<BlockOperationException>().With.Message.EqualTo("Node 'shared' is already in use"));
        Assert.That(other.IsInserted, Is.True);
    }

    [Test]
    public void InsertMedium_TrayOpen_InsertsWithoutTouchingTray()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "cd0" });
        var device = TestDevice.CdRom();
        device.TrayOpen = true;
        backend.AttachDevice(device, "cd");
        _h.Layer.Graph.Open(new NullNodeOptions { NodeName = "disc", Size = 4096 });

        _h.Layer.Media.InsertMedium(backend, "disc");

        Assert.Multiple(() =>
        {
            Assert.That(backend.IsInserted, Is.True);
            Assert.That(backend.IsAvailable, Is.False, "the tray is still open");
            Assert.That(TrayEvents(), Is.Empty);
        });
    }

    [Test]
    public void ChangeMedium_Unlocked_OpensRemovesInsertsCloses()
    {
        var (backend, device) = CdWithMedium();
        var image = _h.CreateImage(8192, "new.iso");

        _h.Layer.Media.ChangeMedium(backend, image, "raw");

        Assert.Multiple(() =>
        {
            Assert.That(TrayEvents(), Is.EqualTo(new[] { true, false }));
            Assert.That(device.TrayOpen, Is.False);
            Assert.That(backend.Filename, Is.EqualTo(image));
            Assert.That(backend.Length, Is.EqualTo(8192));
        });
    }

    [Test]
    public void ChangeMedium_Locked_RefusedAndOldMediumKept()
    {
        var (backend, device) = CdWithMedium(locked: true);
        var image = _h.CreateImage(8192, "new.iso");

        Assert.That(() => _h.Layer.Media.ChangeMedium(backend, image, "raw"),
            Throws.TypeOf<BlockOperationException>().With.Message.Contains("is locked and force was not specified"));
        Assert.Multiple(() =>
        {
            Assert.That(backend.Filename, Is.EqualTo("null-co://"));
            Assert.That(device.EjectRequests, Is.EqualTo(new[] { false }));
            Assert.That(_h.Layer.Graph.Nodes.Count(n => n.DriverName == "file"), Is.Zero, "the new image was closed again");
        });
    }

    [Test]
    public void ChangeMedium_MissingFile_RefusedWithFileName()
    {
        var (backend, _) = CdWithMedium();

        Assert.That(() => _h.Layer.Media.ChangeMedium(backend, "/nonexistent/x.iso", "raw"),
            Throws.TypeOf<BlockOperationException>().With.Message.EqualTo("Could not open '/nonexistent/x.iso': No such file or directory"));
    }

    [Test]
    public void Eject_Locked_Refused()
    {
        var (backend, _) = CdWithMedium(locked: true);

        Assert.That(() => _h.Layer.Media.Eject(backend),
            Throws.TypeOf<BlockOperationException>().With.Message.EqualTo("Device 'cd0' is locked and force was not specified, wait for tray to open and try again"));
        Assert.That(backend.IsInserted, Is.True);
    }

    [Test]
    public void Eject_LockedForced_OpensTrayAndRemovesMedium()
    {
        var (backend, device) = CdWithMedium(locked: true);

        _h.Layer.Media.Eject(backend, force: true);

        Assert.Multiple(() =>
        {
            Assert.That(backend.IsInserted, Is.False);
            Assert.That(device.TrayOpen, Is.True);
            Assert.That(TrayEvents(), Is.EqualTo(new[] { true }));
        });
    }

    [Test]
    public void Eject_NonRemovableDevice_Refused()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "hd0" }, new NullNodeOptions());
        backend.AttachDevice(TestDevice.HardDisk(), "disk0");

        Assert.That(() => _h.Layer.Media.Eject(backend),
            Throws.TypeOf<BlockOperationException>().With.Message.EqualTo("Device 'hd0' is not removable"));
    }

    [Test]
    public void RemoveMedium_TraylessDevice_NotifiedAfterRemoval()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "fd0" }, new NullNodeOptions());
        var floppy = TestDevice.Floppy();
        floppy.Backend = backend;
        backend.AttachDevice(floppy, "floppy0");

        _h.Layer.Media.Eject(backend);

        Assert.Multiple(() =>
        {
            Assert.That(backend.IsInserted, Is.False);
            Assert.That(floppy.MediaChanges, Is.EqualTo(new[] { (false, false) }));
            Assert.That(TrayEvents(), Is.Empty, "a floppy drive has no tray");
        });
    }

    [Test]
    public void InsertMedium_TraylessDeviceRefusesLoad_RolledBack()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "fd0" });
        var floppy = TestDevice.Floppy();
        floppy.RefuseLoadWith = "Unsupported medium size";
        backend.AttachDevice(floppy, "floppy0");
        _h.Layer.Graph.Open(new NullNodeOptions { NodeName = "odd", Size = 1234 });

        Assert.That(() => _h.Layer.Media.InsertMedium(backend, "odd"),
            Throws.TypeOf<BlockOperationException>().With.Message.EqualTo("Unsupported medium size"));
        Assert.Multiple(() =>
        {
            Assert.That(backend.IsInserted, Is.False);
            Assert.That(_h.Layer.Graph.Find("odd")!.RefCount, Is.EqualTo(1), "only the creator's reference is left");
        });
    }

    [Test]
    public void Eject_NoDeviceAttached_BehavesAsClosedUnlockedTray()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "d0" }, new NullNodeOptions());

        _h.Layer.Media.Eject(backend);

        Assert.Multiple(() =>
        {
            Assert.That(backend.IsInserted, Is.False);
            Assert.That(TrayEvents(), Is.Empty);
        });
    }

    [Test]
    public void GuestEject_NoMedium_StillEmitsEvent()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "cd0" });
        backend.AttachDevice(TestDevice.CdRom(), "ide1-cd0");

        backend.GuestEject(trayOpen: true);

        Assert.That(_h.EventsOf<DeviceTrayMovedEvent>().Single(), Is.EqualTo(new DeviceTrayMovedEvent("cd0", "ide1-cd0", true)));
    }
}
