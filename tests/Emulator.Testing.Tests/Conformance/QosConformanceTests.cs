using Emulator.Testing.Qos;

namespace Emulator.Testing.Tests.Conformance;

/// <summary>
/// The libqos-style helpers run over either transport: the same helper sequence over emu-system-x86_64's qtest
/// socket (<see cref="SocketQtest"/>) and in process gives the same devices, DMA outcome, data and virtio status.
/// </summary>
public class QosConformanceTests
{
    private const int Slot = 4;
    private const int RamBytes = 128 << 20;
    private const int FloppyBytes = 1_474_560;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-qos-conformance-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void AtaDmaPciAndVirtio_SocketAndHarness_SameResults()
    {
        List<string> socket;
        var dir = Directory.CreateTempSubdirectory("emu-qos-sock-").FullName;
        try
        {
            using var machine = new QtestMachine(dir, Options("socket"));
            socket = Run(new SocketQtest(machine.Qtest));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        using var harness = QtestHarness.Start(Options("harness"));
        var inProcess = Run(harness);

        Assert.Multiple(() =>
        {
            Assert.That(inProcess, Is.EqualTo(socket));
            Assert.That(socket, Does.Contain("virtio read status 0"));
            Assert.That(socket, Has.Some.StartsWith("floppy read 00"), "normal termination, drive 0");
        });
    }

    /// <summary>The same two images (IDE disk, virtio-blk disk) for each run, written fresh: the runs write to them.</summary>
    private string[] Options(string run)
    {
        byte[] content = [.. Enumerable.Range(0, 1 << 20).Select(i => (byte)((i / 512) ^ (i % 253)))];
        var ide = Path.Combine(_dir, $"{run}-ide.img");
        var virtio = Path.Combine(_dir, $"{run}-virtio.img");
        File.WriteAllBytes(ide, content);
        File.WriteAllBytes(virtio, content);
        var floppy = Path.Combine(_dir, $"{run}-fd.img");
        File.WriteAllBytes(floppy, [.. Enumerable.Range(0, FloppyBytes).Select(i => (byte)(i / 512))]);
        return ["-display", "none", "-nodefaults", "-drive", $"file={ide},if=ide,format=raw", "-drive", $"file={floppy},if=floppy,format=raw",
            "-drive", $"file={virtio},if=none,id=v0,format=raw", "-device", $"virtio-blk-pci,drive=v0,addr={Slot:x2}.0"];
    }

    private static List<string> Run(IQtest qtest)
    {
        var transcript = new List<string>();
        var bus = new PciBus(qtest);
        transcript.AddRange(bus.Enumerate().Select(d => $"pci {d.Slot:x2}.{d.Function} {d.VendorId:x4}:{d.DeviceId:x4} class {d.ClassCode:x6}"));
        var allocator = GuestAllocator.ForPc(RamBytes);
        var ide = AtaChannel.Open(bus, allocator);
        ide.Select(0);
        var buffer = (uint)allocator.Allocate(4096);
        transcript.Add($"identify words 0-3 {string.Join(' ', ide.Identify()[..4])}");
        transcript.Add($"read dma {ide.ReadDma(7, 8, buffer)}");
        transcript.Add($"data {Convert.ToHexString(qtest.Memread(buffer, 4096))}");
        transcript.Add($"short prd {ide.Dma(AtaChannel.ReadDmaCommand, 0, 4, [new PrdEntry(buffer, 512, EndOfTable: true)], toMemory: true)}");
        var virtio = new VirtioBlkLegacy(bus.At(Slot)!, allocator);
        virtio.Initialize();
        transcript.Add($"virtio features {virtio.ReadHostFeatures():x8}");
        var read = virtio.ReadSector(3);
        transcript.Add($"virtio read status {read?.Status}");
        transcript.Add($"virtio data {Convert.ToHexString(read?.Data ?? [])}");
        transcript.Add($"virtio write status {virtio.WriteSector(9, 0x77)}");
        transcript.Add($"virtio reread {Convert.ToHexString(virtio.ReadSector(9)?.Data ?? [])}");
        var fdc = new FloppyController(qtest, allocator);
        transcript.Add($"floppy st3 {fdc.SenseDrive():x2}");
        var fdRead = fdc.ReadSector(3);
        transcript.Add($"floppy read {Convert.ToHexString(fdRead?.Result ?? [])} {Convert.ToHexString(fdRead?.Data ?? [])}");
        transcript.Add($"floppy write {Convert.ToHexString(fdc.WriteSector(5, 0x3C) ?? [])}");
        return transcript;
    }
}
