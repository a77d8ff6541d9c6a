using Emulator.Testing.Qos;

namespace Emulator.Testing.Tests.Ide;

/// <summary>
/// The PIIX3 IDE function seen the way QEMU's tests/qtest/ide-test.c sees it, in process: commands written to
/// the task file, the I/O APIC's inputs intercepted, identity strings read from IDENTIFY data, and -global
/// defaults for ide-hd / ide-cd. (Moved from Emulator.Cli.Tests, where each case started emu-system-x86_64.)
/// </summary>
public class IdeQtestTests
{
    /// <summary>IDENTIFY words (ATA-6 table 27): serial 10-19, firmware revision 23-26, model 27-46.</summary>
    private const int SerialWord = 10;
    private const int SerialWords = 10;
    private const int FirmwareWord = 23;
    private const int FirmwareWords = 4;
    private const int ModelWord = 27;
    private const int ModelWords = 20;
    private const int PrimaryIrq = 14;

    private string _disk = null!;

    [SetUp]
    public void SetUp()
    {
        _disk = Path.Combine(Directory.CreateTempSubdirectory("emu-ide-qtest-").FullName, "disk.img");
        File.WriteAllBytes(_disk, new byte[1 << 20]);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(Path.GetDirectoryName(_disk)!, recursive: true);

    [Test]
    public void Identify_InterceptedIoApic_IrqRaise14ThenLowerOnStatusRead()
    {
        using var qts = QtestHarness.Start("-drive", $"file={_disk},if=ide,format=raw");
        qts.InterceptIrqIn("ioapic");
        qts.OutB(0x1F6, 0xA0);
        qts.OutB(0x1F7, AtaChannel.IdentifyDeviceCommand);
        var step = qts.ClockStep(1_000_000);
        var raised = qts.IrqLines;
        qts.InB(0x1F7);

        Assert.Multiple(() =>
        {
            Assert.That(step, Is.EqualTo(1_000_000), "clock_step answers with the new virtual time in ns");
            Assert.That(raised, Is.EqualTo(new[] { $"IRQ raise {PrimaryIrq}" }));
            Assert.That(qts.IrqLines, Is.EqualTo(new[] { $"IRQ raise {PrimaryIrq}", $"IRQ lower {PrimaryIrq}" }), "reading status acknowledges INTRQ");
        });
    }

    [Test]
    public void Globals_IdeHd_SerialModelVersionInIdentify()
    {
        var words = Identify(false, "-drive", $"file={_disk},if=ide,format=raw",
            "-global", "ide-hd.serial=SN-GLOBAL", "-global", "ide-hd.model=Global Disk", "-global", "ide-hd.ver=9.8.7");

        Assert.Multiple(() =>
        {
            Assert.That(AtaString(words, SerialWord, SerialWords), Is.EqualTo("SN-GLOBAL"));
            Assert.That(AtaString(words, ModelWord, ModelWords), Is.EqualTo("Global Disk"));
            Assert.That(AtaString(words, FirmwareWord, FirmwareWords), Is.EqualTo("9.8.7"));
        });
    }

    [Test]
    public void Globals_LongForm_Applied()
    {
        var words = Identify(false, "-drive", $"file={_disk},if=ide,format=raw", "-global", "driver=ide-hd,property=serial,value=SN-LONG");

        Assert.That(AtaString(words, SerialWord, SerialWords), Is.EqualTo("SN-LONG"));
    }

    [Test]
    public void Globals_DeviceProperty_WinsOverGlobal()
    {
        var words = Identify(false, "-drive", $"file={_disk},if=none,id=d0,format=raw", "-device", "ide-hd,drive=d0,serial=SN-DEVICE",
            "-global", "ide-hd.serial=SN-GLOBAL", "-global", "ide-device.model=Parent Model");

        Assert.Multiple(() =>
        {
            Assert.That(AtaString(words, SerialWord, SerialWords), Is.EqualTo("SN-DEVICE"));
            Assert.That(AtaString(words, ModelWord, ModelWords), Is.EqualTo("Parent Model"), "ide-device globals reach its subtypes");
        });
    }

    [Test]
    public void Globals_IdeCd_ModelInIdentifyPacket()
    {
        var words = Identify(true, "-drive", "if=ide,index=0,media=cdrom", "-global", "ide-cd.model=Global CD", "-global", "ide-cd.ver=CD1");

        Assert.Multiple(() =>
        {
            Assert.That(AtaString(words, ModelWord, ModelWords), Is.EqualTo("Global CD"));
            Assert.That(AtaString(words, FirmwareWord, FirmwareWords), Is.EqualTo("CD1"));
        });
    }

    private static ushort[] Identify(bool packet, params string[] options)
    {
        using var qts = QtestHarness.Start(options);
        var ide = AtaChannel.Open(new PciBus(qts), GuestAllocator.ForPc(128 << 20));
        ide.Select(0);
        return ide.Identify(packet);
    }

    /// <summary>ATA strings: two characters a word, first in the high byte, padded with spaces.</summary>
    private static string AtaString(ushort[] words, int first, int count) =>
        new string([.. words[first..(first + count)].SelectMany(w => new[] { (char)(w >> 8), (char)(w & 0xFF) })]).TrimEnd();
}
