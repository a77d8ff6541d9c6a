using System.Text.RegularExpressions;

namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>-qtest-log FILE in QEMU's format (system/qtest.c): [R +T] per command, [S +T] per line sent, IRQ lines included.</summary>
public partial class QtestLogTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-qtest-log-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void QtestLog_IdentifyWithIntercept_ReceivedSentAndIrqLinesInOrder()
    {
        var disk = Path.Combine(_dir, "disk.img");
        File.WriteAllBytes(disk, new byte[1 << 20]);
        var log = Path.Combine(_dir, "qtest.log");
        using (var machine = new QtestMachine(_dir, "-qtest-log", log, "-drive", $"file={disk},if=ide,format=raw"))
        {
            machine.Qtest.Command("irq_intercept_in ioapic");
            machine.Qtest.Command("outb 0x1f6 0xa0");
            machine.Qtest.Command("outb 0x1f7 0xec");
            machine.Qtest.Command("clock_step 1000000");
        }

        var lines = File.ReadAllLines(log);

        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.All.Match(Timestamped().ToString()), "every line carries [KIND +seconds.micros]");
            Assert.That(lines.Select(l => Timestamped().Replace(l, "[$1]")), Is.EqualTo(new[]
            {
                "[I] OPENED",
                "[R] irq_intercept_in ioapic",
                "[S] OK",
                "[R] outb 0x1f6 0xa0",
                "[S] OK",
                "[R] outb 0x1f7 0xec",
                "[S] IRQ raise 14",
                "[S] OK",
                "[R] clock_step 1000000",
                "[S] OK 1000000",
            }));
        });
    }

    [Test]
    public void QtestLog_DevNull_Accepted()
    {
        using var machine = new QtestMachine(_dir, "-qtest-log", "/dev/null");

        Assert.That(machine.Qtest.Command("endianness"), Is.EqualTo("OK little"));
    }

    [GeneratedRegex(@"^\[([IRS]) \+\d+\.\d{6}\]")]
    private static partial Regex Timestamped();
}
