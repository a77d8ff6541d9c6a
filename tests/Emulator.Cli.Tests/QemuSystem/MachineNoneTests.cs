using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// -machine none (QEMU's empty board, as qom-test and device-introspect start it): the same QMP
/// conversation and the same refused command lines run against emu-system-x86_64 and the installed
/// Debian qemu-system-x86_64, and the answers must be equal.
/// </summary>
public class MachineNoneTests
{
    private const string DebianQemu = "/usr/bin/qemu-system-x86_64";

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-none-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCase("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"virtio-blk-pci\",\"id\":\"v0\"}}")]
    [TestCase("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"ide-hd\",\"drive\":\"d0\"}}")]
    [TestCase("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"floppy\",\"drive\":\"d0\"}}")]
    [TestCase("{\"execute\":\"device_del\",\"arguments\":{\"id\":\"v0\"}}")]
    [TestCase("{\"execute\":\"query-status\"}")]
    public void Qmp_MachineNone_SameReplyAsQemu(string command)
    {
        var ours = Converse(Launcher.Path(), command);
        var qemu = Converse(Qemu(), command);

        Assert.That(ours, Is.EqualTo(qemu));
    }

    [Test]
    public void QueryMachines_None_SameEntryAsQemu()
    {
        const string command = "{\"execute\":\"query-machines\"}";

        var ours = None(Converse(Launcher.Path(), command));
        var qemu = None(Converse(Qemu(), command));

        Assert.That(ours, Is.EqualTo(qemu));
    }

    [TestCase("-drive", "file=/dev/null,if=ide,format=raw")]
    [TestCase("-drive", "file=/dev/null,if=floppy,format=raw")]
    [TestCase("-drive", "file=/dev/null,if=virtio,format=raw")]
    [TestCase("-device", "ide-hd,drive=x")]
    [TestCase("-device", "virtio-blk-pci")]
    [TestCase("-device", "floppy")]
    public void CommandLine_MachineNoneStorage_RefusedAsQemu(string option, string value)
    {
        var ours = Refusal(Launcher.Path(), option, value);
        var qemu = Refusal(Qemu(), option, value);

        Assert.Multiple(() =>
        {
            Assert.That(ours.ExitCode, Is.EqualTo(1));
            Assert.That(ours.Error.Replace("emu-system-x86_64:", string.Empty), Is.EqualTo(qemu.Error.Replace("qemu-system-x86_64:", string.Empty)));
        });
    }

    [Test]
    public void Qtest_MachineNone_ServesProtocolAndClock()
    {
        using var machine = new QtestMachine(_dir, "-machine", "none");

        Assert.Multiple(() =>
        {
            Assert.That(machine.Qtest.Command("endianness"), Is.EqualTo("OK little"));
            Assert.That(machine.Qtest.Command("clock_step 1000"), Is.EqualTo("OK 1000"));
        });
    }

    private static string Qemu()
    {
        if (!File.Exists(DebianQemu))
        {
            Assert.Ignore($"{DebianQemu} is not installed: nothing to compare -machine none with");
        }

        return DebianQemu;
    }

    /// <summary>query-machines' "none" entry, members in name order (QMP objects are unordered).</summary>
    private static string[] None(string reply) =>
        [.. JsonNode.Parse(reply)!["return"]!.AsArray().Single(m => (string?)m!["name"] == "none")!.AsObject()
            .Select(kv => $"{kv.Key}={kv.Value?.ToJsonString()}").Order(StringComparer.Ordinal)];

    private static (int ExitCode, string Error) Refusal(string binary, string option, string value)
    {
        using var process = Start(binary, "-machine", "none", "-display", "none", "-nodefaults", option, value);
        var error = process.StandardError.ReadToEnd().Trim();
        process.WaitForExit(30_000);
        return (process.ExitCode, error);
    }

    /// <summary>Starts <paramref name="binary"/> on -machine none connecting to a QMP socket, negotiates, sends <paramref name="command"/>, returns its reply (events skipped), quits.</summary>
    private string Converse(string binary, string command)
    {
        var path = Path.Combine(_dir, $"{Path.GetFileName(binary)}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        using var process = Start(binary, "-machine", "none", "-display", "none", "-nodefaults", "-qmp", $"unix:{path}");
        try
        {
            listener.ReceiveTimeout = 30_000;
            using var socket = listener.Accept();
            using var qmp = new LineChannel(socket);
            qmp.ReadLine();
            qmp.WriteLine("{\"execute\":\"qmp_capabilities\"}");
            qmp.ReadLine();
            qmp.WriteLine(command);
            var reply = qmp.ReadLine();
            qmp.WriteLine("{\"execute\":\"quit\"}");
            process.WaitForExit(30_000);
            return JsonNode.Parse(reply)!.ToJsonString();
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    private static Process Start(string binary, params string[] args)
    {
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }
}
