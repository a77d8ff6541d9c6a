using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Emulator.Testing.Qos;

namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// virtio-blk-pci hotplug as QEMU's qtests drive it (libqos qpci_plug_device_test /
/// qpci_unplug_acpi_device_test): device_add and device_del over a QMP socket, the PCI slot and
/// the ACPI hotplug registers read over the qtest socket, the eject written there too.
/// </summary>
public class HotplugTests
{
    /// <summary>libqos's PCI_SLOT_HP.</summary>
    private const int Slot = 6;
    private const uint SlotBit = 1u << Slot;

    /// <summary>Where the command line's -device virtio-blk-pci,id=cold sits.</summary>
    private const int ColdSlot = 5;

    /// <summary>Configuration mechanism #1 (PCI 3.0 section 3.2.2.3.2): enable bit, bus 0, device in bits 15:11.</summary>
    private const uint ConfigAddress = 0x8000_0000 | (Slot << 11);
    private const ushort ConfigAddressPort = 0xCF8;
    private const ushort ConfigDataPort = 0xCFC;

    /// <summary>QEMU's ACPI PCI hotplug block (docs/specs/acpi_pci_hotplug.rst).</summary>
    private const ushort PciUp = 0xAE00;
    private const ushort PciDown = 0xAE04;
    private const ushort PciEject = 0xAE08;
    private const ushort PciRemovable = 0xAE0C;

    /// <summary>GPE0 status and enable halves; bit 1 is PCI hotplug; SCI is GSI 9.</summary>
    private const ushort GpeStatus = 0xAFE0;
    private const ushort GpeEnable = 0xAFE2;
    private const uint GpePciHotplug = 1 << 1;
    private const int SciIrq = 9;

    /// <summary>Every byte of the test disk, so data read back cannot be untouched zeroed RAM.</summary>
    private const byte DiskFill = 0x5A;

    private string _dir = null!;
    private Process _process = null!;
    private Socket _qtestSocket = null!;
    private Socket _qmpSocket = null!;
    private LineChannel _qtest = null!;
    private QmpLineClient _qmp = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("emu-hotplug-").FullName;
        var disk = Path.Combine(_dir, "disk.img");
        File.WriteAllBytes(disk, [.. Enumerable.Repeat(DiskFill, 1 << 20)]);
        var cold = Path.Combine(_dir, "cold.img");
        File.WriteAllBytes(cold, new byte[1 << 20]);
        using var qtestListener = Listen("qtest.sock");
        using var qmpListener = Listen("qmp.sock");
        _process = Launcher.Start(
            "-qtest", $"unix:{_dir}/qtest.sock", "-accel", "qtest", "-display", "none", "-nodefaults",
            "-chardev", $"socket,path={_dir}/qmp.sock,id=char0", "-mon", "chardev=char0,mode=control",
            "-drive", $"file={disk},if=none,id=drive1,format=raw",
            "-drive", $"file={cold},if=none,id=drive0,format=raw", "-device", $"virtio-blk-pci,drive=drive0,id=cold,addr={ColdSlot:x2}.0");
        if (!qtestListener.Poll(TimeSpan.FromSeconds(30), SelectMode.SelectRead))
        {
            _process.Kill();
            Assert.Fail($"emu-system-x86_64 did not connect: {_process.StandardError.ReadToEnd()}");
        }

        _qtestSocket = qtestListener.Accept();
        _qmpSocket = qmpListener.Accept();
        _qtest = new LineChannel(_qtestSocket);
        _qmp = new QmpLineClient(_qmpSocket);
        _qmp.Execute("qmp_capabilities");
    }

    [TearDown]
    public void TearDown()
    {
        _qmp.Dispose();
        _qtest.Dispose();
        _qtestSocket.Dispose();
        _qmpSocket.Dispose();
        _process.Kill();
        _process.WaitForExit(30_000);
        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void DeviceAdd_VirtioBlk_SlotAnswersAndUpBitSet()
    {
        var reply = AddDisk("drv1");
        var id = ConfigRead(0);
        var up = _qtest.Value($"inl 0x{PciUp:x}");
        var upAgain = _qtest.Value($"inl 0x{PciUp:x}");
        var gpe = _qtest.Value($"inb 0x{GpeStatus:x}");

        Assert.Multiple(() =>
        {
            Assert.That(reply.ContainsKey("return"), Is.True, reply.ToJsonString());
            Assert.That(id, Is.EqualTo(0x1001_1AF4u), "transitional virtio-blk 1AF4:1001");
            Assert.That(up, Is.EqualTo(SlotBit));
            Assert.That(upAgain, Is.Zero, "PCIU clears when read");
            Assert.That(gpe & GpePciHotplug, Is.EqualTo(GpePciHotplug));
        });
    }

    [Test]
    public void DeviceAdd_GpeEnabled_RaisesSci()
    {
        _qtest.Command("irq_intercept_in ioapic");
        _qtest.Command($"outb 0x{GpeEnable:x} 0x{GpePciHotplug:x}");
        AddDisk("drv1");
        _qtest.Command($"inb 0x{GpeStatus:x}");
        var beforeClear = _qtest.Asynchronous.ToList();
        _qtest.Command($"outb 0x{GpeStatus:x} 0x{GpePciHotplug:x}");

        Assert.Multiple(() =>
        {
            Assert.That(beforeClear, Is.EqualTo(new[] { $"IRQ raise {SciIrq}" }));
            Assert.That(_qtest.Asynchronous, Is.EqualTo(new[] { $"IRQ raise {SciIrq}", $"IRQ lower {SciIrq}" }), "writing the status bit back clears it and SCI");
        });
    }

    [Test]
    public void DeviceDel_SetsDownBitAndKeepsDevice()
    {
        AddDisk("drv1");
        var reply = _qmp.Execute("device_del", new JsonObject { ["id"] = "drv1" });
        var down = _qtest.Value($"inl 0x{PciDown:x}");
        var id = ConfigRead(0);

        Assert.Multiple(() =>
        {
            Assert.That(reply.ContainsKey("return"), Is.True, reply.ToJsonString());
            Assert.That(down, Is.EqualTo(SlotBit));
            Assert.That(id, Is.EqualTo(0x1001_1AF4u), "the device stays until the guest ejects it");
        });
    }

    [Test]
    public void Eject_AfterDeviceDel_DeletedEventsAndSlotEmpty()
    {
        AddDisk("drv1");
        _qmp.Execute("device_del", new JsonObject { ["id"] = "drv1" });
        _qtest.Command($"outl 0x{PciEject:x} 0x{SlotBit:x}");
        var backendChild = _qmp.WaitForEvent("DEVICE_DELETED");
        var proxy = _qmp.WaitForEvent("DEVICE_DELETED");
        var vendor = ConfigRead(0) & 0xFFFF;
        var down = _qtest.Value($"inl 0x{PciDown:x}");
        var blocks = _qmp.Execute("query-block");

        Assert.Multiple(() =>
        {
            Assert.That(backendChild["data"]!.ToJsonString(), Is.EqualTo("{\"path\":\"/machine/peripheral/drv1/virtio-backend\"}"));
            Assert.That(proxy["data"]!.ToJsonString(), Is.EqualTo("{\"device\":\"drv1\",\"path\":\"/machine/peripheral/drv1\"}"));
            Assert.That(vendor, Is.EqualTo(0xFFFFu), "an empty slot reads all ones");
            Assert.That(down, Is.Zero);
            Assert.That(blocks["return"]!.AsArray().Select(b => (string?)b!["device"]), Does.Not.Contain("drive1"), "as QEMU, a -drive's backend goes with its device");
        });
    }

    [Test]
    public void DeviceDel_ColdPlugged_EjectDeletes()
    {
        _qmp.Execute("device_del", new JsonObject { ["id"] = "cold" });
        var down = _qtest.Value($"inl 0x{PciDown:x}");
        _qtest.Command($"outl 0x{PciEject:x} 0x{1u << ColdSlot:x}");
        var backendChild = _qmp.WaitForEvent("DEVICE_DELETED");
        var proxy = _qmp.WaitForEvent("DEVICE_DELETED");

        Assert.Multiple(() =>
        {
            Assert.That(down, Is.EqualTo(1u << ColdSlot));
            Assert.That((string?)backendChild["data"]?["path"], Is.EqualTo("/machine/peripheral/cold/virtio-backend"));
            Assert.That((string?)proxy["data"]?["device"], Is.EqualTo("cold"));
        });
    }

    [Test]
    public void DeviceAdd_AfterUnplug_DriveIsGoneAsInQemu()
    {
        AddDisk("drv1");
        _qmp.Execute("device_del", new JsonObject { ["id"] = "drv1" });
        _qtest.Command($"outl 0x{PciEject:x} 0x{SlotBit:x}");
        _qmp.WaitForEvent("DEVICE_DELETED");
        var again = AddDisk("drv1");

        Assert.That((string?)again["error"]?["desc"], Is.EqualTo("Property 'virtio-blk-device.drive' can't find value 'drive1'"));
    }

    [Test]
    public void DeviceAdd_WhileRunning_GuestReadsThroughNewDevice()
    {
        AddDisk("drv1");
        var guest = new VirtioBlkLegacy(new PciBus(new SocketQtest(_qtest)).At(Slot)!, GuestAllocator.ForPc(128 << 20));
        guest.Initialize();

        var result = guest.ReadSector(0);

        Assert.Multiple(() =>
        {
            Assert.That(result, Is.Not.Null, "the used ring never moved");
            Assert.That(result?.Status, Is.Zero, "VIRTIO_BLK_S_OK");
            Assert.That(result?.Data, Is.EqualTo(Enumerable.Repeat(DiskFill, VirtioBlkLegacy.Sector)));
        });
    }

    [Test]
    public void Removable_ChipsetSlotsClear()
    {
        var removable = _qtest.Value($"inl 0x{PciRemovable:x}");

        Assert.That(removable & 0b11, Is.Zero, "host bridge and PIIX3 cannot be unplugged");
    }

    [Test]
    public void DeviceDel_UnknownId_DeviceNotFound()
    {
        var reply = _qmp.Execute("device_del", new JsonObject { ["id"] = "nope" });

        Assert.Multiple(() =>
        {
            Assert.That((string?)reply["error"]?["class"], Is.EqualTo("DeviceNotFound"));
            Assert.That((string?)reply["error"]?["desc"], Is.EqualTo("Device 'nope' not found"));
        });
    }

    [Test]
    public void DeviceAdd_DuplicateId_Refused()
    {
        AddDisk("drv1");
        var reply = _qmp.Execute("device_add", new JsonObject { ["driver"] = "virtio-blk-pci", ["id"] = "drv1", ["drive"] = "drive1" });

        Assert.That((string?)reply["error"]?["desc"], Is.EqualTo("Duplicate device ID 'drv1'"));
    }

    [Test]
    public void DeviceAdd_DriveInUse_Refused()
    {
        AddDisk("drv1");
        var reply = _qmp.Execute("device_add", new JsonObject { ["driver"] = "virtio-blk-pci", ["id"] = "drv2", ["drive"] = "drive1" });

        Assert.That((string?)reply["error"]?["desc"], Is.EqualTo("Drive 'drive1' is already in use by another device"));
    }

    [Test]
    public void DeviceDel_Twice_AlreadyInProcess()
    {
        AddDisk("drv1");
        _qmp.Execute("device_del", new JsonObject { ["id"] = "drv1" });
        var reply = _qmp.Execute("device_del", new JsonObject { ["id"] = "drv1" });

        Assert.That((string?)reply["error"]?["desc"], Is.EqualTo("Device drv1 is already in the process of unplug"));
    }

    [Test]
    public void DeviceDel_RepeatAfterFiveVirtualSeconds_Accepted()
    {
        AddDisk("drv1");
        _qmp.Execute("device_del", new JsonObject { ["id"] = "drv1" });
        _qtest.Command("clock_step 5000000000");
        var reply = _qmp.Execute("device_del", new JsonObject { ["id"] = "drv1" });

        Assert.That(reply.ContainsKey("return"), Is.True, reply.ToJsonString());
    }

    [TestCase("{\"driver\":\"virtio-blk-pci\",\"id\":\"x\"}", "drive property not set")]
    [TestCase("{\"driver\":\"virtio-blk-pci\",\"id\":\"x\",\"drive\":\"nope\"}", "Property 'virtio-blk-device.drive' can't find value 'nope'")]
    [TestCase("{\"driver\":\"frob\"}", "'frob' is not a valid device model name")]
    [TestCase("{\"driver\":\"ide-hd\",\"drive\":\"drive1\"}", "Bus 'ide.0' does not support hotplugging")]
    public void DeviceAdd_Bad_QemuMessage(string arguments, string desc)
    {
        var reply = _qmp.Execute("device_add", JsonNode.Parse(arguments)!.AsObject());

        Assert.That((string?)reply["error"]?["desc"], Is.EqualTo(desc));
    }

    /// <summary>HMP drive_add/drive_del replies, each as the reference QEMU 7.2 gives it (errors bare, as error_report prints them).</summary>
    [TestCase("drive_add 0 if=none,id=drive9", "OK\r\n")]
    [TestCase("drive_add 0 if=none,id=drive1", "Duplicate ID 'drive1' for drive\r\n")]
    [TestCase("drive_add 0 if=ide,id=drive9,media=cdrom", "Can't hot-add drive to type 1\r\n")]
    [TestCase("drive_add 0 if=none,id=drive9,file=/nonexistent", "Could not open '/nonexistent': No such file or directory\r\n")]
    [TestCase("drive_add 0", "drive_add: string expected\r\nTry \"help drive_add\" for more information\r\n")]
    [TestCase("drive_del", "drive_del: block device name expected\r\nTry \"help drive_del\" for more information\r\n")]
    [TestCase("drive_del nosuch", "Device 'nosuch' not found\r\n")]
    [TestCase("drive_del drive1", "")]
    public void Hmp_DriveAddOrDel_QemuReply(string command, string expected)
    {
        Assert.That(Hmp(command), Is.EqualTo(expected));
    }

    [Test]
    public void DriveDel_UnusedDrive_GoneAndIdFreeAgain()
    {
        Hmp("drive_del drive1");
        var blocks = (JsonArray)_qmp.Execute("query-block")["return"]!;
        var again = Hmp("drive_add 0 if=none,id=drive1");

        Assert.Multiple(() =>
        {
            Assert.That(blocks.Select(b => (string?)b!["device"]), Is.EquivalentTo(new[] { "drive0" }));
            Assert.That(again, Is.EqualTo("OK\r\n"));
        });
    }

    [Test]
    public void DriveDel_DriveOfPluggedDevice_DeviceKeepsEmptyAnonymousBackend()
    {
        Hmp("drive_del drive0");
        var blocks = (JsonArray)_qmp.Execute("query-block")["return"]!;
        var anonymous = blocks.Single(b => (string?)b!["device"] == string.Empty)!;

        Assert.That(anonymous.AsObject().ContainsKey("inserted"), Is.False, anonymous.ToJsonString());
    }

    [Test]
    public void DeviceAdd_EmptyDrive_DeviceNeedsMedia()
    {
        Hmp("drive_add 0 if=none,id=empty");
        var reply = _qmp.Execute("device_add", new JsonObject { ["driver"] = "virtio-blk-pci", ["drive"] = "empty", ["id"] = "e" });

        Assert.That((string?)reply["error"]?["desc"], Is.EqualTo("Device needs media, but drive is empty"));
    }

    private string? Hmp(string command) =>
        (string?)_qmp.Execute("human-monitor-command", new JsonObject { ["command-line"] = command })["return"];

    private JsonObject AddDisk(string id) =>
        _qmp.Execute("device_add", new JsonObject { ["driver"] = "virtio-blk-pci", ["drive"] = "drive1", ["id"] = id, ["addr"] = $"0x{Slot:x2}.0" });

    private uint ConfigRead(int offset)
    {
        _qtest.Command($"outl 0x{ConfigAddressPort:x} 0x{ConfigAddress + (uint)offset:x}");
        return _qtest.Value($"inl 0x{ConfigDataPort:x}");
    }

    private Socket Listen(string name)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(_dir, name)));
        socket.Listen(1);
        return socket;
    }
}
