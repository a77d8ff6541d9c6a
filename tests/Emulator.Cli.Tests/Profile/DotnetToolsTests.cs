using System.Diagnostics;
using System.Text;
using Emulator.Block.Tracing.Export;

namespace Emulator.Cli.Tests.Profile;

/// <summary>
/// .NET's own tools on a running emulator (issue #17): dotnet-trace and dotnet-counters, installed as
/// dotnet tools at a pinned version, attach to <c>emu boot</c> running the side-by-side virtio-blk guest
/// (64 KiB reads at queue depth 1, forever) and must see our EventSource's Request events and our meter's
/// counters. Takes about a minute and a half (two 10 s collections, tool install, boot): its own category,
/// <c>dotnet test tests/Emulator.Cli.Tests --filter TestCategory=DotnetTools</c>. Fails, never passes
/// silently, when the tools cannot be installed (they need the NuGet feed).
/// </summary>
[Category("DotnetTools")]
[NonParallelizable]
public class DotnetToolsTests
{
    /// <summary>The dotnet-trace and dotnet-counters release known to install from this project's feed.</summary>
    public const string ToolVersion = "10.0.750501";

    private const string Duration = "00:00:10";
    private const int DataChunks = 64;
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(120);

    private string _dir = null!;
    private string _tools = null!;
    private Process _emu = null!;
    private readonly StringBuilder _emuOutput = new();

    [OneTimeSetUp]
    public void InstallToolsAndStartAGuestDoingIo()
    {
        _dir = Directory.CreateTempSubdirectory("emu-dotnet-tools-").FullName;
        _tools = Path.Combine(_dir, "tools");
        Install("dotnet-trace");
        Install("dotnet-counters");

        var boot = Path.Combine(_dir, "boot.img");
        var sector = VirtioReadGuest.BootSector(uint.MaxValue, DataChunks);
        var image = new byte[1 << 20];
        sector.CopyTo(image, 0);
        File.WriteAllBytes(boot, image);
        var data = Path.Combine(_dir, "data.img");
        File.WriteAllBytes(data, new byte[DataChunks * VirtioReadGuest.RequestBytes]);

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["exec", Path.Combine(AppContext.BaseDirectory, "emu.dll"), "boot", "--memory", "64M",
                     "--hda", boot, "--drive", $"file={data},if=virtio", "--timeout", "180"])
        {
            start.ArgumentList.Add(arg);
        }

        _emu = Process.Start(start)!;
        _emu.OutputDataReceived += (_, e) => Append(e.Data);
        _emu.ErrorDataReceived += (_, e) => Append(e.Data);
        _emu.BeginOutputReadLine();
        _emu.BeginErrorReadLine();

        // The guest is reading once the BIOS has handed over; give the runtime and the boot a moment.
        Thread.Sleep(TimeSpan.FromSeconds(3));
        Assert.That(_emu.HasExited, Is.False, $"emu boot ended early (status {(_emu.HasExited ? _emu.ExitCode : 0)}): {Output()}");
    }

    [OneTimeTearDown]
    public void StopTheGuest()
    {
        if (_emu is { HasExited: false })
        {
            _emu.Kill();
            _emu.WaitForExit();
        }

        _emu?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void DotnetTrace_CollectOurProvider_RecordsRequestEventsOfTheVirtioDisk()
    {
        var file = Path.Combine(_dir, "emu.nettrace");

        var (status, output) = Run(Tool("dotnet-trace"), "collect", "-p", Pid(), "--providers", IoTraceEventSource.ProviderName,
            "--duration", Duration, "-o", file);

        Assert.That(status, Is.Zero, output);
        var trace = File.ReadAllBytes(file);
        Assert.Multiple(() =>
        {
            // EventPipe writes an event's metadata (provider and event name) with its first instance, and the
            // Request payload carries the device's track name as a UTF-16 string.
            Assert.That(Contains(trace, IoTraceEventSource.ProviderName), Is.True, "provider metadata in the trace");
            Assert.That(Contains(trace, "Request"), Is.True, "Request event metadata in the trace");
            Assert.That(Count(trace, "virtio-blk virtio0/q0"), Is.GreaterThan(100), "Request events of the virtio-blk queue");
        });
    }

    [Test]
    public void DotnetCounters_CollectOurMeter_ReportsRequestsBytesAndLatencyOfTheVirtioDisk()
    {
        var file = Path.Combine(_dir, "emu-counters.csv");

        var (status, output) = Run(Tool("dotnet-counters"), "collect", "-p", Pid(), "--counters", IoTraceMetrics.MeterName,
            "--format", "csv", "--refresh-interval", "1", "--duration", Duration, "-o", file);

        Assert.That(status, Is.Zero, output);
        var rows = File.ReadAllLines(file).Where(l => l.Contains(IoTraceMetrics.MeterName, StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(RatesOf(rows, "emulator.block.requests"), Has.Some.GreaterThan(0), "requests per second");
            Assert.That(RatesOf(rows, "emulator.block.bytes"), Has.Some.GreaterThan(VirtioReadGuest.RequestBytes), "bytes per second");
            Assert.That(rows.Where(r => r.Contains("emulator.block.latency", StringComparison.Ordinal)), Is.Not.Empty, "latency histogram");
            Assert.That(rows.Where(r => r.Contains("emulator.block.in_flight", StringComparison.Ordinal)), Is.Not.Empty, "requests in flight");
            Assert.That(rows.Where(r => r.Contains("virtio-blk virtio0/q0", StringComparison.Ordinal)), Is.Not.Empty, "the device tag");
        });
    }

    /// <summary>The last column of each CSV row of <paramref name="counter"/> (dotnet-counters: timestamp, provider, name, type, value).</summary>
    private static IEnumerable<double> RatesOf(IEnumerable<string> rows, string counter) =>
        rows.Where(r => r.Contains(counter, StringComparison.Ordinal))
            .Select(r => double.TryParse(r[(r.LastIndexOf(',') + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : double.NaN);

    private void Install(string tool)
    {
        if (File.Exists(Tool(tool)))
        {
            return;
        }

        var (status, output) = Run("dotnet", "tool", "install", "--tool-path", _tools, tool, "--version", ToolVersion);
        if (status != 0 || !File.Exists(Tool(tool)))
        {
            Assert.Fail($"{tool} {ToolVersion} could not be installed as a dotnet tool (`dotnet tool install --tool-path DIR {tool} --version {ToolVersion}` needs the NuGet feed); status {status}: {output}");
        }
    }

    private string Tool(string name) => Path.Combine(_tools, name);

    private string Pid() => _emu.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static (int Status, string Output) Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(ToolTimeout))
        {
            process.Kill();
            process.WaitForExit();
            return (-1, $"{program} did not finish in {ToolTimeout.TotalSeconds} s: {stdout.Result}{stderr.Result}");
        }

        return (process.ExitCode, $"{program} {string.Join(' ', args)}: {stdout.Result}{stderr.Result}");
    }

    private static bool Contains(byte[] data, string text) => Count(data, text) > 0;

    private static int Count(byte[] data, string text)
    {
        var pattern = Encoding.Unicode.GetBytes(text);
        var count = 0;
        for (var at = data.AsSpan().IndexOf(pattern); at >= 0;)
        {
            count++;
            var next = data.AsSpan(at + pattern.Length).IndexOf(pattern);
            at = next < 0 ? -1 : at + pattern.Length + next;
        }

        return count;
    }

    private void Append(string? line)
    {
        lock (_emuOutput)
        {
            _emuOutput.AppendLine(line);
        }
    }

    private string Output()
    {
        lock (_emuOutput)
        {
            return _emuOutput.ToString();
        }
    }
}
