using System.Text;
using Emulator.Testing;
using Emulator.Testing.Qos;

namespace HarnessTestSample;

/// <summary>
/// An IDE disk through the ATA helpers (IDENTIFY, READ DMA with a PRD table, the channel's IRQ observed on the
/// intercepted I/O APIC) and the machine's state through QMP, as objects.
/// </summary>
public class IdeHarnessTests
{
    private const int RamBytes = 128 << 20;
    private const int Sectors = 8;

    private string _dir = null!;
    private string _image = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("harness-sample-ide-").FullName;
        _image = Path.Combine(_dir, "disk.img");
        File.WriteAllBytes(_image, [.. Enumerable.Range(0, 1 << 20).Select(i => (byte)(i / AtaChannel.SectorSize))]);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Identify_SerialFromGlobal_InWords10To19()
    {
        using var qts = QtestHarness.Start("-nodefaults", "-drive", $"file={_image},if=ide,format=raw", "-global", "ide-hd.serial=SAMPLE1");
        var ide = AtaChannel.Open(new PciBus(qts), GuestAllocator.ForPc(RamBytes));
        ide.Select(0);

        var words = ide.Identify();
        var serial = Encoding.ASCII.GetString([.. words[10..20].SelectMany(w => new[] { (byte)(w >> 8), (byte)w })]).Trim();

        Assert.That(serial, Is.EqualTo("SAMPLE1"));
    }

    [Test]
    public void ReadDma_EightSectors_DataInGuestMemoryAndIrqRaised()
    {
        using var qts = QtestHarness.Start("-nodefaults", "-drive", $"file={_image},if=ide,format=raw");
        var allocator = GuestAllocator.ForPc(RamBytes);
        var ide = AtaChannel.Open(new PciBus(qts), allocator);
        ide.Select(0);
        var buffer = (uint)allocator.Allocate(Sectors * AtaChannel.SectorSize);

        var result = ide.ReadDma(lba: 5, Sectors, buffer);
        var data = qts.Memread(buffer, Sectors * AtaChannel.SectorSize);

        Assert.Multiple(() =>
        {
            Assert.That(result.Status & (AtaChannel.Err | AtaChannel.Bsy | AtaChannel.Drq), Is.Zero);
            Assert.That(result.IrqRaised, Is.True);
            Assert.That(data[..AtaChannel.SectorSize], Is.All.EqualTo(5));
            Assert.That(data[^AtaChannel.SectorSize..], Is.All.EqualTo(12));
        });
    }

    [Test]
    public void QueryStatus_StartedWithDashS_PrelaunchUntilCont()
    {
        using var qts = QtestHarness.Start("-S", "-nodefaults");

        var before = (string?)qts.QmpReturn("query-status")["status"];
        qts.QmpReturn("cont");
        var after = (string?)qts.QmpReturn("query-status")["status"];

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.EqualTo("prelaunch"));
            Assert.That(after, Is.EqualTo("running"));
            Assert.That(qts.WaitEvent("RESUME", TimeSpan.FromSeconds(30)), Is.Not.Null);
        });
    }
}
