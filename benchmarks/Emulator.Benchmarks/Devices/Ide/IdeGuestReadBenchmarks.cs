using BenchmarkDotNet.Attributes;
using Emulator.Block;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Raw;
using Emulator.Block.Memory;
using Emulator.Benchmarks.Tracing;
using Emulator.Board;
using Emulator.Devices.Ide;
using Emulator.Machine.Bus;
using Emulator.Machine.Cpu;
using Emulator.Machine.Loop;
using Iced.Intel;
using Microsoft.Extensions.DependencyInjection;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Benchmarks.Devices.Ide;

/// <summary>
/// Guest-visible read throughput of 1 MiB from an IDE disk, driven by guest code in the interpreter
/// (flat 32-bit, interrupts off, polling): (a) PIO with READ MULTIPLE, 16-sector DRQ blocks moved
/// by <c>rep insw</c> through the port bus's block fast path; (b) READ DMA EXT through the PIIX3
/// bus master with a 16-entry PRD table. The baseline reads the same 1 MiB straight from the
/// BlockBackend. Each operation is one byte, so MB/s = 1000 / Mean(ns) and Ratio compares paths.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class IdeGuestReadBenchmarks
{
    public const int TransferBytes = 1 << 20;

    private const int Sectors = TransferBytes / 512;
    private const uint CodeAddress = 0x1_0000;
    private const uint PrdTable = 0x2_0000;
    private const uint Destination = 0x20_0000;
    private const ushort BusMasterBase = 0xC000;
    private const int PrdRegions = TransferBytes / 65536;

    private ServiceProvider _services = null!;
    private BlockLayer _layer = null!;
    private BlockBackend _backend = null!;
    private AlignedBuffer _baselineBuffer = null!;
    private PcMachine _pioMachine = null!;
    private PcMachine _dmaMachine = null!;
    private string _imagePath = null!;
    private byte[] _image = null!;
    private BenchmarkIoTrace? _trace;

    /// <summary>With an I/O trace session running (docs/io-tracing.md): the cost of tracing on this path.</summary>
    [Params(IoTraceMode.Off, IoTraceMode.Rings, IoTraceMode.File)]
    public IoTraceMode IoTrace { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _imagePath = Path.Combine(Path.GetTempPath(), $"emu-ide-bench-{Environment.ProcessId}.img");
        _image = new byte[TransferBytes];
        new Random(42).NextBytes(_image);
        File.WriteAllBytes(_imagePath, _image);
        _services = new ServiceCollection().AddBlockLayer().AddStandardBlockDrivers().BuildServiceProvider();
        _layer = _services.GetRequiredService<BlockLayer>();
        _backend = Open("baseline");
        _baselineBuffer = new AlignedBuffer(TransferBytes);
        _pioMachine = CreateMachine("pio", AssemblePio());
        _dmaMachine = CreateMachine("dma", AssembleDma());

        // Check once that both guests really moved the image.
        PioRead();
        Verify(_pioMachine, "PIO");
        DmaRead();
        Verify(_dmaMachine, "DMA");
        _trace = BenchmarkIoTrace.Start(IoTrace, _dmaMachine);
    }

    /// <summary>Ends the running trace session, if any, and starts one for <paramref name="mode"/> (<see cref="IoTraceOverhead"/>'s interleaved runs).</summary>
    internal void SwitchTrace(IoTraceMode mode)
    {
        _trace?.Dispose();
        _trace = BenchmarkIoTrace.Start(mode, _dmaMachine);
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
    public BlockError BackendRead() => _backend.Read(0, _baselineBuffer.Memory);

    [Benchmark(OperationsPerInvoke = TransferBytes)]
    public long PioRead() => RunGuest(_pioMachine);

    [Benchmark(OperationsPerInvoke = TransferBytes)]
    public long DmaRead() => RunGuest(_dmaMachine);

    private BlockBackend Open(string name) =>
        _layer.CreateBackend(new BlockBackendOptions { Name = name }, new RawNodeOptions(new FileNodeOptions(_imagePath) { Locking = FileLockMode.Off }));

    private PcMachine CreateMachine(string name, byte[] code)
    {
        var machine = new PcMachine(new PcMachineOptions { RamSize = 16 << 20, Idle = IdleMode.Skip });
        machine.AddLoopSource(new BlockLoopSource(_layer));
        var ide = machine.Install(new Piix3Ide(machine));
        ide.AttachDisk(0, 0, Open(name));
        machine.Start();

        // Firmware's job, done from outside: BAR4 at 0xC000, I/O decoding and bus mastering on.
        const uint configAddress = 0x8000_0000u | (Piix3Ide.SlotDevice << 11) | (Piix3Ide.SlotFunction << 8);
        machine.Ports.Write(0xCF8, PortWidth.Dword, configAddress | 0x20);
        machine.Ports.Write(0xCFC, PortWidth.Dword, BusMasterBase);
        machine.Ports.Write(0xCF8, PortWidth.Dword, configAddress | 0x04);
        machine.Ports.Write(0xCFC, PortWidth.Dword, 0x0005);
        for (var i = 0; i < PrdRegions; i++)
        {
            machine.Memory.WriteDword(PrdTable + (uint)(i * 8), Destination + (uint)(i * 65536));
            machine.Memory.WriteDword(PrdTable + (uint)(i * 8) + 4, i == PrdRegions - 1 ? 0x8000_0000u : 0);
        }

        machine.Memory.Write(CodeAddress, code);
        return machine;
    }

    private static long RunGuest(PcMachine machine)
    {
        var cpu = machine.Cpu;
        var r = cpu.Registers;
        var flat = new SegmentCache { Base = 0, Limit = 0xFFFF_FFFF, Big = true, Access = 0x9B, Selector = 8 };
        r.SetSegment(SegmentRegister.CS, flat);
        r.SetSegment(SegmentRegister.DS, flat with { Access = 0x93, Selector = 0x10 });
        r.SetSegment(SegmentRegister.ES, flat with { Access = 0x93, Selector = 0x10 });
        r.SetSegment(SegmentRegister.SS, flat with { Access = 0x93, Selector = 0x10 });
        r.EIP = CodeAddress;
        r.ESP = 0x9_0000;
        r.InterruptFlag = false;
        cpu.Halted = false;
        machine.Run(RunLimits.UntilIdle);
        return machine.InstructionsExecuted;
    }

    private void Verify(PcMachine machine, string path)
    {
        var landed = new byte[TransferBytes];
        machine.Memory.Read(Destination, landed);
        if (!landed.AsSpan().SequenceEqual(_image))
        {
            throw new InvalidOperationException($"The {path} guest did not read the image.");
        }

        machine.Memory.Write(Destination, new byte[TransferBytes]);
    }

    /// <summary>READ MULTIPLE of 256 sectors per command, 16 sectors per DRQ block, polling BSY/DRQ before each block.</summary>
    private static byte[] AssemblePio()
    {
        var a = new Assembler(32);
        var command = a.CreateLabel();
        var block = a.CreateLabel();
        var wait = a.CreateLabel();
        a.mov(edi, Destination);
        a.xor(ebx, ebx);
        a.mov(esi, Sectors / 256);
        a.Label(ref command);
        a.mov(dx, 0x1F6);
        a.mov(al, 0xE0);
        a.@out(dx, al);
        a.mov(dx, 0x1F2);
        a.xor(al, al);
        a.@out(dx, al);
        a.mov(eax, ebx);
        a.inc(dx);
        a.@out(dx, al);
        a.shr(eax, 8);
        a.inc(dx);
        a.@out(dx, al);
        a.shr(eax, 8);
        a.inc(dx);
        a.@out(dx, al);
        a.mov(dx, 0x1F7);
        a.mov(al, 0xC4);
        a.@out(dx, al);
        a.mov(ebp, 256 / 16);
        a.Label(ref block);
        a.mov(dx, 0x1F7);
        a.Label(ref wait);
        a.@in(al, dx);
        a.test(al, 0x80);
        a.jnz(wait);
        a.test(al, 0x08);
        a.jz(wait);
        a.mov(dx, 0x1F0);
        a.mov(ecx, 16 * 256);
        a.rep.insw();
        a.dec(ebp);
        a.jnz(block);
        a.add(ebx, 256);
        a.dec(esi);
        a.jnz(command);
        a.hlt();
        return Encode(a);
    }

    /// <summary>READ DMA EXT of 2048 sectors, bus master started, polling the bus-master INTR bit.</summary>
    private static byte[] AssembleDma()
    {
        var a = new Assembler(32);
        var wait = a.CreateLabel();
        a.mov(dx, BusMasterBase + 4);
        a.mov(eax, PrdTable);
        a.@out(dx, eax);
        a.mov(dx, 0x1F6);
        a.mov(al, 0x40);
        a.@out(dx, al);
        a.mov(dx, 0x1F2);
        a.mov(al, (byte)(Sectors >> 8));
        a.@out(dx, al);
        a.mov(al, (byte)(Sectors & 0xFF));
        a.@out(dx, al);
        a.xor(al, al);
        for (var port = 0x1F3; port <= 0x1F5; port++)
        {
            a.mov(dx, (ushort)port);
            a.@out(dx, al);
            a.@out(dx, al);
        }

        a.mov(dx, 0x1F7);
        a.mov(al, 0x25);
        a.@out(dx, al);
        a.mov(dx, BusMasterBase);
        a.mov(al, 0x09);
        a.@out(dx, al);
        a.mov(dx, BusMasterBase + 2);
        a.Label(ref wait);
        a.@in(al, dx);
        a.test(al, 0x04);
        a.jz(wait);
        a.@out(dx, al);
        a.mov(dx, BusMasterBase);
        a.xor(al, al);
        a.@out(dx, al);
        a.hlt();
        return Encode(a);
    }

    private static byte[] Encode(Assembler assembler)
    {
        var stream = new MemoryStream();
        assembler.Assemble(new StreamCodeWriter(stream), CodeAddress);
        return stream.ToArray();
    }
}
