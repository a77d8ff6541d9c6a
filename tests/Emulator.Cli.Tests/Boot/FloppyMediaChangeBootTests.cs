using System.Text.Json.Nodes;

namespace Emulator.Cli.Tests.Boot;

/// <summary>
/// A media change at run time, end to end: FreeDOS boots from a floppy, the monitor swaps the medium
/// (blockdev-change-medium over QMP), and DOS's next <c>dir</c> lists the new disk — the controller's
/// disk change line reaches DOS through the BIOS's INT 13h AH=16h.
/// </summary>
[Category("Boot")]
public class FloppyMediaChangeBootTests
{
    [Test]
    public void FreeDosFloppy_SwappedThroughQmp_DirShowsTheNewDisk()
    {
        var dir = Directory.CreateTempSubdirectory("emu-media-change-").FullName;
        try
        {
            var socket = Path.Combine(dir, "qmp.sock");
            var freedos = GuestImageBootTests.Image("8086tiny/fd.img");
            var mikeos = GuestImageBootTests.Image("mikeos/mikeos.flp");
            var log = new ScreenLog();
            var error = new StringWriter();
            JsonObject? changed = null;
            var keyboard = new ScriptedKeyboard(log, TimeSpan.FromSeconds(150), ("A:\\>", "dir\r"), ("bytes free", "dir\r"));
            keyboard.BeforeStep[1] = () =>
            {
                using var qmp = QmpLineClient.Connect(socket);
                qmp.Execute("qmp_capabilities");
                changed = qmp.Execute("blockdev-change-medium", new JsonObject
                {
                    ["id"] = "floppy0",
                    ["filename"] = mikeos,
                    ["format"] = "raw",
                    ["read-only-mode"] = "read-only",
                });
            };

            var status = -1;
            var run = new Thread(() => status = EmuCommand.Run(
                ["boot", "--drive", GuestImageBootTests.Floppy("8086tiny/fd.img"), "--boot", "a", "--qmp", $"unix:{socket}",
                 "--rtc-base", "2026-01-01T00:00:00", "--timeout", "240", "--until", "KERNEL   BIN"],
                keyboard, log, error));
            run.Start();
            Assert.That(run.Join(TimeSpan.FromSeconds(300)), Is.True, "emu boot finishes");

            var output = log.ToString();
            var first = output.IndexOf("A:\\>dir", StringComparison.Ordinal);
            var second = output.IndexOf("A:\\>dir", first + 1, StringComparison.Ordinal);
            Assert.Multiple(() =>
            {
                Assert.That(changed?["return"], Is.Not.Null, $"change-medium answered {changed}");
                Assert.That(status, Is.Zero, $"{error}\n{output[Math.Max(0, output.Length - 2000)..]}");
                Assert.That(first, Is.GreaterThanOrEqualTo(0));
                Assert.That(second, Is.GreaterThan(first));
                Assert.That(output[first..second], Does.Contain("FREEDOS1").And.Not.Contain("KERNEL   BIN"), "the first dir lists the FreeDOS disk");
                Assert.That(output[second..], Does.Contain("KERNEL   BIN"), "the second dir lists MikeOS's disk");
                Assert.That(File.Exists(freedos), Is.True);
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
