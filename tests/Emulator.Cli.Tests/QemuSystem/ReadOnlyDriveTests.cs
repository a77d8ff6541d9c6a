using System.Text.Json.Nodes;
using Emulator.Testing.Qos;

namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// Read-only drives under <c>emu system</c>, written to by a hostile guest over qtest: every way a drive
/// can be made read-only (-drive readonly=on with and without format=, -blockdev read-only=on,
/// blockdev-add, blockdev-change-medium read-only-mode) × every device that can write (virtio-blk,
/// floppy; ide-hd is refused as QEMU refuses it). Each test checks the image's bytes on disk afterwards;
/// the writable controls prove the same guest sequence does write.
/// </summary>
public class ReadOnlyDriveTests
{
    private const int Slot = 4;
    private const int DiskBytes = 1 << 20;
    private const int FloppyBytes = 1_474_560;
    private const byte Original = 0x5A;
    private const byte GuestFill = 0xC3;

    /// <summary>virtio 1.2 section 5.2.3 VIRTIO_BLK_F_RO, 5.2.6 status values.</summary>
    private const uint FeatureReadOnly = 1u << 5;
    private const uint StatusOk = 0;
    private const uint StatusIoErr = 1;

    /// <summary>82078: ST0 abnormal termination (IC = 01), ST1 NW (not writable), ST3 WP.</summary>
    private const uint St0InterruptCodeMask = 0xC0;
    private const uint St0AbnormalTermination = 0x40;
    private const uint St1NotWritable = 0x02;
    private const uint St3WriteProtected = 0x40;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-readonly-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCase("format=raw,")]
    [TestCase("")]
    public void VirtioOut_DriveReadOnly_IoErrFeatureRoAndFileUnchanged(string format)
    {
        var image = Image("vd1.img", DiskBytes);
        using var machine = new QtestMachine(
            _dir, "-drive", $"if=none,id=vd1,file={image},{format}readonly=on", "-device", $"virtio-blk-pci,drive=vd1,addr={Slot:x2}.0");
        var guest = new VirtioBlkLegacy(new PciBus(new SocketQtest(machine.Qtest)).At(Slot)!, GuestAllocator.ForPc(128 << 20));
        guest.Initialize();

        var features = guest.ReadHostFeatures();
        var status = guest.WriteSector(1, GuestFill);

        Assert.Multiple(() =>
        {
            Assert.That(features & FeatureReadOnly, Is.EqualTo(FeatureReadOnly), "VIRTIO_BLK_F_RO offered");
            Assert.That(status, Is.EqualTo(StatusIoErr));
            Assert.That(File.ReadAllBytes(image), Is.All.EqualTo(Original));
        });
    }

    [Test]
    public void VirtioOut_WritableDrive_StatusOkAndSectorOnDisk()
    {
        var image = Image("vd1.img", DiskBytes);
        using (var machine = new QtestMachine(
            _dir, "-drive", $"if=none,id=vd1,file={image},format=raw", "-device", $"virtio-blk-pci,drive=vd1,addr={Slot:x2}.0"))
        {
            var guest = new VirtioBlkLegacy(new PciBus(new SocketQtest(machine.Qtest)).At(Slot)!, GuestAllocator.ForPc(128 << 20));
            guest.Initialize();

            Assert.That(guest.WriteSector(1, GuestFill), Is.EqualTo(StatusOk));
        }

        Assert.That(File.ReadAllBytes(image).AsSpan(VirtioBlkLegacy.Sector, VirtioBlkLegacy.Sector).ToArray(), Is.All.EqualTo(GuestFill));
    }

    [Test]
    public void VirtioOut_BlockdevReadOnly_IoErrAndFileUnchanged()
    {
        var image = Image("vd1.img", DiskBytes);
        using var machine = new QtestMachine(
            _dir, "-blockdev", $"driver=raw,node-name=vd1,read-only=on,file.driver=file,file.filename={image}",
            "-device", $"virtio-blk-pci,drive=vd1,addr={Slot:x2}.0");
        var guest = new VirtioBlkLegacy(new PciBus(new SocketQtest(machine.Qtest)).At(Slot)!, GuestAllocator.ForPc(128 << 20));
        guest.Initialize();

        var features = guest.ReadHostFeatures();
        var status = guest.WriteSector(1, GuestFill);

        Assert.Multiple(() =>
        {
            Assert.That(features & FeatureReadOnly, Is.EqualTo(FeatureReadOnly));
            Assert.That(status, Is.EqualTo(StatusIoErr));
            Assert.That(File.ReadAllBytes(image), Is.All.EqualTo(Original));
        });
    }

    [TestCase("format=raw,")]
    [TestCase("")]
    public void FloppyWriteData_DriveReadOnly_NotWritableAndFileUnchanged(string format)
    {
        var image = Image("fd.img", FloppyBytes);
        using var machine = new QtestMachine(_dir, "-drive", $"if=floppy,file={image},{format}readonly=on");
        var guest = new FloppyController(new SocketQtest(machine.Qtest), GuestAllocator.ForPc(128 << 20));

        AssertWriteRefused(guest, image);
    }

    [Test]
    public void FloppyWriteData_WritableDrive_SectorOnDisk()
    {
        var image = Image("fd.img", FloppyBytes);
        byte[]? result;
        using (var machine = new QtestMachine(_dir, "-drive", $"if=floppy,file={image},format=raw"))
        {
            result = new FloppyController(new SocketQtest(machine.Qtest), GuestAllocator.ForPc(128 << 20)).WriteSector(2, GuestFill);
        }

        Assert.Multiple(() =>
        {
            Assert.That(result?[0] & St0InterruptCodeMask, Is.Zero, "normal termination");
            Assert.That(File.ReadAllBytes(image).AsSpan(FloppyController.Sector, FloppyController.Sector).ToArray(), Is.All.EqualTo(GuestFill));
        });
    }

    [Test]
    public void FloppyWriteData_BlockdevAddReadOnlyInserted_NotWritableAndFileUnchanged()
    {
        var image = Image("fd.img", FloppyBytes);
        using var machine = new QtestMachine(_dir, "-device", "floppy,id=fd0", "-qmp", $"unix:{_dir}/qmp.sock,server=on,wait=off");
        using var qmp = QmpLineClient.Connect(Path.Combine(_dir, "qmp.sock"));
        qmp.Execute("qmp_capabilities");
        var added = qmp.Execute("blockdev-add", new JsonObject
        {
            ["driver"] = "raw",
            ["node-name"] = "ro0",
            ["read-only"] = true,
            ["file"] = new JsonObject { ["driver"] = "file", ["filename"] = image },
        });
        var inserted = qmp.Execute("blockdev-insert-medium", new JsonObject { ["id"] = "fd0", ["node-name"] = "ro0" });

        Assert.Multiple(() =>
        {
            Assert.That(added.ContainsKey("return"), added.ToJsonString());
            Assert.That(inserted.ContainsKey("return"), inserted.ToJsonString());
        });
        AssertWriteRefused(new FloppyController(new SocketQtest(machine.Qtest), GuestAllocator.ForPc(128 << 20)), image);
    }

    [Test]
    public void FloppyWriteData_ChangeMediumReadOnlyMode_NotWritableAndFileUnchanged()
    {
        var writable = Image("first.img", FloppyBytes);
        var image = Image("fd.img", FloppyBytes);
        using var machine = new QtestMachine(
            _dir, "-drive", $"if=floppy,id=fd0,file={writable},format=raw", "-qmp", $"unix:{_dir}/qmp.sock,server=on,wait=off");
        using var qmp = QmpLineClient.Connect(Path.Combine(_dir, "qmp.sock"));
        qmp.Execute("qmp_capabilities");
        var changed = qmp.Execute("blockdev-change-medium", new JsonObject
        {
            ["device"] = "fd0",
            ["filename"] = image,
            ["format"] = "raw",
            ["read-only-mode"] = "read-only",
        });

        Assert.That(changed.ContainsKey("return"), changed.ToJsonString());
        AssertWriteRefused(new FloppyController(new SocketQtest(machine.Qtest), GuestAllocator.ForPc(128 << 20)), image);
    }

    [Test]
    public void QueryBlock_ReadOnlyDriveAndCdrom_RoTrue()
    {
        var image = Image("vd1.img", DiskBytes);
        var iso = Image("cd.iso", DiskBytes);
        using var machine = new QtestMachine(
            _dir, "-drive", $"if=none,id=vd1,file={image},format=raw,readonly=on", "-device", $"virtio-blk-pci,drive=vd1,addr={Slot:x2}.0",
            "-drive", $"if=ide,index=2,media=cdrom,file={iso},format=raw,readonly=off", "-qmp", $"unix:{_dir}/qmp.sock,server=on,wait=off");
        using var qmp = QmpLineClient.Connect(Path.Combine(_dir, "qmp.sock"));
        qmp.Execute("qmp_capabilities");

        var blocks = qmp.Execute("query-block")["return"]!.AsArray();
        bool? ReadOnly(string device) => blocks.FirstOrDefault(b => (string?)b!["device"] == device)?["inserted"]?["ro"]?.GetValue<bool>();

        Assert.Multiple(() =>
        {
            Assert.That(ReadOnly("vd1"), Is.True);
            Assert.That(ReadOnly("ide1-cd0"), Is.True, "media=cdrom is read-only whatever readonly= says, as in QEMU's drive_new");
        });
    }

    [TestCase("-drive", "if=ide,format=raw,readonly=on,file=")]
    [TestCase("-drive", "if=none,id=d0,format=raw,readonly=on,file=")]
    public void IdeHd_ReadOnlyDrive_RefusedAsQemuRefusesIt(string option, string value)
    {
        var image = Image("hd.img", DiskBytes);
        string[] args = value.StartsWith("if=none", StringComparison.Ordinal)
            ? [option, value + image, "-device", "ide-hd,drive=d0"]
            : [option, value + image];
        using var process = Launcher.Start(["-accel", "qtest", "-display", "none", "-nodefaults", .. args]);
        var error = process.StandardError.ReadToEnd();
        Assert.That(process.WaitForExit(30_000), Is.True);

        Assert.Multiple(() =>
        {
            Assert.That(process.ExitCode, Is.EqualTo(1));
            Assert.That(error, Does.Contain("Block node is read-only"));
        });
    }

    private static void AssertWriteRefused(FloppyController guest, string image)
    {
        var st3 = guest.SenseDrive();
        var result = guest.WriteSector(2, GuestFill);

        Assert.Multiple(() =>
        {
            Assert.That(st3 & St3WriteProtected, Is.EqualTo(St3WriteProtected), "SENSE DRIVE STATUS reports write protect");
            Assert.That(result, Is.Not.Null, "WRITE DATA reached its result phase");
            Assert.That(result?[0] & St0InterruptCodeMask, Is.EqualTo(St0AbnormalTermination));
            Assert.That(result?[1] & St1NotWritable, Is.EqualTo(St1NotWritable));
            Assert.That(File.ReadAllBytes(image), Is.All.EqualTo(Original));
        });
    }

    private string Image(string name, int bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, [.. Enumerable.Repeat(Original, bytes)]);
        return path;
    }
}
