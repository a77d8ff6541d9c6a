using System.Globalization;
using Emulator.Block.Backend;
using Emulator.Cli.Profile;
using Emulator.Hosting;
using Emulator.Hosting.QemuSystem;
using Emulator.Machine.Loop;
using Emulator.Monitor;
using Emulator.Monitor.Qmp;
using Emulator.Monitor.Qtest;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Cli.QemuSystem;

/// <summary>
/// <c>emu system …</c>, which the build's <c>bin/emu-system-x86_64</c> launcher runs: the QEMU option
/// forms device-model suites use (-machine pc, -m, -accel, -qtest, -chardev/-mon, -qmp, -drive,
/// -blockdev, -device, -global, -cdrom/-fda/-hda, -boot, -S, --preconfig, -nodefaults, -nographic, -no-shutdown, -bios/-L,
/// -vga, -smp, -cpu … each with its QEMU effect or QEMU's refusal, <see cref="QemuPlatformOptions"/>). With
/// -accel qtest the CPU does not run and time moves only through qtest. Nothing is written to stdout
/// in qtest mode. SIGTERM, SIGINT and SIGHUP exit with status 0; every way out drains, flushes and closes every node (<see cref="EmulatorHost.Shutdown"/>). Errors are one line,
/// "emu-system-x86_64: …", and exit status 1.
/// </summary>
internal static class QemuSystemCommand
{
    private const string Prefix = "emu-system-x86_64";
    private const string StdioBackend = "stdio";

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        QemuOptions? options = null;
        try
        {
            options = QemuOptions.Parse(args);
            return RunChecked(options, output, error);
        }
        catch (QemuOptionException e)
        {
            error.WriteLine(Line(options, e.Message));
            return 1;
        }
        catch (BlockOperationException e)
        {
            error.WriteLine(Line(options, e.Message));
            return 1;
        }
        catch (QmpException e)
        {
            error.WriteLine(Line(options, e.Message));
            return 1;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            error.WriteLine(Line(options, $"socket: {e.Message}"));
            return 1;
        }
    }

    /// <summary>An error or warning line as QEMU prints it: -msg timestamp=on's UTC time, -msg guest-name=on's name, the program, the text.</summary>
    private static string Line(QemuOptions? options, string text)
    {
        var timestamp = options?.MessageTimestamp == true ? DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z' ", CultureInfo.InvariantCulture) : string.Empty;
        var guest = options is { MessageGuestName: true, Name: { } name } ? name + " " : string.Empty;
        return $"{timestamp}{guest}{Prefix}: {text}";
    }

    private static int RunChecked(QemuOptions options, TextWriter output, TextWriter error)
    {
        if (options.AcceleratorHelp)
        {
            // QEMU lists the accelerators a user may choose; qtest is the harness's and is not listed.
            output.WriteLine("Accelerators supported in QEMU binary:");
            output.WriteLine("tcg");
            return 0;
        }

        if (options.CpuHelp)
        {
            QemuPlatformOptions.PrintCpuHelp(output);
            return 0;
        }

        if (options.DataDirectoryHelp)
        {
            // QEMU lists its firmware directories; this emulator has only those -L gave (its BIOS is built in).
            foreach (var directory in options.DataDirectories)
            {
                output.WriteLine(directory);
            }

            return 0;
        }

        foreach (var warning in options.Warnings)
        {
            error.WriteLine(Line(options, warning));
        }

        var qtestMode = options.Qtest is not null;
        FileStream? serialFile = null;

        // The machine type and accelerator are checked before the serial file is created.
        var description = QemuSystemBoard.Describe(options, b =>
        {
            if (serialFile is not null)
            {
                serialFile.WriteByte(b);
                serialFile.Flush();
            }
            else if (options.Serial == "stdio" && !qtestMode)
            {
                output.Write((char)b);
                output.Flush();
            }
        });
        using var serialFileOwner = serialFile = options.Serial is { } serial && serial.StartsWith("file:", StringComparison.Ordinal)
            ? OpenSerialFile(serial["file:".Length..])
            : null;
        using var host = new EmulatorHost(description, _ => new IoTraceControl());
        var machine = host.Machine;

        // Signals before any socket: a harness may send SIGTERM as soon as either answers. QEMU exits 0.
        host.ExitOnTerminationSignals(_ => 0);
        QemuSystemBoard.Populate(host, options, description);

        QemuSystemBoard.Start(host, options);

        StartMonitors(host, options);
        using var qtest = options.Qtest is { } endpoint ? StartQtest(machine, host.Executor, endpoint, options.QtestLog) : null;
        using (StartIoTrace(options))
        {
            machine.Run(new RunLimits());
        }

        foreach (var problem in host.Shutdown())
        {
            error.WriteLine($"{Prefix}: {problem}");
        }

        return machine.ExitStatus ?? 0;
    }

    private static FileStream OpenSerialFile(string path) =>
        HostFile.TryOpen(path, file => new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.Read), out var stream, out var problem)
            ? stream!
            : throw new QemuOptionException($"-serial file:{path}: could not open '{path}': {problem}");

    private static void StartMonitors(EmulatorHost host, QemuOptions options)
    {
        foreach (var mon in options.Monitors)
        {
            var id = mon.FirstOrDefault(kv => kv.Key == "chardev").Value;
            if (mon.FirstOrDefault(kv => kv.Key == "mode").Value is { } mode && mode != "control")
            {
                throw new QemuOptionException($"-mon mode={mode}: only mode=control (QMP) is served");
            }

            if (id is null || !options.Chardevs.TryGetValue(id, out var chardev))
            {
                throw new QemuOptionException($"-mon: chardev '{id}' not found");
            }

            var path = chardev.FirstOrDefault(kv => kv.Key == "path").Value ?? throw new QemuOptionException($"-chardev {id}: only socket,path=… is supported");
            Serve(host, $"unix:{path}", IsServer(chardev));
        }

        foreach (var qmp in options.Qmp)
        {
            if (qmp.First().Value == StdioBackend)
            {
                ServeStdio(host, options);
                continue;
            }

            Serve(host, qmp.First().Value, IsServer(qmp));
        }
    }

    private static bool IsServer(List<KeyValuePair<string, string>> items) =>
        items.FirstOrDefault(kv => kv.Key == "server").Value is { } server && KeyValueList.IsOn("-chardev", "server", server);

    /// <summary>
    /// -qmp stdio: one QMP session on the process's standard input and output, as QEMU's stdio character
    /// backend gives it; stdio serves one character device only, so -serial stdio with it is refused in QEMU's words.
    /// </summary>
    private static void ServeStdio(EmulatorHost host, QemuOptions options)
    {
        if (options.Serial == StdioBackend)
        {
            throw new QemuOptionException("-serial stdio: cannot use stdio by multiple character devices");
        }

        host.Services.GetRequiredService<QmpServer>().Serve(Console.OpenStandardInput(), Console.OpenStandardOutput());
    }

    private static void Serve(EmulatorHost host, string endpoint, bool listen)
    {
        if (!host.ServeQmp(endpoint, listen))
        {
            throw new QemuOptionException($"-qmp {endpoint}: use unix:PATH, tcp:127.0.0.1:PORT,server=on or stdio");
        }
    }

    /// <summary>-io-trace FILE: a file that cannot be created is a command-line error, reported before the guest runs.</summary>
    private static IoTraceFile? StartIoTrace(QemuOptions options) =>
        HostFile.TryOpen(options.IoTrace, path => IoTraceFile.Start(path), out var trace, out var problem)
            ? trace
            : throw new QemuOptionException($"-io-trace {options.IoTrace}: {problem}");

    /// <summary>
    /// The qtest endpoint, logging to <paramref name="logPath"/> when given ("none" turns logging off, as
    /// in QEMU). Without -qtest-log QEMU logs to stderr; this emulator logs nowhere, because a harness
    /// that redirects stderr and never reads it would otherwise stall the emulator on a full pipe.
    /// </summary>
    private static QtestServer StartQtest(PcMachine machine, IMonitorExecutor executor, string endpoint, string? logPath)
    {
        var items = KeyValueList.Parse(endpoint, "endpoint");
        var target = items.First().Value;
        if (!target.StartsWith("unix:", StringComparison.Ordinal))
        {
            throw new QemuOptionException($"-qtest {target}: only unix:PATH is supported");
        }

        if (!HostFile.TryOpen(logPath is "none" ? null : logPath, QtestLog.Open, out var log, out var problem))
        {
            throw new QemuOptionException($"-qtest-log {logPath}: {problem}");
        }

        var qtest = new QtestServer(machine, executor, log);
        if (IsServer(items))
        {
            qtest.ListenUnix(target["unix:".Length..]);
        }
        else
        {
            qtest.ConnectUnix(target["unix:".Length..]);
        }

        return qtest;
    }
}
