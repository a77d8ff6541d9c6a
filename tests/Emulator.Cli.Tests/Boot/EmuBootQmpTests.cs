
namespace Emulator.Cli.Tests.Boot;

/// <summary><c>emu boot --qmp</c>: the monitor drives the running machine over a Unix socket.</summary>
public class EmuBootQmpTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-boot-qmp-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Qmp_StatusStopContBlockQuit_AgainstRunningMachine()
    {
        var image = Path.Combine(_dir, "disk.img");
        File.WriteAllBytes(image, new byte[64 * 1024]);
        var socket = Path.Combine(_dir, "qmp.sock");
        var output = new StringWriter();
        var status = -1;
        var run = new Thread(() => status = EmuCommand.Run(
            ["boot", "--qmp", $"unix:{socket}", "--hda", image, "--timeout", "60"], new StringReader(string.Empty), output, new StringWriter()));
        var errors = new StringWriter();
        run.Start();
        using var qmp = QmpLineClient.Connect(socket);

        try
        {
            qmp.Execute("qmp_capabilities");
        }
        catch (IOException e)
        {
            run.Join(TimeSpan.FromSeconds(10));
            Assert.Fail($"QMP went away at negotiation ({e.Message}); emu boot returned {status}; output:\n{output}");
        }

        var running = qmp.Execute("query-status");
        qmp.Execute("stop");
        var stopEvent = qmp.WaitForEvent("STOP");
        var paused = qmp.Execute("query-status");
        qmp.Execute("cont");
        qmp.WaitForEvent("RESUME");
        var block = qmp.Execute("query-block");
        qmp.Execute("quit");
        var shutdown = qmp.WaitForEvent("SHUTDOWN");
        var exited = run.Join(TimeSpan.FromSeconds(30));

        Assert.Multiple(() =>
        {
            Assert.That((string?)running["return"]?["status"], Is.EqualTo("running"));
            Assert.That(stopEvent["timestamp"], Is.Not.Null);
            Assert.That((string?)paused["return"]?["status"], Is.EqualTo("paused"));
            Assert.That((string?)block["return"]?[0]?["device"], Is.EqualTo("ide0-hd0"));
            Assert.That((long?)block["return"]?[0]?["inserted"]?["image"]?["virtual-size"], Is.EqualTo(64 * 1024));
            Assert.That((string?)shutdown["data"]?["reason"], Is.EqualTo("host-qmp-quit"));
            Assert.That(exited, Is.True, "quit ends emu boot");
            Assert.That(status, Is.Zero);
        });
    }
}
