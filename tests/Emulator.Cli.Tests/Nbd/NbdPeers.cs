using System.Diagnostics;

namespace Emulator.Cli.Tests.Nbd;

/// <summary>
/// Real NBD peers for interop tests: qemu-nbd, qemu-img, qemu-io (qemu-utils), nbdkit (nbdkit),
/// nbdinfo and nbdcopy (libnbd-bin), and <c>emu nbd</c> as its own process. A missing tool fails the
/// test with the package to install — CI installs them, so a silent pass would hide a gap.
/// </summary>
internal sealed class NbdPeers : IDisposable
{
    private readonly List<Process> _started = [];

    public NbdPeers(string dir)
    {
        Dir = dir;
    }

    public string Dir { get; }

    public static void Require(params string[] tools)
    {
        foreach (var tool in tools)
        {
            if (Find(tool) is null)
            {
                Assert.Fail($"'{tool}' is not on PATH: install the Debian packages nbdkit, libnbd-bin and qemu-utils to run the NBD interop tests");
            }
        }
    }

    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
            .Where(folder => folder.Length > 0)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);

    public string Uri(string socket, string export = "") => $"nbd+unix:///{export}?socket={socket}";

    /// <summary>
    /// Starts a server process and waits for the pid file it writes once it listens (qemu-nbd
    /// --pid-file, nbdkit -P, emu nbd --pid-file) — probing the socket would itself be a client.
    /// </summary>
    public Process StartServer(string pidFile, string tool, params string[] args)
    {
        var process = Start(tool, args);
        var deadline = Environment.TickCount64 + 30_000;
        while (!File.Exists(pidFile) || new FileInfo(pidFile).Length == 0)
        {
            if (process.HasExited || Environment.TickCount64 > deadline)
            {
                Assert.Fail($"{tool} {string.Join(' ', args)} did not start listening: {(process.HasExited ? process.StandardError.ReadToEnd() : "timeout")}");
            }

            Thread.Sleep(50);
        }

        return process;
    }

    /// <summary>qemu-nbd on a Unix socket, persistent, serving its image as export "e".</summary>
    public Process StartQemuNbd(string socket, params string[] args) =>
        StartServer(socket + ".pid", "qemu-nbd", ["-k", socket, "-x", "e", "-t", "--pid-file", socket + ".pid", .. args]);

    /// <summary>nbdkit in the foreground on a Unix socket.</summary>
    public Process StartNbdkit(string socket, params string[] args) =>
        StartServer(socket + ".pid", "nbdkit", ["-f", "-U", socket, "-P", socket + ".pid", .. args]);

    /// <summary>
    /// Runs <paramref name="client"/> (given the export's URI) against a fresh nbdkit memory export of
    /// <paramref name="size"/> behind its log filter, stops the server, and returns the log: one line per request
    /// received (" Write id=", " Flush id=", …) and per reply, in the order nbdkit handled them.
    /// </summary>
    public string[] LoggedByNbdkit(string name, string size, Action<string> client)
    {
        var socket = Path.Combine(Dir, name + ".sock");
        var log = Path.Combine(Dir, name + ".log");
        var server = StartNbdkit(socket, "--filter=log", "memory", size, "logfile=" + log);
        client(Uri(socket));
        Terminate(server);
        return File.ReadAllLines(log);
    }

    /// <summary>emu nbd as its own process (this test assembly carries emu.dll), persistent, export "e".</summary>
    public Process StartEmuNbd(string socket, params string[] args) =>
        StartServer(socket + ".pid", "dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "emu.dll"), "nbd", "-k", socket, "-x", "e", "-t", "--pid-file", socket + ".pid", .. args]);

    /// <summary>SIGTERM, as a service manager stops qemu-nbd; returns the exit code.</summary>
    public static int Terminate(Process process)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            Assert.Fail("the server did not exit on SIGTERM");
        }

        return process.ExitCode;
    }

    public (int ExitCode, string Output) Run(string tool, params string[] args)
    {
        using var process = Start(tool, args);
        _started.Remove(process);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill();
            Assert.Fail($"{tool} {string.Join(' ', args)} did not finish");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    public string RunOk(string tool, params string[] args)
    {
        var (exit, output) = Run(tool, args);
        Assert.That(exit, Is.Zero, $"{tool} {string.Join(' ', args)}: {output}");
        return output;
    }

    public void Dispose()
    {
        foreach (var process in _started)
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }

            process.Dispose();
        }
    }

    private Process Start(string tool, string[] args)
    {
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Dir,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        _started.Add(process);
        return process;
    }
}
