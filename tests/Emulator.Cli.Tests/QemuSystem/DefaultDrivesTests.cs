using System.Text.Json.Nodes;

namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// QEMU's default drives on the pc machine (vl.c configure_blockdev): without -nodefaults an empty ide1-cd0, an
/// empty floppy0 and an unclaimed sd0 exist unless a -drive took their index or a -device/-global names a driver
/// that places such drives. Each case runs emu-system-x86_64 and the shared reference QEMU with the same command
/// line (QEMU's defaults left on) and compares what query-block lists and what CMOS tells the guest about floppies.
/// </summary>
public class DefaultDrivesTests
{
    private const int DiskBytes = 1 << 20;
    private const string Disk = "{disk}";

    /// <summary>MC146818 index and data ports; CMOS 10h holds the floppy drive types, 14h the equipment byte.</summary>
    private const ushort CmosIndex = 0x70;
    private const ushort CmosData = 0x71;
    private const byte CmosFloppyTypes = 0x10;
    private const byte CmosEquipment = 0x14;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-defaults-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCase]
    [TestCase("-nodefaults")]
    [TestCase("-global", "ide-hd.serial=abc")]
    [TestCase("-global", "isa-fdc.fdtypeA=144")]
    [TestCase("-drive", "if=ide,index=3,media=cdrom")]
    [TestCase("-drive", "if=floppy,index=1")]
    [TestCase("-drive", "file={disk},format=raw,if=ide,index=2")]
    [TestCase("-hdc", "{disk}")]
    [TestCase("-fda", "{disk}")]
    [TestCase("-drive", "if=none,id=d0", "-device", "ide-cd,drive=d0,bus=ide.0")]
    [TestCase("-snapshot")]
    public void QueryBlock_DefaultsLeftOn_SameDrivesAsReferenceQemu(params string[] args)
    {
        var reference = SharedFolder.Find("qemu-qtest", "qemu-ref-system-x86_64");
        Assume.That(reference, Is.Not.Null, "../shared/qemu-qtest/qemu-ref-system-x86_64 is not there; the comparison needs it");
        var arguments = Arguments(args);

        var ours = Drives(Launcher.Path(), arguments);
        var qemu = Drives(reference!, arguments);

        Assert.That(ours, Is.EqualTo(qemu));
    }

    [TestCase]
    [TestCase("-nodefaults")]
    [TestCase("-drive", "if=floppy,index=1")]
    [TestCase("-global", "isa-fdc.fdtypeA=144")]
    public void Cmos_DefaultFloppy_SameTypeAndEquipmentAsReferenceQemu(params string[] args)
    {
        var reference = SharedFolder.Find("qemu-qtest", "qemu-ref-system-x86_64");
        Assume.That(reference, Is.Not.Null, "../shared/qemu-qtest/qemu-ref-system-x86_64 is not there; the comparison needs it");
        var arguments = Arguments(args);

        var ours = FloppyCmos(Launcher.Path(), arguments);
        var qemu = FloppyCmos(reference!, arguments);

        Assert.That(ours, Is.EqualTo(qemu));
    }

    [Test]
    public void Cmos_DefaultEmptyFloppy_TwoPointEightyEightDriveA()
    {
        // QEMU's floppy drive falls back to a 2.88 MB drive without a medium (fdc "fallback" property): type 5 in
        // the high nibble, and the equipment byte says one diskette drive beside the coprocessor and mouse bits.
        var cmos = FloppyCmos(Launcher.Path(), Arguments([]));

        Assert.That(cmos, Is.EqualTo("OK 0x0050 OK 0x0007"));
    }

    [Test]
    public void Drive_SdOfTheUser_RefusedAsQemuRefusesIt()
    {
        using var process = Launcher.StartBinary(Launcher.Path(), ["-machine", "pc", "-accel", "qtest", "-display", "none", "-drive", "if=sd,index=1"]);
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();

        Assert.That(error.Trim(), Is.EqualTo("emu-system-x86_64: -drive if=sd,index=1: machine type does not support if=sd,bus=0,unit=1"));
    }

    /// <summary>query-block's drives with the members a front end decides: name, medium, removable, tray, io-status.</summary>
    private string Drives(string binary, string[] args)
    {
        var socket = Path.Combine(_dir, $"qmp-{Path.GetFileName(binary)}.sock");
        using var machine = new QtestMachine(binary, _dir, [.. args, "-qmp", $"unix:{socket},server=on,wait=off"], noDefaults: false);
        using var qmp = QmpLineClient.Connect(socket);
        qmp.Execute("qmp_capabilities");
        var blocks = qmp.Execute("query-block")["return"]!.AsArray();
        return string.Join("; ", blocks.Select(b => Describe(b!.AsObject())));
    }

    private static string Describe(JsonObject block) =>
        $"{block["device"]} inserted={block.ContainsKey("inserted")} removable={block["removable"]} tray={block["tray_open"]} " +
        $"io-status={block["io-status"]} attached={block.ContainsKey("qdev")}";

    private string FloppyCmos(string binary, string[] args)
    {
        using var machine = new QtestMachine(binary, _dir, args, noDefaults: false);
        machine.Qtest.Command($"outb 0x{CmosIndex:x} 0x{CmosFloppyTypes:x}");
        var types = machine.Qtest.Command($"inb 0x{CmosData:x}");
        machine.Qtest.Command($"outb 0x{CmosIndex:x} 0x{CmosEquipment:x}");
        var equipment = machine.Qtest.Command($"inb 0x{CmosData:x}");
        return $"{types} {equipment}";
    }

    private string[] Arguments(string[] args)
    {
        var disk = Path.Combine(_dir, "d.img");
        File.WriteAllBytes(disk, new byte[DiskBytes]);
        return ["-machine", "pc", .. args.Select(a => a.Replace(Disk, disk, StringComparison.Ordinal))];
    }
}
