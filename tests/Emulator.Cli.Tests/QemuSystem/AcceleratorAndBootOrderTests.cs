using System.Diagnostics;

namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// The launcher's accelerator choice and boot order, as QEMU's cdrom-test relies on them: with
/// "-accel kvm -accel tcg … -accel qtest" the first usable accelerator (tcg here: kvm is never
/// available) runs the CPU, so the BIOS posts; and -boot order= reaches the BIOS through CMOS 3Dh/38h
/// as QEMU's pc board writes them (values checked against the qtest-capable reference QEMU).
/// </summary>
public class AcceleratorAndBootOrderTests
{
    /// <summary>BIOS data area word 40:13h, base memory in KiB: 639 once the BIOS has posted (1 KiB EBDA).</summary>
    private const string BaseMemoryWord = "readw 0x413";
    private const ulong PostedBaseMemory = 0x27F;
    private const byte CmosBootFirst = 0x3D;
    private const byte CmosBootThird = 0x38;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-accel-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Accel_KvmThenTcgBeforeQtest_TcgWinsAndBiosPosts()
    {
        using var machine = new QtestMachine(_dir, "-accel", "kvm", "-accel", "tcg");
        var watch = Stopwatch.StartNew();
        var baseMemory = 0UL;
        while (watch.Elapsed < TimeSpan.FromSeconds(30) && baseMemory != PostedBaseMemory)
        {
            Thread.Sleep(50);
            baseMemory = Value(machine, BaseMemoryWord);
        }

        Assert.That(baseMemory, Is.EqualTo(PostedBaseMemory));
    }

    [Test]
    public void Accel_QtestOnly_CpuStaysStopped()
    {
        using var machine = new QtestMachine(_dir);
        Thread.Sleep(500);

        Assert.That(Value(machine, BaseMemoryWord), Is.Zero, "under the qtest accelerator only qtest moves the machine");
    }

    // QEMU's set_boot_dev: a=1, c=2, d=3; 3Dh = second << 4 | first, 38h = third << 4 (| 1 without fd boot check).
    [TestCase(null, 0x12, 0x30)]
    [TestCase("order=dc", 0x23, 0x00)]
    public void BootOrder_Cmos_AsQemuWritesIt(string? boot, int first, int third)
    {
        string[] args = boot is null ? [] : ["-boot", boot];
        using var machine = new QtestMachine(_dir, args);

        Assert.Multiple(() =>
        {
            Assert.That(Cmos(machine, CmosBootFirst), Is.EqualTo(first));
            Assert.That(Cmos(machine, CmosBootThird), Is.EqualTo(third));
        });
    }

    private static ulong Value(QtestMachine machine, string command) =>
        Convert.ToUInt64(machine.Qtest.Command(command)["OK ".Length..], 16);

    private static int Cmos(QtestMachine machine, byte index)
    {
        machine.Qtest.Command($"outb 0x70 0x{index:x}");
        return (int)Value(machine, "inb 0x71");
    }
}
