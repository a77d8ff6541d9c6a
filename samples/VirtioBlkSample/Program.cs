// A user's program built against the Emulator.* packages (samples/README.md): it makes a qcow2 image,
// writes a recognisable sector into it through a BlockBackend, attaches a virtio-blk device backed by
// that BlockBackend to a PC machine, and reads the sector back through the device as a guest driver
// would (PCI configuration, the legacy virtio I/O registers and a virtqueue in guest RAM).
// Exit status: 0 when the device returns the sector that was written, 1 otherwise.
using Emulator.Block;
using Emulator.Block.Backend;
using Emulator.Block.Graph;
using Emulator.Devices.Virtio;
using Emulator.Machine.Loop;
using Microsoft.Extensions.DependencyInjection;
using VirtioBlkSample;

const int PciSlot = 4;
const long DiskBytes = 16 << 20;
const long Sector = 2049;   // a sector in the second qcow2 cluster (64 KiB clusters)
const int SectorBytes = 512;

var folder = Directory.CreateTempSubdirectory("emu-sample-").FullName;
try
{
    using var services = new ServiceCollection().AddBlockLayer().AddStandardBlockDrivers().BuildServiceProvider();
    var layer = services.GetRequiredService<BlockLayer>();

    // 1. A qcow2 image, made by the qcow2 driver's creator (what `emu img create -f qcow2` uses).
    var image = Path.Combine(folder, "disk.qcow2");
    var qcow2 = services.GetRequiredService<BlockDriverRegistry>().Find("qcow2")
        ?? throw new InvalidOperationException("the qcow2 driver is not registered");
    qcow2.Creator!.Create(new ImageCreateRequest(image, DiskBytes, new Dictionary<string, string>()), layer.Graph);

    // 2. Opened through a BlockBackend; one sector written with a pattern the device must return.
    var backend = layer.OpenImage(new BlockBackendOptions { Name = "disk0" }, image, "qcow2");
    var expected = new byte[SectorBytes];
    for (var i = 0; i < expected.Length; i++)
    {
        expected[i] = (byte)((i * 7) + 3);
    }

    Check(backend.Write(Sector * SectorBytes, expected), "write the pattern through the BlockBackend");
    Check(backend.Flush(), "flush the image");
    Console.WriteLine($"image: {image} ({backend.FormatName}, {backend.Length} bytes)");

    // 3. A PC whose CPU does not run (this program is the guest), with the block layer's completions
    //    delivered by the machine loop, and a virtio-blk-pci function on the PCI bus.
    var machine = new PcMachine(new PcMachineOptions { RunCpu = false });
    machine.AddLoopSource(new BlockCompletions(layer));
    machine.Install(new VirtioBlkPci(machine, backend, new VirtioBlkOptions { PciSlot = PciSlot }));

    // 4. The guest side: find the function, set up one virtqueue, read the sector, wait for the device.
    var guest = new LegacyVirtioBlkGuest(machine, PciSlot);
    Console.WriteLine($"PCI {PciSlot:x2}.0: vendor {guest.VendorId:x4} device {guest.DeviceId:x4}");
    var capacity = guest.Initialize();
    Console.WriteLine($"virtio-blk: capacity {capacity} sectors, queue size {guest.QueueSize}");
    var (status, data) = guest.ReadSector(Sector, SectorBytes);

    Console.WriteLine($"sector {Sector}: status {status}, first bytes {Convert.ToHexString(data.AsSpan(0, 16))}");
    if (status != 0 || !data.AsSpan().SequenceEqual(expected))
    {
        Console.Error.WriteLine("FAIL: the device did not return the sector written through the BlockBackend");
        return 1;
    }

    Console.WriteLine("OK: the sector read through virtio-blk matches what was written to the qcow2 image");
    layer.DrainFlushCloseAll(TimeSpan.FromSeconds(5));
    return 0;
}
finally
{
    Directory.Delete(folder, recursive: true);
}

static void Check(BlockError error, string what)
{
    if (error != BlockError.None)
    {
        throw new InvalidOperationException($"{what}: {error}");
    }
}
