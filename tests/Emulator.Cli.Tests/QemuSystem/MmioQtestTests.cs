namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// qtest's memory verbs against MMIO and the top of the address space, as QEMU 7.2 answers them:
/// writel/writeq reach virtio's modern common configuration as 32-bit accesses, and addresses at or
/// above 4 GiB are accepted (writes dropped, reads 0) without wrapping to address 0.
/// </summary>
public class MmioQtestTests
{
    private const int Slot = 4;
    private const ushort ConfigAddressPort = 0xCF8;
    private const ushort ConfigDataPort = 0xCFC;
    private const uint ConfigEnable = 0x8000_0000;
    private const int CommandRegister = 0x04;
    private const uint MemorySpace = 0x0002;

    /// <summary>virtio-pci (virtio 1.2 section 4.1.4.3): QEMU puts the modern capabilities in 64-bit BAR 4; common config at offset 0.</summary>
    private const int Bar4 = 0x20;
    private const int Bar5 = 0x24;
    private const uint ModernBase = 0xFE00_0000;
    private const uint DeviceFeatureSelect = 0x00;
    private const uint QueueDescLow = 0x20;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-mmio-qtest-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Writel_ModernCommonConfig_DeviceFeatureSelectReadsBackWhole()
    {
        using var machine = Virtio();
        var qtest = machine.Qtest;

        qtest.Command($"writel 0x{ModernBase + DeviceFeatureSelect:x} 0x01020304");

        Assert.That(qtest.Command($"readl 0x{ModernBase + DeviceFeatureSelect:x}"), Is.EqualTo("OK 0x0000000001020304"));
    }

    [Test]
    public void Writeq_ModernQueueDesc_BothHalvesStored()
    {
        using var machine = Virtio();
        var qtest = machine.Qtest;

        qtest.Command($"writeq 0x{ModernBase + QueueDescLow:x} 0x0000000112345000");

        Assert.That(qtest.Command($"readq 0x{ModernBase + QueueDescLow:x}"), Is.EqualTo("OK 0x0000000112345000"));
    }

    [Test]
    public void Write_AcrossFourGiB_AddressZeroUntouched()
    {
        using var machine = new QtestMachine(_dir);
        var qtest = machine.Qtest;
        var before = qtest.Command("readl 0x0");

        var write = qtest.Command("write 0xfffffffe 4 0x11223344");
        var above = qtest.Command("read 0xfffffffe 4");

        Assert.Multiple(() =>
        {
            Assert.That(write, Is.EqualTo("OK"));
            Assert.That(qtest.Command("readl 0x0"), Is.EqualTo(before), "nothing wraps to address 0");
            Assert.That(above, Does.EndWith("0000"), "the two bytes above 4 GiB read 0, as on QEMU");
        });
    }

    [TestCase("readl 0x100000000", "OK 0x0000000000000000")]
    [TestCase("writel 0x100000000 0x12345678", "OK")]
    [TestCase("readq 0xffffffffffff0000", "OK 0x0000000000000000")]
    public void MemoryVerb_AtOrAboveFourGiB_AnsweredAsQemu(string command, string reply)
    {
        using var machine = new QtestMachine(_dir);

        Assert.That(machine.Qtest.Command(command), Is.EqualTo(reply));
    }

    private QtestMachine Virtio()
    {
        var image = Path.Combine(_dir, "disk.img");
        File.WriteAllBytes(image, new byte[1 << 20]);
        var machine = new QtestMachine(_dir, "-drive", $"file={image},if=none,id=d0,format=raw", "-device", $"virtio-blk-pci,drive=d0,addr={Slot:x2}.0");
        ConfigWrite(machine.Qtest, Bar4, ModernBase);
        ConfigWrite(machine.Qtest, Bar5, 0);
        ConfigWrite(machine.Qtest, CommandRegister, MemorySpace);
        return machine;
    }

    private static void ConfigWrite(LineChannel qtest, int offset, uint value)
    {
        qtest.Command($"outl 0x{ConfigAddressPort:x} 0x{ConfigEnable | (uint)(Slot << 11) | (uint)offset:x}");
        qtest.Command($"outl 0x{ConfigDataPort:x} 0x{value:x}");
    }
}
