using System.Diagnostics;
using System.Text.Json.Nodes;
using Emulator.Block.Backend;
using Emulator.Monitor.Tests.Support;

namespace Emulator.Monitor.Tests.Qmp;

/// <summary>
/// Runs one QMP script against Debian's qemu-system-x86_64 and against our monitor, then compares
/// the replies: the same success/failure, the same error class and the same desc. Return values
/// are compared where they do not name host-specific things. Skipped when QEMU is not installed.
/// </summary>
[Category("Differential")]
public class QmpDifferentialTests
{
    private static readonly string[] Script =
    [
        "{\"execute\":\"query-status\"}",
        "{\"execute\":\"qmp_capabilities\"}",
        "{\"execute\":\"qmp_capabilities\"}",
        "{\"execute\":\"foo\"}",
        "[1]",
        "{\"foo\":1}",
        "{\"id\":1}",
        "{\"execute\":5}",
        "{\"execute\":\"query-block\",\"arguments\":[]}",
        "{\"execute\":\"query-block\",\"arguments\":{\"x\":1}}",
        "{\"execute\":\"eject\"}",
        "{\"execute\":\"eject\",\"arguments\":{\"device\":\"nope\"}}",
        "{\"execute\":\"eject\",\"arguments\":{\"device\":5}}",
        "{\"execute\":\"blockdev-open-tray\",\"arguments\":{\"device\":\"d1\",\"id\":\"x\"}}",
        "{\"execute\":\"blockdev-remove-medium\",\"arguments\":{\"id\":\"nope\"}}",
        "{\"execute\":\"blockdev-add\",\"arguments\":{\"node-name\":\"n1\",\"driver\":\"null-co\",\"size\":4096}}",
        "{\"execute\":\"blockdev-add\",\"arguments\":{\"node-name\":\"n1\",\"driver\":\"null-co\"}}",
        "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"bogus\"}}",
        "{\"execute\":\"blockdev-add\",\"arguments\":{\"node-name\":\"n2\"}}",
        "{\"execute\":\"blockdev-add\",\"arguments\":{\"node-name\":\"n3\",\"driver\":\"null-co\",\"bogus\":1}}",
        "{\"execute\":\"blockdev-add\",\"arguments\":{\"node-name\":\"n4\",\"driver\":\"raw\",\"file\":\"n1\"}}",
        "{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"n1\"}}",
        "{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"zz\"}}",
        "{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"n4\"}}",
        "{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"n1\"}}",
        "{\"execute\":\"block_resize\",\"arguments\":{\"device\":\"zz\",\"size\":8192}}",
        "{\"execute\":\"block_resize\",\"arguments\":{\"device\":\"d1\",\"size\":-1}}",
        "{\"execute\":\"block_resize\",\"arguments\":{\"device\":\"d1\",\"size\":8192}}",
        "{\"execute\":\"query-block\",\"id\":\"q\"}",
        // QEMU's JSON dialect and its malformed-input answers (what QEMU's own qmp-test sends).
        "{'execute': 'query-name', 'id': 'single quotes'}",
        "{]",
        "%%p",
        "null",
        "{}",
        "{'execute': true}",
        "{'execute': 'no-such-cmd', 'extra': true}",
        "{'execute': 'query-status', 'execute': 'stop'}",
        "{'execute': 'query-status', 'id': nul}",
        "{'execute': 'query-status', 'id': '\\x'}",
        "{'execute': 'query-status', 'id': 18446744073709551615}",
        "{\"execute\":\"qom-list-types\",\"arguments\":{\"implements\":\"block-backend\"}}",
        "{\"execute\":\"qom-list-types\",\"arguments\":{\"implements\":5}}",
    ];

    private static string? FindQemu() =>
        Environment.GetEnvironmentVariable("PATH")?.Split(':')
            .Select(dir => Path.Combine(dir, "qemu-system-x86_64"))
            .FirstOrDefault(File.Exists);

    [Test]
    public void Script_SameRepliesAsQemu()
    {
        var qemu = FindQemu();
        Assume.That(qemu, Is.Not.Null, "qemu-system-x86_64 is not installed; the differential test needs it");
        using var h = new MonitorHarness();
        var image = h.CreateImage(4096, "d1.img");

        var theirs = RunQemu(qemu!, image);
        h.Layer.OpenImage(new BlockBackendOptions { Name = "d1" }, image, "raw");
        var ours = RunOurs(h);

        Assert.That(ours, Has.Count.EqualTo(Script.Length));
        Assert.That(theirs, Has.Count.EqualTo(Script.Length), "QEMU answered every line");
        Assert.Multiple(() =>
        {
            for (var i = 0; i < Script.Length; i++)
            {
                Assert.That(Normalise(ours[i]), Is.EqualTo(Normalise(theirs[i])), $"reply to {Script[i]}");
            }
        });
    }

    /// <summary>Error class and desc as they are; for a return, whether it is there, plus the device list of query-block.</summary>
    private static string Normalise(JsonObject reply)
    {
        if (reply["error"] is { } error)
        {
            return $"error {error["class"]}: {error["desc"]} id={reply["id"]?.ToJsonString()}";
        }

        var value = reply["return"];
        var shape = value is JsonArray list
            ? string.Join(",", list.Select(e => $"{e?["device"]}:{e?["removable"]}:{e?["inserted"]?["drv"]}:{e?["inserted"]?["image"]?["virtual-size"]}"))
            : value?.GetValueKind().ToString();
        return $"return {shape} id={reply["id"]?.ToJsonString()}";
    }

    private static List<JsonObject> RunQemu(string qemu, string image)
    {
        var start = new ProcessStartInfo(qemu)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "-M", "none", "-nodefaults", "-display", "none", "-qmp", "stdio", "-S",
                     "-drive", $"file={image},format=raw,if=none,id=d1" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var replies = new List<JsonObject>();
        var greeting = process.StandardOutput.ReadLine();
        Assert.That(greeting, Does.Contain("\"QMP\""));
        foreach (var line in Script)
        {
            process.StandardInput.WriteLine(line);
            process.StandardInput.Flush();
            replies.Add(ReadReply(process.StandardOutput));
        }

        process.StandardInput.WriteLine("{\"execute\":\"quit\"}");
        process.StandardInput.Close();
        if (!process.WaitForExit(10_000))
        {
            process.Kill();
        }

        return replies;
    }

    private static List<JsonObject> RunOurs(MonitorHarness h)
    {
        using var client = h.Connect(negotiate: false);
        return [.. Script.Select(client.SendRaw)];
    }

    private static JsonObject ReadReply(StreamReader output)
    {
        while (true)
        {
            var line = output.ReadLine() ?? throw new IOException("QEMU closed its QMP output.");
            var message = (JsonObject)JsonNode.Parse(line)!;
            if (!message.ContainsKey("event"))
            {
                return message;
            }
        }
    }
}
