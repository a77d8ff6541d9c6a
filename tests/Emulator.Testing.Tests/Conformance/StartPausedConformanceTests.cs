using System.Text.Json.Nodes;

namespace Emulator.Testing.Tests.Conformance;

/// <summary>
/// -S: the run states and events QEMU 7.2 reports from a machine started paused, through a stop, a
/// system_reset while paused and two conts: the reference QEMU over -qmp stdio, emu-system-x86_64 the same
/// way, and the harness. Replies are compared in order; events by name and data in order (QEMU sends RESET
/// before system_reset's return, the reply order between the two streams is not compared).
/// </summary>
public class StartPausedConformanceTests
{
    private static readonly string[] Script =
        ["query-status", "stop", "query-status", "cont", "query-status", "stop", "system_reset", "query-status", "cont", "query-status"];

    private static readonly string[] Options = ["-S", "-display", "none", "-machine", "pc", "-nodefaults"];

    [Test]
    public void Harness_StartPaused_PrelaunchUntilFirstCont()
    {
        var (replies, events) = InProcess();

        Assert.Multiple(() =>
        {
            Assert.That(replies[0], Is.EqualTo("{\"return\":{\"status\":\"prelaunch\",\"singlestep\":false,\"running\":false}}"));
            Assert.That(replies[2], Is.EqualTo(replies[0]), "stop in prelaunch changes nothing");
            Assert.That(replies[4], Does.Contain("\"running\""));
            Assert.That(replies[7], Is.EqualTo(replies[0]), "a reset while paused leads to prelaunch");
            Assert.That(events, Is.EqualTo(new[] { "RESUME", "STOP", "RESET {\"guest\":false,\"reason\":\"host-qmp-system-reset\"}", "RESUME" }));
        });
    }

    [Test]
    public void Script_ReferenceQemuSocketAndHarness_SameStatesAndEvents()
    {
        var reference = SharedFolder.Find("qemu-qtest", "qemu-ref-system-x86_64");
        Assume.That(reference, Is.Not.Null, "../shared/qemu-qtest/qemu-ref-system-x86_64 is not there; the comparison needs it");

        var qemu = OverStdio(reference!);
        var ours = OverStdio(Launcher.Path());
        var harness = InProcess();

        Assert.Multiple(() =>
        {
            Assert.That(ours.Replies, Is.EqualTo(qemu.Replies), "emu system replies");
            Assert.That(ours.Events, Is.EqualTo(qemu.Events), "emu system events");
            Assert.That(harness.Replies, Is.EqualTo(qemu.Replies), "harness replies");
            Assert.That(harness.Events, Is.EqualTo(qemu.Events), "harness events");
        });
    }

    private static (List<string> Replies, List<string> Events) InProcess()
    {
        using var harness = QtestHarness.Start([.. Options]);
        var replies = Script.Select(command => harness.Qmp(command).ToJsonString()).ToList();
        return (replies, [.. harness.PendingEvents.Select(Event)]);
    }

    private static (List<string> Replies, List<string> Events) OverStdio(string binary)
    {
        using var process = Launcher.StartWithInput(binary, [.. Options, "-qmp", "stdio", "-accel", "qtest"]);
        try
        {
            process.StandardInput.WriteLine("{\"execute\":\"qmp_capabilities\"}");
            foreach (var command in Script)
            {
                process.StandardInput.WriteLine($"{{\"execute\":\"{command}\"}}");
            }

            process.StandardInput.WriteLine("{\"execute\":\"quit\"}");
            process.StandardInput.Flush();
            var replies = new List<string>();
            var events = new List<string>();
            while (replies.Count < Script.Length + 2 && process.StandardOutput.ReadLine() is { } line)
            {
                var message = JsonNode.Parse(line)!.AsObject();
                if (message["event"] is not null)
                {
                    events.Add(Event(message));
                }
                else if (message["QMP"] is null)
                {
                    replies.Add(JsonNode.Parse(line)!.ToJsonString());
                }
            }

            // The capabilities reply first, quit's last (its SHUTDOWN event is the harness's Dispose, not compared).
            return (replies[1..^1], [.. events.Where(e => !e.StartsWith("SHUTDOWN", StringComparison.Ordinal))]);
        }
        finally
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(30_000))
            {
                process.Kill();
            }
        }
    }

    private static string Event(JsonObject message) => message["data"] is { } data ? $"{message["event"]} {data.ToJsonString()}" : $"{message["event"]}";
}
