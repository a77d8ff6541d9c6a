using System.Net.Sockets;

namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// QMP replies byte for byte as QEMU writes them (its spacing, its string escapes): the same
/// conversation against emu-system-x86_64 and the installed Debian qemu-system-x86_64, and every
/// reply line after the greeting must be the same text, not just the same JSON value. A client
/// that matches text (a shell script, a log compared with QEMU's) sees no difference.
/// </summary>
public class QmpWireFormatTests
{
    private const string DebianQemu = "/usr/bin/qemu-system-x86_64";

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-qmp-wire-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCase("{\"execute\":\"query-status\"}")]
    [TestCase("{\"execute\":\"query-name\"}")]
    [TestCase("{\"execute\":\"no+such<command>&'é\\u0001/\\\"\\\\\\t𝄞\"}")]
    [TestCase("{\"execute\":\"query-status\",\"id\":[1,{\"a\":\"b c\",\"d\":[]},{}]}")]
    [TestCase("{\"execute\":\"query-status\",\"arguments\":{\"x\":1}}")]
    public void Reply_SameBytesAsQemu(string command)
    {
        var ours = Converse(Launcher.Path(), command);
        var qemu = Converse(Qemu(), command);

        Assert.That(ours, Is.EqualTo(qemu));
    }

    /// <summary>-qmp stdio: the same session on standard input and output; the replies after the greeting, timestamps aside, are QEMU's bytes.</summary>
    [Test]
    public void QmpStdio_Session_SameBytesAsQemu()
    {
        const string Commands = "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-status\"}\n{\"execute\":\"quit\"}\n";

        Assert.That(StdioSession(Launcher.Path(), Commands), Is.EqualTo(StdioSession(Qemu(), Commands)));
    }

    /// <summary>
    /// -S leaves the VM in prelaunch, and a reset while it is not running (paused included) returns it there;
    /// cont starts it from prelaunch with a RESUME event. RESET comes before system_reset's reply, as in QEMU.
    /// </summary>
    [Test]
    public void QmpStdio_StartPausedStopAndReset_SameStatusesAndEventsAsQemu()
    {
        const string Commands = "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-status\"}\n{\"execute\":\"cont\"}\n"
            + "{\"execute\":\"stop\"}\n{\"execute\":\"system_reset\"}\n{\"execute\":\"query-status\"}\n{\"execute\":\"cont\"}\n"
            + "{\"execute\":\"query-status\"}\n{\"execute\":\"quit\"}\n";

        Assert.That(StdioSession(Launcher.Path(), Commands, "-S"), Is.EqualTo(StdioSession(Qemu(), Commands, "-S")));
    }

    [Test]
    public void QmpStdio_WithSerialStdio_RefusedAsQemu()
    {
        using var process = Launcher.StartWithInput(Launcher.Path(), "-machine", "pc", "-accel", "qtest", "-display", "none", "-qmp", "stdio", "-serial", "stdio");
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEnd();
        Assert.That(process.WaitForExit(30_000), Is.True);

        Assert.That((process.ExitCode, error.Split('\n')[0]), Is.EqualTo((1, "emu-system-x86_64: -serial stdio: cannot use stdio by multiple character devices")));
    }

    /// <summary>Runs <paramref name="binary"/> with -qmp stdio fed <paramref name="commands"/>; stdout without the greeting, timestamps blanked.</summary>
    private static string StdioSession(string binary, string commands, params string[] extra)
    {
        using var process = Launcher.StartWithInput(binary, ["-machine", "none", "-display", "none", "-nodefaults", "-qmp", "stdio", .. extra]);
        process.StandardInput.Write(commands);
        process.StandardInput.Flush();
        var output = process.StandardOutput.ReadToEnd();
        process.StandardInput.Close();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
        }

        var lines = output.Split("\r\n")[1..];
        return System.Text.RegularExpressions.Regex.Replace(string.Join("\r\n", lines), "\"timestamp\": \\{[^}]*\\}", "\"timestamp\": T");
    }

    private static string Qemu()
    {
        if (!File.Exists(DebianQemu))
        {
            Assert.Ignore($"{DebianQemu} is not installed: nothing to compare QMP's wire format with");
        }

        return DebianQemu;
    }

    /// <summary>Negotiates, sends <paramref name="command"/> and returns the capabilities reply and the command's reply as sent, line ends included.</summary>
    private string Converse(string binary, string command)
    {
        var path = Path.Combine(_dir, $"{Path.GetFileName(binary)}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        using var process = Launcher.StartBinary(binary, "-machine", "none", "-display", "none", "-nodefaults", "-qmp", $"unix:{path}");
        try
        {
            listener.ReceiveTimeout = 30_000;
            using var socket = listener.Accept();
            socket.ReceiveTimeout = 30_000;
            ReadLine(socket);
            socket.Send("{\"execute\":\"qmp_capabilities\"}\n"u8);
            var negotiated = ReadLine(socket);
            socket.Send(System.Text.Encoding.UTF8.GetBytes(command + "\n"));
            var reply = ReadLine(socket);
            socket.Send("{\"execute\":\"quit\"}\n"u8);
            process.WaitForExit(30_000);
            return negotiated + reply;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    /// <summary>One line as its bytes arrived, "\r\n" included, decoded as UTF-8 only at the end.</summary>
    private static string ReadLine(Socket socket)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count == 0 || bytes[^1] != (byte)'\n')
        {
            if (socket.Receive(one) == 0)
            {
                break;
            }

            bytes.Add(one[0]);
        }

        return System.Text.Encoding.UTF8.GetString([.. bytes]);
    }
}
