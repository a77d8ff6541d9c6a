using System.Security.Cryptography;
using Emulator.Testing.Qos;

namespace Emulator.Testing.Tests.Conformance;

/// <summary>
/// The modern virtio-pci and LBA48 helpers against the reference QEMU 7.2 (over its qtest socket) and in process:
/// the same helper sequence gives the same features, capacity, statuses, data and IDENTIFY words.
/// </summary>
public class ModernQosConformanceTests
{
    private const int Slot = 4;
    private const int RamBytes = 128 << 20;
    private const long IdeBytes = 200L << 30;
    private const long VirtioBytes = 1 << 20;
    private const long Beyond28Bits = (1L << 28) + 777;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-qos-modern-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void ModernVirtioBlkAndLba48_ReferenceQemuAndHarness_SameResults()
    {
        var reference = SharedFolder.Find("qemu-qtest", "qemu-ref-system-x86_64");
        Assume.That(reference, Is.Not.Null, "../shared/qemu-qtest/qemu-ref-system-x86_64 is not there; the comparison needs it");

        List<string> qemu;
        // QEMU logs every qtest line to stderr unless told otherwise (libqtest passes -qtest-log): nobody reads that pipe here.
        using (var machine = new QtestMachine(reference!, _dir, ["-qtest-log", "/dev/null", .. Options("qemu")]))
        {
            qemu = Run(new SocketQtest(machine.Qtest));
        }

        using var harness = QtestHarness.Start(["-nodefaults", .. Options("harness")]);
        var ours = Run(harness);

        Assert.Multiple(() =>
        {
            Assert.That(ours, Is.EqualTo(qemu));
            Assert.That(qemu, Does.Contain("virtio write 0"));
            Assert.That(qemu, Has.Some.StartsWith("dma ext write"));
        });
    }

    private string[] Options(string run)
    {
        var ide = Path.Combine(_dir, $"{run}-ide.img");
        using (var file = File.Create(ide))
        {
            file.SetLength(IdeBytes);
        }

        var virtio = Path.Combine(_dir, $"{run}-virtio.img");
        File.WriteAllBytes(virtio, [.. Enumerable.Range(0, (int)VirtioBytes).Select(i => (byte)(i / 512))]);
        return ["-machine", "pc", "-drive", $"file={ide},if=ide,format=raw",
            "-drive", $"file={virtio},if=none,id=v0,format=raw", "-device", $"virtio-blk-pci,drive=v0,addr={Slot:x2}.0"];
    }

    private static List<string> Run(IQtest qtest)
    {
        var transcript = new List<string>();
        var bus = new PciBus(qtest);
        var allocator = GuestAllocator.ForPc(RamBytes);

        var virtio = new VirtioBlkModern(bus.At(Slot)!, allocator);
        virtio.Initialize(1UL << VirtioBlkModern.FeatureFlush);
        transcript.Add($"virtio offered {virtio.Transport.ReadDeviceFeatures():x16} negotiated {virtio.NegotiatedFeatures:x16}");
        transcript.Add($"virtio queues {virtio.Transport.QueueCount} size {virtio.Queue.Size} capacity {virtio.Capacity()}");
        transcript.Add($"virtio read {Describe(virtio.Read(3, 4))}");
        transcript.Add($"virtio isr {virtio.Transport.ReadIsr()} then {virtio.Transport.ReadIsr()}");
        transcript.Add($"virtio write {virtio.Write(9, Enumerable.Repeat((byte)0x5A, 2 * VirtioBlkModern.Sector).ToArray())}");
        transcript.Add($"virtio reread {Describe(virtio.Read(9, 2))}");
        transcript.Add($"virtio past end {virtio.Read((ulong)(VirtioBytes / VirtioBlkModern.Sector) - 1, 2)?.Status}");
        transcript.Add($"virtio flush {virtio.Flush()}");

        var ide = AtaChannel.Open(bus, allocator);
        ide.Select(0);
        var words = ide.Identify();
        transcript.Add($"identify 83 {words[83]:x4} 86 {words[86]:x4} 100-103 {words[100]:x4} {words[101]:x4} {words[102]:x4} {words[103]:x4}");
        var buffer = (uint)allocator.Allocate(16 * AtaChannel.SectorSize);
        qtest.Memset(buffer, 16 * AtaChannel.SectorSize, 0xC3);
        transcript.Add($"dma ext write {ide.WriteDmaExt(Beyond28Bits, 16, buffer)}");
        qtest.Memset(buffer, 16 * AtaChannel.SectorSize, 0);
        transcript.Add($"dma ext read {ide.ReadDmaExt(Beyond28Bits, 16, buffer)} {Hash(qtest.Memread(buffer, 16 * AtaChannel.SectorSize))}");
        transcript.Add($"pio ext write {ide.WriteSectorsExt(Beyond28Bits + 100, Enumerable.Repeat((byte)0x96, 2 * AtaChannel.SectorSize).ToArray()):x2}");
        var pio = ide.ReadSectorsExt(Beyond28Bits + 100, 2, out var status);
        transcript.Add($"pio ext read {status:x2} {Hash(pio)}");
        var last = (IdeBytes / AtaChannel.SectorSize) - 1;
        transcript.Add($"dma ext past end {ide.ReadDmaExt(last, 2, buffer)}");
        transcript.Add($"pio ext past end {ide.ReadSectorsExt(last + 1, 1, out var endStatus).Length} {endStatus:x2} error {ide.ReadRegister(AtaChannel.ErrorFeatures):x2}");
        return transcript;
    }

    private static string Describe((byte Status, byte[] Data)? result) => result is { } r ? $"{r.Status} {Hash(r.Data)}" : "unanswered";

    private static string Hash(byte[] data) => Convert.ToHexString(SHA256.HashData(data))[..16];
}
