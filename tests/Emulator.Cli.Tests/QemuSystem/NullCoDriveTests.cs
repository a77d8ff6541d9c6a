namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// -drive with null-co as QEMU 7.2 opens it: driver=null-co makes the null-co node the root (no raw over it, size=
/// with suffixes), file.driver=null-co puts raw over a null-co protocol node. query-block's driver, format and size
/// are compared with the shared reference QEMU on the same command line.
/// </summary>
public class NullCoDriveTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-nullco-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCase("driver=null-co")]
    [TestCase("driver=null-co,size=1M,if=none")]
    [TestCase("driver=null-co,read-zeroes=on,if=none,id=d0")]
    [TestCase("if=none,file.driver=null-co,file.size=2M")]
    public void Drive_NullCo_SameNodeAsReferenceQemu(string drive)
    {
        var reference = SharedFolder.Find("qemu-qtest", "qemu-ref-system-x86_64");
        Assume.That(reference, Is.Not.Null, "../shared/qemu-qtest/qemu-ref-system-x86_64 is not there; the comparison needs it");

        var ours = Inserted(Launcher.Path(), drive);
        var qemu = Inserted(reference!, drive);

        Assert.That(ours, Is.EqualTo(qemu));
    }

    private string Inserted(string binary, string drive)
    {
        var socket = Path.Combine(_dir, $"qmp-{Path.GetFileName(binary)}.sock");
        using var machine = new QtestMachine(binary, _dir, ["-machine", "pc", "-drive", drive, "-qmp", $"unix:{socket},server=on,wait=off"]);
        using var qmp = QmpLineClient.Connect(socket);
        qmp.Execute("qmp_capabilities");
        var block = qmp.Execute("query-block")["return"]!.AsArray()[0]!;
        var inserted = block["inserted"]!;
        return $"{block["device"]} drv={inserted["drv"]} format={inserted["image"]!["format"]} size={inserted["image"]!["virtual-size"]} ro={inserted["ro"]}";
    }
}
