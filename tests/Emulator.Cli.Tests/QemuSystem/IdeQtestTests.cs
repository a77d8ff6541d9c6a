namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// The PIIX3 IDE function seen the way QEMU's tests/qtest/ide-test.c sees it: commands written to the
/// task file over the qtest socket, the I/O APIC's inputs intercepted, identity strings read from
/// IDENTIFY data, and -global defaults for ide-hd / ide-cd.
/// </summary>
public class IdeQtestTests
{
    /// <summary>Primary channel command block and IRQ (ATA/ATAPI-6 / PC/AT compatibility).</summary>
    private const ushort Data = 0x1F0;
    private const ushort DriveHead = 0x1F6;
    private const ushort CommandStatus = 0x1F7;
    private const int PrimaryIrq = 14;
    private const byte SelectMaster = 0xA0;

    /// <summary>ATA-6 IDENTIFY DEVICE and IDENTIFY PACKET DEVICE.</summary>
    private const byte IdentifyDevice = 0xEC;
    private const byte IdentifyPacketDevice = 0xA1;

    /// <summary>IDENTIFY words (ATA-6 table 27): serial 10-19, firmware revision 23-26, model 27-46.</summary>
    private const int SerialWord = 10;
    private const int SerialWords = 10;
    private const int FirmwareWord = 23;
    private const int FirmwareWords = 4;
    private const int ModelWord = 27;
    private const int ModelWords = 20;
    private const int IdentifyWords = 256;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-ide-qtest-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Identify_InterceptedIoApic_IrqRaise14ThenLowerOnStatusRead()
    {
        using var machine = new QtestMachine(_dir, "-drive", $"file={Disk()},if=ide,format=raw");
        var qtest = machine.Qtest;
        var intercept = qtest.Command("irq_intercept_in ioapic");
        qtest.Command($"outb 0x{DriveHead:x} 0x{SelectMaster:x}");
        qtest.Command($"outb 0x{CommandStatus:x} 0x{IdentifyDevice:x}");
        var step = qtest.Command("clock_step 1000000");
        var raised = qtest.Asynchronous.ToList();
        qtest.Command($"inb 0x{CommandStatus:x}");

        Assert.Multiple(() =>
        {
            Assert.That(intercept, Is.EqualTo("OK"));
            Assert.That(step, Is.EqualTo("OK 1000000"), "clock_step answers with the new virtual time in ns");
            Assert.That(raised, Is.EqualTo(new[] { $"IRQ raise {PrimaryIrq}" }));
            Assert.That(qtest.Asynchronous, Is.EqualTo(new[] { $"IRQ raise {PrimaryIrq}", $"IRQ lower {PrimaryIrq}" }), "reading status acknowledges INTRQ");
        });
    }

    [Test]
    public void Globals_IdeHd_SerialModelVersionInIdentify()
    {
        using var machine = new QtestMachine(
            _dir, "-drive", $"file={Disk()},if=ide,format=raw",
            "-global", "ide-hd.serial=SN-GLOBAL", "-global", "ide-hd.model=Global Disk", "-global", "ide-hd.ver=9.8.7");

        var words = Identify(machine.Qtest, IdentifyDevice);

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
        using var machine = new QtestMachine(
            _dir, "-drive", $"file={Disk()},if=ide,format=raw", "-global", "driver=ide-hd,property=serial,value=SN-LONG");

        var words = Identify(machine.Qtest, IdentifyDevice);

        Assert.That(AtaString(words, SerialWord, SerialWords), Is.EqualTo("SN-LONG"));
    }

    [Test]
    public void Globals_DeviceProperty_WinsOverGlobal()
    {
        using var machine = new QtestMachine(
            _dir, "-drive", $"file={Disk()},if=none,id=d0,format=raw", "-device", "ide-hd,drive=d0,serial=SN-DEVICE",
            "-global", "ide-hd.serial=SN-GLOBAL", "-global", "ide-device.model=Parent Model");

        var words = Identify(machine.Qtest, IdentifyDevice);

        Assert.Multiple(() =>
        {
            Assert.That(AtaString(words, SerialWord, SerialWords), Is.EqualTo("SN-DEVICE"));
            Assert.That(AtaString(words, ModelWord, ModelWords), Is.EqualTo("Parent Model"), "ide-device globals reach its subtypes");
        });
    }

    [Test]
    public void Globals_IdeCd_ModelInIdentifyPacket()
    {
        using var machine = new QtestMachine(
            _dir, "-drive", "if=ide,index=0,media=cdrom", "-global", "ide-cd.model=Global CD", "-global", "ide-cd.ver=CD1");

        var words = Identify(machine.Qtest, IdentifyPacketDevice);

        Assert.Multiple(() =>
        {
            Assert.That(AtaString(words, ModelWord, ModelWords), Is.EqualTo("Global CD"));
            Assert.That(AtaString(words, FirmwareWord, FirmwareWords), Is.EqualTo("CD1"));
        });
    }

    private static ushort[] Identify(LineChannel qtest, byte command)
    {
        qtest.Command($"outb 0x{DriveHead:x} 0x{SelectMaster:x}");
        qtest.Command($"outb 0x{CommandStatus:x} 0x{command:x}");
        qtest.Command($"inb 0x{CommandStatus:x}");
        return [.. Enumerable.Range(0, IdentifyWords).Select(_ => (ushort)qtest.Value($"inw 0x{Data:x}"))];
    }

    /// <summary>ATA strings: two characters a word, first in the high byte, padded with spaces.</summary>
    private static string AtaString(ushort[] words, int first, int count) =>
        new string([.. words[first..(first + count)].SelectMany(w => new[] { (char)(w >> 8), (char)(w & 0xFF) })]).TrimEnd();

    private string Disk()
    {
        var path = Path.Combine(_dir, "disk.img");
        File.WriteAllBytes(path, new byte[1 << 20]);
        return path;
    }
}
