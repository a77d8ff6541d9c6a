namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// query-block's qdev for virtio-blk-pci: the block device is the proxy's virtio-backend child, which has no id,
/// so QEMU names its QOM path (/machine/peripheral/ID/virtio-backend, or peripheral-anon/device[N] without an
/// id, as for -drive if=virtio). Compared with the shared reference QEMU on the same command line.
/// </summary>
public class QueryBlockQdevTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-qdev-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCase("-drive", "if=virtio,file=null-co://,format=raw")]
    [TestCase("-drive", "if=virtio,file=null-co://,format=raw", "-drive", "if=virtio,file=null-co://,format=raw")]
    [TestCase("-drive", "if=none,id=d1,file=null-co://,format=raw", "-device", "virtio-blk-pci,drive=d1,id=dev1")]
    [TestCase("-drive", "if=none,id=d1,file=null-co://,format=raw", "-device", "virtio-blk-pci,drive=d1")]
    public void QueryBlock_VirtioBlk_QdevAsReferenceQemu(params string[] args)
    {
        var reference = SharedFolder.Find("qemu-qtest", "qemu-ref-system-x86_64");
        Assume.That(reference, Is.Not.Null, "../shared/qemu-qtest/qemu-ref-system-x86_64 is not there; the comparison needs it");

        var ours = Qdevs(Launcher.Path(), args);
        var qemu = Qdevs(reference!, args);

        Assert.That(ours, Is.EqualTo(qemu).And.Contain("virtio-backend"));
    }

    private string Qdevs(string binary, string[] args)
    {
        var socket = Path.Combine(_dir, $"qmp-{Path.GetFileName(binary)}.sock");
        using var machine = new QtestMachine(binary, _dir, ["-machine", "pc", .. args, "-qmp", $"unix:{socket},server=on,wait=off"]);
        using var qmp = QmpLineClient.Connect(socket);
        qmp.Execute("qmp_capabilities");
        var blocks = qmp.Execute("query-block")["return"]!.AsArray();
        return string.Join("; ", blocks.Select(b => $"{b!["device"]}={b["qdev"]}"));
    }
}
