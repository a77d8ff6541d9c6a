using System.Text.Json;

namespace Emulator.Cli.Tests.Profile;

/// <summary>x-emu-io-trace-start/stop: tracing a running emulator from QMP.</summary>
[NonParallelizable]
public class IoTraceQmpTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-trace-qmp-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Qmp_StartStop_WritesACompleteTraceAndRefusesASecondStart()
    {
        var image = Path.Combine(_dir, "disk.img");
        File.WriteAllBytes(image, new byte[64 * 1024]);
        var socket = Path.Combine(_dir, "qmp.sock");
        var trace = Path.Combine(_dir, "trace.json");
        var status = -1;
        var run = new Thread(() => status = EmuCommand.Run(
            ["boot", "--qmp", $"unix:{socket}", "--hda", image, "--timeout", "60"], new StringReader(string.Empty), new StringWriter(), new StringWriter()));
        run.Start();
        using var qmp = QmpLineClient.Connect(socket);
        qmp.Execute("qmp_capabilities");

        var stopBeforeStart = qmp.Execute("x-emu-io-trace-stop");
        var start = qmp.Execute("x-emu-io-trace-start", new() { ["file"] = trace });
        var again = qmp.Execute("x-emu-io-trace-start", new() { ["file"] = trace });
        var stop = qmp.Execute("x-emu-io-trace-stop");
        qmp.Execute("quit");
        run.Join(TimeSpan.FromSeconds(30));
        using var document = JsonDocument.Parse(File.ReadAllBytes(trace));

        Assert.Multiple(() =>
        {
            Assert.That((string?)stopBeforeStart["error"]?["desc"], Is.EqualTo("No I/O trace is running"));
            Assert.That(start["return"], Is.Not.Null);
            Assert.That((string?)again["error"]?["desc"], Is.EqualTo("An I/O trace is already running"));
            Assert.That((long?)stop["return"]?["requests"], Is.GreaterThanOrEqualTo(0));
            Assert.That(document.RootElement.GetProperty("otherData").GetProperty("requests").GetInt64(), Is.EqualTo((long?)stop["return"]?["requests"]));
            Assert.That(status, Is.Zero);
        });
    }
}
