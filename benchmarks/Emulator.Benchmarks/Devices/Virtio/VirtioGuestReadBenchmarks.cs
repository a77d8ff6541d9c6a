using BenchmarkDotNet.Attributes;
using Emulator.Benchmarks.Tracing;
using Emulator.Block;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Raw;
using Emulator.Block.Memory;
using Emulator.Devices.Virtio;
using Emulator.Machine.Bus;
using Emulator.Machine.Cpu;
using Emulator.Machine.Loop;
using Emulator.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Benchmarks.Devices.Virtio;

/// <summary>
/// Guest-visible virtio-blk read throughput with the guest in the interpreter: the side-by-side
/// guest (<see cref="VirtioReadGuest"/>, the boot sector benchmarks/virtio-side-by-side.sh boots under
/// QEMU and emu) reads 1 MiB as 16 requests of 64 KiB at queue depth 1 through the legacy interface,
/// polling the used ring, on a machine whose loop delivers completions as <c>emu boot</c>'s does.
/// The baseline reads the same 1 MiB straight from a BlockBackend in 64 KiB reads. Each operation is
/// one byte, so MB/s = 1000 / Mean(ns), as in <see cref="Ide.IdeGuestReadBenchmarks"/>.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class VirtioGuestReadBenchmarks
{
    public const int TransferBytes = 1 << 20;

    private const int Requests = TransferBytes / VirtioReadGuest.RequestBytes;
    private const int Slot = 4;
    private const ushort IoBase = 0xC100;
    private const int PciCommand = 0x04;
    private const int PciBar0 = 0x10;
    private const uint PciCommandIo = 0x1;
    private const uint PciEnable = 0x8000_0000;

    /// <summary>Not isa-debug-exit's port: the guest's result write must not shut the machine down between runs.</summary>
    private const ushort ResultPort = VirtioReadGuest.DebugExitPort + 1;

    /// <summary>The guest's loop is about 23 instructions a request; fewer means it did not run.</summary>
    private const int MinInstructionsPerRequest = 20;

    private ServiceProvider _services = null!;
    private BlockLayer _layer = null!;
    private BlockBackend _backend = null!;
    private AlignedBuffer _baselineBuffer = null!;
    private PcMachine _machine = null!;
    private string _imagePath = null!;
    private byte[] _image = null!;
    private byte[] _sector = null!;
    private BenchmarkIoTrace? _trace;

    /// <summary>With an I/O trace session running (docs/io-tracing.md): the cost of tracing on this path.</summary>
    [Params(IoTraceMode.Off, IoTraceMode.Rings, IoTraceMode.File)]
    public IoTraceMode IoTrace { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _imagePath = Path.Combine(Path.GetTempPath(), $"emu-virtio-guest-bench-{Environment.ProcessId}.img");
        _image = new byte[TransferBytes];
        new Random(42).NextBytes(_image);
        File.WriteAllBytes(_imagePath, _image);
        _services = new ServiceCollection().AddBlockLayer().AddStandardBlockDrivers().BuildServiceProvider();
        _layer = _services.GetRequiredService<BlockLayer>();
        _backend = Open("baseline");
        _baselineBuffer = new AlignedBuffer(VirtioReadGuest.RequestBytes);
        _sector = VirtioReadGuest.BootSector(Requests, Requests, ResultPort);
        _machine = new PcMachine(new PcMachineOptions { RamSize = 16 << 20, Idle = IdleMode.Skip });
        _machine.AddLoopSource(new CompletionSource(_layer));
        _machine.Install(new VirtioBlkPci(_machine, Open("vda"), new VirtioBlkOptions { MsixVectors = 0, PciSlot = Slot }));
        _machine.Start();

        // Firmware's job, done from outside: BAR 0 in I/O space (the guest turns decoding on itself).
        var config = PciEnable | (Slot << 11);
        _machine.Ports.Write(0xCF8, PortWidth.Dword, config | PciBar0);
        _machine.Ports.Write(0xCFC, PortWidth.Dword, IoBase);
        _machine.Ports.Write(0xCF8, PortWidth.Dword, config | PciCommand);
        _machine.Ports.Write(0xCFC, PortWidth.Dword, PciCommandIo);

        // Check once that the guest really moved the image: the buffer holds its last chunk.
        GuestRead();
        var landed = new byte[VirtioReadGuest.RequestBytes];
        _machine.Memory.Read(VirtioReadGuest.DataAddress, landed);
        if (!landed.AsSpan().SequenceEqual(_image.AsSpan(TransferBytes - VirtioReadGuest.RequestBytes)))
        {
            throw new InvalidOperationException("The virtio guest did not read the image.");
        }

        _trace = BenchmarkIoTrace.Start(IoTrace, _machine);
    }

    /// <summary>Ends the running trace session, if any, and starts one for <paramref name="mode"/> (<see cref="IoTraceOverhead"/>'s interleaved runs).</summary>
    internal void SwitchTrace(IoTraceMode mode)
    {
        _trace?.Dispose();
        _trace = BenchmarkIoTrace.Start(mode, _machine);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _trace?.Dispose();
        _services.Dispose();
        ((IDisposable)_baselineBuffer).Dispose();
        File.Delete(_imagePath);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = TransferBytes)]
    public BlockError BackendRead()
    {
        var error = BlockError.None;
        for (var i = 0; i < Requests; i++)
        {
            error = _backend.Read(i * (long)VirtioReadGuest.RequestBytes, _baselineBuffer.Memory);
        }

        return error;
    }

    [Benchmark(OperationsPerInvoke = TransferBytes)]
    public long GuestRead()
    {
        _machine.Memory.Write(VirtioReadGuest.LoadAddress, _sector);
        var cpu = _machine.Cpu;
        var r = cpu.Registers;
        var real = new SegmentCache { Base = 0, Limit = SegmentCache.RealModeLimit, Access = 0x9B, Selector = 0 };
        r.SetSegment(SegmentRegister.CS, real);
        r.EIP = VirtioReadGuest.LoadAddress;
        r.InterruptFlag = false;
        cpu.Halted = false;
        var start = _machine.InstructionsExecuted;
        var stop = _machine.Run(RunLimits.UntilIdle);
        if (stop != RunStopReason.Idle || _machine.InstructionsExecuted - start < Requests * MinInstructionsPerRequest)
        {
            throw new InvalidOperationException($"The virtio guest stopped ({stop}) after {_machine.InstructionsExecuted - start} instructions.");
        }

        return _machine.InstructionsExecuted;
    }

    private BlockBackend Open(string name) =>
        _layer.CreateBackend(new BlockBackendOptions { Name = name }, new RawNodeOptions(new FileNodeOptions(_imagePath) { Locking = FileLockMode.Off }));

    private sealed class CompletionSource(BlockLayer layer) : IMachineLoopSource
    {
        public bool HasOutstanding => layer.Backends.Any(b => b.InFlight > 0);

        public int RunPending() => layer.Completions.RunPending();

        public void SetWakeup(Action wakeup) => layer.Completions.Posted = wakeup;
    }
}
