using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Emulator.Testing.Tests.Conformance;

/// <summary>
/// QMP commands and events give the same objects through the harness as through emu-system-x86_64's QMP socket:
/// one list of commands (run state, block queries, a tray event, errors) sent both ways, replies compared
/// whole (less the socket's <c>id</c>), events by name and data (less the timestamp).
/// </summary>
public class QmpConformanceTests
{
    private static readonly (string Command, JsonObject? Arguments, string? Event)[] Script =
    [
        ("query-status", null, null),
        ("stop", null, "STOP"),
        ("query-status", null, null),
        ("cont", null, "RESUME"),
        ("query-block", null, null),
        ("blockdev-open-tray", new JsonObject { ["id"] = "ide1-cd0" }, "DEVICE_TRAY_MOVED"),
        ("query-block", null, null),
        ("blockdev-close-tray", new JsonObject { ["id"] = "ide1-cd0" }, "DEVICE_TRAY_MOVED"),
        ("eject", new JsonObject { ["id"] = "nosuchdevice" }, null),
        ("query-nosuchcommand", null, null),
        ("query-status", new JsonObject { ["unexpected"] = 1 }, null),
        ("query-name", null, null),
    ];

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-qmp-conformance-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Script_SocketAndHarness_SameRepliesAndEvents()
    {
        var cd = Path.Combine(_dir, "cd.iso");
        File.WriteAllBytes(cd, new byte[1 << 20]);
        string[] options = ["-display", "none", "-nodefaults", "-drive", $"file={cd},if=ide,index=2,media=cdrom,format=raw"];

        var socket = OverSocket(options);
        var inProcess = InProcess(options);

        Assert.Multiple(() =>
        {
            Assert.That(inProcess, Is.EqualTo(socket));
            Assert.That(socket.Count(l => l.StartsWith("event ", StringComparison.Ordinal)), Is.EqualTo(4));
            Assert.That(socket, Has.Some.Contains("\"error\""));
        });
    }

    private List<string> OverSocket(string[] options)
    {
        var path = Path.Combine(_dir, "qmp.sock");
        using var process = Launcher.Start([.. options, "-qmp", $"unix:{path},server=on,wait=off", "-accel", "qtest"]);
        try
        {
            using var qmp = QmpLineClient.Connect(path);
            qmp.Execute("qmp_capabilities");
            var transcript = new List<string>();
            foreach (var (command, arguments, expected) in Script)
            {
                var reply = qmp.Execute(command, arguments?.DeepClone().AsObject());
                transcript.Add($"{command} => {reply.ToJsonString()}");
                if (expected is not null)
                {
                    transcript.Add(Event(qmp.WaitForEvent(expected)));
                }
            }

            return transcript;
        }
        finally
        {
            process.Kill();
            process.WaitForExit(30_000);
        }
    }

    private static List<string> InProcess(string[] options)
    {
        using var harness = QtestHarness.Start(options);
        var transcript = new List<string>();
        foreach (var (command, arguments, expected) in Script)
        {
            var reply = harness.Qmp(command, arguments?.DeepClone().AsObject());
            transcript.Add($"{command} => {reply.ToJsonString()}");
            if (expected is not null)
            {
                transcript.Add(Event(harness.WaitEvent(expected, TimeSpan.FromSeconds(30)) ?? throw new UnreachableException($"no {expected}")));
            }
        }

        return transcript;
    }

    private static string Event(JsonObject message) => $"event {message["event"]} {message["data"]?.ToJsonString()}";
}
