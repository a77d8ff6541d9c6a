using Emulator.Cli.Tests.Boot;

namespace Emulator.Cli.Tests.Nbd;

/// <summary>A real guest whose disk is an NBD export: FreeDOS served by qemu-nbd (snapshot mode, so the shared image is never written), booted by emu boot through our nbd driver.</summary>
[Category("Boot")]
public class NbdGuestBootTests
{
    [Test]
    public void FreeDos_FromQemuNbdExportOnIde_DirShowsFreeSpace()
    {
        NbdPeers.Require("qemu-nbd");
        var dir = Directory.CreateTempSubdirectory("emu-nbd-boot-").FullName;
        try
        {
            using var peers = new NbdPeers(dir);
            var socket = Path.Combine(dir, "fd.sock");
            peers.StartServer(socket + ".pid", "qemu-nbd", "-f", "raw", "-s", "-k", socket, "-t", "--pid-file", socket + ".pid", GuestImageBootTests.Image("freedos-hdd/fdos-hd8m.img"));

            var run = GuestImageBootTests.Boot(
                ["--drive", $"file=nbd+unix:///?socket={socket},if=ide,format=raw", "--boot", "c", "--until", "6,792,192 bytes free"],
                ("C:\\>", "dir /w\r"));

            Assert.That(run.Status, Is.Zero, run.Describe());
            Assert.That(run.Output, Does.Contain("COMMAND.COM"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
