using Emulator.Block;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.Blkdebug;
using Emulator.Block.Drivers.File;
using Emulator.Board;
using Emulator.Devices.Virtio;
using Emulator.Machine.Loop;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Devices.Tests.Virtio;

/// <summary>
/// A qtest-style machine (CPU off) with a block layer built as the emulator builds it, its
/// completions delivered at the loop's fixed point, and the stop policy pausing the machine.
/// Images live in a temp folder made per rig.
/// </summary>
internal sealed class VirtioRig : IDisposable
{
    public const int Slot = 4;

    private readonly ServiceProvider _services;

    public VirtioRig(int ramSize = 32 << 20)
    {
        _services = new ServiceCollection().AddBlockLayer().AddStandardBlockDrivers().BuildServiceProvider();
        Layer = _services.GetRequiredService<BlockLayer>();
        Machine = new PcMachine(new PcMachineOptions { RunCpu = false, RamSize = ramSize });
        PcBoard.ConnectBlockLayer(Machine, Layer);
        TempDir = Directory.CreateTempSubdirectory("emu-virtio-test-").FullName;
    }

    public BlockLayer Layer { get; }

    public PcMachine Machine { get; }

    public string TempDir { get; }

    public static byte Pattern(long i) => (byte)(((i * 7) + (i / 512)) % 251);

    /// <summary>An image whose byte i is <see cref="Pattern"/>(i).</summary>
    public string CreateImage(long length, string name = "disk.img")
    {
        var path = Path.Combine(TempDir, name);
        var data = new byte[length];
        for (var i = 0; i < length; i++)
        {
            data[i] = Pattern(i);
        }

        File.WriteAllBytes(path, data);
        return path;
    }

    public BlockBackend Open(string path, BlockBackendOptions? options = null) =>
        Layer.OpenImage(options ?? new BlockBackendOptions { Name = Path.GetFileNameWithoutExtension(path) }, path, "raw");

    public BlockBackend OpenWithFaults(string path, BlockBackendOptions options, params BlkdebugRule[] rules) =>
        Layer.CreateBackend(options, new BlkdebugNodeOptions(new FileNodeOptions(path)) { Rules = rules });

    public VirtioBlkPci AddDevice(BlockBackend backend, VirtioBlkOptions? options = null, int slot = Slot)
    {
        var device = Machine.Install(new VirtioBlkPci(Machine, backend, (options ?? new VirtioBlkOptions()) with { PciSlot = slot }));
        return device;
    }

    /// <summary>Runs the loop until <paramref name="done"/> holds; fails the test if it never does.</summary>
    public void RunUntil(Func<bool> done)
    {
        var reason = Machine.Run(new RunLimits { Until = done, WallTimeout = TimeSpan.FromSeconds(5) });
        Assert.That(reason, Is.EqualTo(RunStopReason.Condition), "the loop did not reach the expected state");
    }

    /// <summary>One pass of the loop's fixed point: posted work and completions already queued.</summary>
    public void RunOnce() => Machine.Run(RunLimits.UntilIdle);

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(TempDir, recursive: true);
    }
}
