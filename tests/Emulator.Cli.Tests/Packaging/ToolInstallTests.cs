using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Emulator.Cli.Tests.Packaging;

/// <summary>
/// emu as a .NET tool (docs/packaging.md): the already-built CLI is packed into a folder feed,
/// installed with <c>dotnet tool install --tool-path</c> into a temporary folder, and the installed
/// <c>emu</c> runs img, boot and — behind a two-line emu-system-x86_64 launcher — one of QEMU's own qtests.
/// </summary>
[Category("Packaging")]
public class ToolInstallTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private string _dir = null!;
    private string _emu = null!;

    [OneTimeSetUp]
    public void PackAndInstall()
    {
        _dir = Directory.CreateTempSubdirectory("emu-tool-").FullName;
        var root = Path.GetDirectoryName(Path.GetDirectoryName(Launcher.Path()))!;
        var feed = Path.Combine(_dir, "feed");
        var tools = Path.Combine(_dir, "tools");
        var pack = Run("dotnet", ["pack", Path.Combine(root, "src", "Emulator.Cli", "Emulator.Cli.csproj"), "--no-build", "-c", Configuration, "-o", feed]);
        Assert.That(pack.ExitCode, Is.Zero, $"dotnet pack failed:\n{pack.Output}");
        Assert.That(Directory.GetFiles(feed, "emu.*.nupkg"), Is.Not.Empty, "no emu package in the feed");
        var install = Run("dotnet", ["tool", "install", "emu", "--tool-path", tools, "--add-source", feed]);
        Assert.That(install.ExitCode, Is.Zero, $"dotnet tool install failed:\n{install.Output}");
        _emu = Path.Combine(tools, "emu");
    }

    [OneTimeTearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Tool_ImgCreateThenInfo_ReportsTheQcow2Image()
    {
        var image = Path.Combine(_dir, "disk.qcow2");
        var create = Run(_emu, ["img", "create", "-f", "qcow2", image, "64M"]);
        var info = Run(_emu, ["img", "info", "--output", "json", image]);

        Assert.That(create.ExitCode, Is.Zero, create.Output);
        Assert.That(info.ExitCode, Is.Zero, info.Output);
        var json = (JsonObject)JsonNode.Parse(info.Output)!;
        Assert.Multiple(() =>
        {
            Assert.That((string?)json["format"], Is.EqualTo("qcow2"));
            Assert.That((long?)json["virtual-size"], Is.EqualTo(64L << 20));
        });
    }

    [Test]
    public void Tool_BootDemo_PowersOffWithStatusZero()
    {
        var boot = Run(_emu, ["boot", "--timeout", "120"]);

        Assert.That(boot.ExitCode, Is.Zero, boot.Output);
        Assert.That(boot.Output, Does.Contain("drive 81h: 4096 x 512 bytes 'demo virtio-blk disk: virtqueue'")
            .And.Contain("Demo finished: powering off through ACPI."));
    }

    [Test]
    public void Tool_SystemBehindLauncher_PassesQemuIdeIdentifyQtest()
    {
        var ideTest = SharedFolder.Find("qemu-qtest", "bin", "ide-test")
            ?? throw new AssertionException("../shared/qemu-qtest/bin/ide-test is missing");
        var launcher = Path.Combine(_dir, "emu-system-x86_64");
        File.WriteAllText(launcher, $"#!/bin/sh\nexec \"{_emu}\" system \"$@\"\n");
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("the qtest launcher is a shell script (Linux, as QEMU's qtests)");
            return;
        }

        File.SetUnixFileMode(launcher, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var run = Run(ideTest, ["--tap", "-k", "-p", "/x86_64/ide/identify"], ("QTEST_QEMU_BINARY", launcher));

        Assert.That(run.Output, Does.Not.Contain("error while loading shared libraries"), "QEMU's qtests need libglib2.0-0 (apt-get install -y libglib2.0-0)");
        Assert.That(run.Output, Does.Match(@"(?m)^ok 1 /x86_64/ide/identify").And.Not.Contain("not ok"));
        Assert.That(run.ExitCode, Is.Zero, run.Output);
    }

    private static (int ExitCode, string Output) Run(string file, string[] args, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish in {Timeout}");
        }

        return (process.ExitCode, stdout + stderr.Result);
    }
}
