using System.Diagnostics;
using Emulator.Cli.Tests.Boot;

namespace Emulator.Cli.Tests.Nbd;

/// <summary>
/// QEMU as the client of our server: the Linux self-test guest boots under qemu-system-i386 (TCG)
/// with every drive — the CD, both IDE disks, both virtio disks and the floppy — served by its own
/// <c>emu nbd</c> process, and the kernel's own drivers read each device end to end and check the
/// sums (<c>SELFTEST: RESULT PASS 6/6</c>). The ISO from ../shared is exported read-only.
/// </summary>
[Explicit("boots Linux under QEMU TCG (about 30-60 s); CI runs the SlowBoot category once")]
[Category("SlowBoot")]
public class QemuBootsFromEmuExportTests
{
    private const string Pass = "SELFTEST: RESULT PASS 6/6";
    private const string SlaveNamedSda = "sd 0:0:1:0: [sda]";
    private static readonly TimeSpan BootLimit = TimeSpan.FromMinutes(5);

    [Test]
    public void LinuxSelftest_UnderQemuWithEveryDriveFromEmuNbd_Passes()
    {
        NbdPeers.Require("qemu-system-i386");
        var dir = Directory.CreateTempSubdirectory("emu-nbd-qemu-boot-").FullName;
        try
        {
            LinuxSelftestBootTests.GenerateDisks(dir);
            using var peers = new NbdPeers(dir);
            string Export(string name, string image, params string[] options)
            {
                var socket = Path.Combine(dir, name + ".sock");
                peers.StartEmuNbd(socket, ["-f", "raw", .. options, image]);
                return peers.Uri(socket, "e");
            }

            var iso = Export("cd", LinuxSelftestBootTests.IsoPath, "-r");
            var drives = new[]
            {
                "-drive", $"file={Export("sda", Path.Combine(dir, "sda.img"))},format=raw,if=ide,index=0",
                "-drive", $"file={Export("sdb", Path.Combine(dir, "sdb.img"))},format=raw,if=ide,index=1",
                "-drive", $"file={iso},format=raw,if=ide,index=2,media=cdrom,readonly=on",
                "-drive", $"file={Export("vda", Path.Combine(dir, "vda.img"))},format=raw,if=virtio",
                "-drive", $"file={Export("vdb", Path.Combine(dir, "vdb.img"))},format=raw,if=virtio",
                "-drive", $"file={Export("fd", Path.Combine(dir, "fd.img"))},format=raw,if=floppy",
            };
            var serial = Path.Combine(dir, "serial.txt");
            var exit = 0;
            var output = string.Empty;

            // Linux names sd disks as their asynchronous probes finish: now and then the IDE slave
            // (sdb.img, 32 MiB) becomes sda, and the guest then checks the wrong disk's sums.
            // That run says nothing about the server; it is repeated (at most twice).
            for (var attempt = 0; attempt < 3; attempt++)
            {
                File.Delete(serial);
                (exit, output) = RunQemu(
                    dir,
                    ["-accel", "tcg", "-m", "256", "-display", "none", "-serial", $"file:{serial}", "-no-reboot", "-boot", "d",
                     "-device", "isa-debug-exit,iobase=0x501,iosize=2", .. drives]);
                if (!File.Exists(serial) || !File.ReadAllText(serial).Contains(SlaveNamedSda, StringComparison.Ordinal))
                {
                    break;
                }

                TestContext.Out.WriteLine($"attempt {attempt + 1}: the guest named the IDE slave sda; booting again");
            }

            var console = File.Exists(serial) ? File.ReadAllText(serial) : string.Empty;
            Assert.Multiple(() =>
            {
                Assert.That(console, Does.Contain(Pass), $"serial:\n{console}\nqemu:\n{output}");
                Assert.That(exit, Is.EqualTo(1), "isa-debug-exit with 0 ends QEMU with status 1");
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (int Exit, string Output) RunQemu(string dir, string[] args)
    {
        var start = new ProcessStartInfo("qemu-system-i386") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var qemu = Process.Start(start)!;
        var stdout = qemu.StandardOutput.ReadToEndAsync();
        var stderr = qemu.StandardError.ReadToEndAsync();
        if (!qemu.WaitForExit(BootLimit))
        {
            qemu.Kill();
            qemu.WaitForExit();
            Assert.Fail($"QEMU did not finish the self-test within {BootLimit.TotalMinutes} minutes: {stdout.Result}{stderr.Result}");
        }

        return (qemu.ExitCode, stdout.Result + stderr.Result);
    }
}
