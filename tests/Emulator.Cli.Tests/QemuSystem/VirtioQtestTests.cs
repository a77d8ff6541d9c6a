using Emulator.Testing.Qos;

namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>virtio-blk-pci driven over the launcher's qtest socket, as tests/qtest/virtio-blk-test.c drives QEMU's.</summary>
public class VirtioQtestTests
{
    private const int Slot = 4;

    /// <summary>QEMU's pc (pci_slot_get_pirq) wires slot N's INTA# to PIRQ ((N - 1) mod 4).</summary>
    private const int SlotPirq = (Slot - 1) % 4;

    /// <summary>
    /// The ISA IRQ the test routes that PIRQ to through the PIIX3 (PIRQRC at config 60h + PIRQ), as
    /// firmware does: on QEMU's pc board a PIRQ reaches the I/O APIC only through such a route.
    /// </summary>
    private const int RoutedIrq = 11;
    private const uint PiixPirqRouteAddress = 0x8000_0860;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-virtio-qtest-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void LegacyRead_SecondSector_DataStatusOkAndIntx()
    {
        var image = Path.Combine(_dir, "disk.img");
        File.WriteAllBytes(image, [.. Enumerable.Range(0, 1 << 16).Select(i => (byte)(i / VirtioBlkLegacy.Sector))]);
        using var machine = new QtestMachine(
            _dir, "-drive", $"file={image},if=none,id=d0,format=raw", "-device", $"virtio-blk-pci,drive=d0,addr={Slot:x2}.0");
        machine.Qtest.Command("irq_intercept_in ioapic");
        machine.Qtest.Command($"outl 0xcf8 0x{PiixPirqRouteAddress:x}");
        machine.Qtest.Command($"outb 0x{0xCFC + SlotPirq:x} 0x{RoutedIrq:x}");
        var guest = new VirtioBlkLegacy(new PciBus(new SocketQtest(machine.Qtest)).At(Slot)!, GuestAllocator.ForPc(128 << 20));
        guest.Initialize();

        var result = guest.ReadSector(1);

        Assert.Multiple(() =>
        {
            Assert.That(result, Is.Not.Null, "the used ring never moved");
            Assert.That(result?.Status, Is.Zero, "VIRTIO_BLK_S_OK");
            Assert.That(result?.Data, Is.EqualTo(Enumerable.Repeat((byte)1, VirtioBlkLegacy.Sector)));
            Assert.That(machine.Qtest.Asynchronous, Does.Contain($"IRQ raise {RoutedIrq}"));
        });
    }
}
