using Emulator.Block;
using Emulator.Block.Backend;
using Emulator.Board;
using Emulator.Devices.Floppy;
using Emulator.Machine.Loop;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Devices.Tests.Floppy;

/// <summary>
/// A PC in qtest mode (no CPU) with the floppy controller installed, a block layer built the way
/// the emulator builds it, and guest-side helpers: port I/O, the 8237 channel 2 programming, the
/// FDC command/result handshake through MSR, and a loop that drains block completions and steps the
/// virtual clock. Every constant here is the test's own, from the 82078 and 8237 datasheets.
/// </summary>
internal sealed class FloppyTestBed : IDisposable
{
    // 82078 registers at base 0x3F0 (PC-AT mode).
    public const ushort Sra = 0x3F0;
    public const ushort Srb = 0x3F1;
    public const ushort Dor = 0x3F2;
    public const ushort Tdr = 0x3F3;
    public const ushort Msr = 0x3F4;
    public const ushort Dsr = 0x3F4;
    public const ushort Fifo = 0x3F5;
    public const ushort Dir = 0x3F7;
    public const ushort Ccr = 0x3F7;

    // MSR bits.
    public const byte Rqm = 0x80;
    public const byte Dio = 0x40;
    public const byte NonDma = 0x20;
    public const byte Busy = 0x10;

    // DOR: motor A on, DMA gate, not reset, drive 0.
    public const byte DorRunDriveA = 0x1C;
    public const byte DorRunDriveB = 0x2D;
    public const byte DorInReset = 0x00;

    // Rates (DSR/CCR bits 1:0).
    public const byte Rate500K = 0;
    public const byte Rate300K = 1;
    public const byte Rate250K = 2;
    public const byte Rate1M = 3;

    // 8237 first controller, channel 2.
    public const ushort DmaCh2Address = 0x04;
    public const ushort DmaCh2Count = 0x05;
    public const ushort DmaSingleMask = 0x0A;
    public const ushort DmaMode = 0x0B;
    public const ushort DmaClearFlipFlop = 0x0C;
    public const ushort DmaCh2Page = 0x81;
    public const byte DmaMaskCh2 = 0x06;
    public const byte DmaUnmaskCh2 = 0x02;

    /// <summary>Single mode, write transfer (device → memory), channel 2.</summary>
    public const byte DmaModeWriteCh2 = 0x46;

    /// <summary>Single mode, read transfer (memory → device), channel 2.</summary>
    public const byte DmaModeReadCh2 = 0x4A;

    /// <summary>Single mode, verify transfer, channel 2.</summary>
    public const byte DmaModeVerifyCh2 = 0x42;

    public const int FloppyIrq = 6;
    public const ushort CmosIndex = 0x70;
    public const ushort CmosData = 0x71;
    public const int SectorBytes = 512;

    private const long StepNs = 10_000;
    private readonly ServiceProvider _services;

    /// <param name="runCpu">False for qtest mode (the test is the guest); true to run guest code on the CPU.</param>
    public FloppyTestBed(bool runCpu = false)
    {
        _services = new ServiceCollection().AddBlockLayer().AddStandardBlockDrivers().BuildServiceProvider();
        Layer = _services.GetRequiredService<BlockLayer>();
        Machine = new PcMachine(new PcMachineOptions { RunCpu = runCpu, RamSize = 2 * 1024 * 1024, Idle = IdleMode.Skip });
        Machine.AddLoopSource(new BlockLoopSource(Layer));
        Fdc = Machine.Install(new FloppyController(Machine));
        TempDir = Directory.CreateTempSubdirectory("emu-fdc-test-").FullName;
    }

    public BlockLayer Layer { get; }

    public PcMachine Machine { get; }

    public FloppyController Fdc { get; }

    public string TempDir { get; }

    public bool Irq => Machine.Chipset.IrqLines[FloppyIrq].Level;

    /// <summary>Byte i of a test image: varies within and across sectors.</summary>
    public static byte Pattern(long i) => (byte)(((i * 13) + (i / SectorBytes) * 7 + 1) % 251);

    public string CreateImage(long length, string name = "floppy.img")
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

    public BlockBackend Open(string path, bool readOnly = false, string name = "fda")
        => Layer.OpenImage(new BlockBackendOptions { Name = name, ReadOnly = readOnly }, path, "raw");

    public BlockBackend AttachImage(int unit, long length, FloppyDriveType type = FloppyDriveType.Auto, bool readOnly = false)
    {
        var name = unit == 0 ? "fda" : "fdb";
        var backend = Open(CreateImage(length, name + ".img"), readOnly, name);
        Fdc.AttachDrive(unit, backend, type, "floppy" + unit);
        return backend;
    }

    public BlockBackend AttachEmpty(int unit, FloppyDriveType type = FloppyDriveType.Drive144)
    {
        var backend = Layer.CreateBackend(new BlockBackendOptions { Name = unit == 0 ? "fda" : "fdb" });
        Fdc.AttachDrive(unit, backend, type, "floppy" + unit);
        return backend;
    }

    public void Start() => Machine.Start();

    public byte In(ushort port) => Machine.Ports.ReadByte(port);

    /// <summary>A CMOS byte through the RTC's index and data ports (0x70/0x71), as a BIOS reads it.</summary>
    public byte Cmos(byte index)
    {
        Out(CmosIndex, index);
        return In(CmosData);
    }

    public void Out(ushort port, byte value) => Machine.Ports.WriteByte(port, value);

    /// <summary>Pulses DOR reset, then takes the four SENSE INTERRUPT STATUS answers a BIOS drains.</summary>
    public void ResetController(byte dor = DorRunDriveA)
    {
        Out(Dor, DorInReset);
        Out(Dor, dor);
        for (var i = 0; i < 4; i++)
        {
            Command(0x08);
            Result(2);
        }
    }

    public void Command(params byte[] bytes)
    {
        foreach (var b in bytes)
        {
            WaitFor(() => (In(Msr) & (Rqm | Dio)) == Rqm, "MSR ready for a command byte");
            Out(Fifo, b);
        }
    }

    public byte[] Result(int count)
    {
        var result = new byte[count];
        for (var i = 0; i < count; i++)
        {
            WaitFor(() => (In(Msr) & (Rqm | Dio)) == (Rqm | Dio), "MSR ready for a result byte");
            result[i] = In(Fifo);
        }

        return result;
    }

    public void WaitForResultPhase() => WaitFor(() => In(Msr) == (Rqm | Dio | Busy), "result phase");

    /// <summary>Programs channel 2 for <paramref name="count"/> bytes at <paramref name="address"/> (below 16 MiB, within one 64 KiB page).</summary>
    public void ProgramDma(byte mode, uint address, int count)
    {
        Out(DmaSingleMask, DmaMaskCh2);
        Out(DmaClearFlipFlop, 0);
        Out(DmaMode, mode);
        Out(DmaCh2Address, (byte)address);
        Out(DmaCh2Address, (byte)(address >> 8));
        Out(DmaCh2Page, (byte)(address >> 16));
        Out(DmaCh2Count, (byte)(count - 1));
        Out(DmaCh2Count, (byte)((count - 1) >> 8));
        Out(DmaSingleMask, DmaUnmaskCh2);
    }

    /// <summary>Channel 2's current count register (0xFFFF after terminal count).</summary>
    public int DmaCurrentCount()
    {
        Out(DmaClearFlipFlop, 0);
        var low = In(DmaCh2Count);
        var high = In(DmaCh2Count);
        return low | (high << 8);
    }

    public byte[] ReadMemory(uint address, int length)
    {
        var data = new byte[length];
        Machine.Memory.TryRead(address, data);
        return data;
    }

    public void WriteMemory(uint address, ReadOnlySpan<byte> data) => Machine.Memory.TryWrite(address, data);

    /// <summary>Lets the machine make progress (block completions, virtual time) until <paramref name="condition"/> holds.</summary>
    public void WaitFor(Func<bool> condition, string what = "condition")
    {
        var deadline = Environment.TickCount64 + 10_000;
        while (!condition())
        {
            if (Layer.Completions.RunPending() == 0)
            {
                Machine.Clock.Advance(StepNs);
                if (!condition() && Layer.Backends.Any(b => b.InFlight > 0))
                {
                    Layer.Completions.WaitForPending(TimeSpan.FromMilliseconds(5));
                }
            }

            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}; MSR=0x{In(Msr):X2}.");
            }
        }
    }

    /// <summary>Drains every outstanding completion without moving virtual time.</summary>
    public void Settle()
    {
        var deadline = Environment.TickCount64 + 10_000;
        while (Layer.Backends.Any(b => b.InFlight > 0) || Layer.Completions.HasPending)
        {
            if (Layer.Completions.RunPending() == 0)
            {
                Layer.Completions.WaitForPending(TimeSpan.FromMilliseconds(5));
            }

            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException("Block requests did not settle.");
            }
        }
    }

    /// <summary>The image as the backend sees it now (the file driver holds the file locked).</summary>
    public byte[] ImageBytes(string name = "fda")
    {
        var backend = Layer.FindBackend(name)!;
        var data = new byte[backend.Length];
        backend.Read(0, data);
        return data;
    }

    /// <summary>
    /// A two-sector DMA data command (C 0, H 0, R 1, N 2, EOT 2) at <paramref name="buffer"/>, driven by
    /// hand to its result phase and read out, allocating nothing itself (the other helpers allocate:
    /// closures, arrays), for tests that count what the device allocates.
    /// </summary>
    public void RunTwoSectorDmaCommand(byte command, byte dmaMode, uint buffer)
    {
        const int SectorBytes = 512;
        const int ResultBytes = 7;
        ProgramDma(dmaMode, buffer, 2 * SectorBytes);
        Out(Fifo, command);
        Out(Fifo, 0x00);
        Out(Fifo, 0);
        Out(Fifo, 0);
        Out(Fifo, 1);
        Out(Fifo, 2);
        Out(Fifo, 2);
        Out(Fifo, 0x1B);
        Out(Fifo, 0xFF);
        var waits = 0;
        while (In(Msr) != (Rqm | Dio | Busy))
        {
            if (++waits > 10_000)
            {
                Assert.Fail("the command did not reach its result phase");
            }

            if (Layer.Completions.RunPending() == 0)
            {
                Layer.Completions.WaitForPending(TimeSpan.FromMilliseconds(5));
            }
        }

        for (var i = 0; i < ResultBytes; i++)
        {
            In(Fifo);
        }
    }

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(TempDir, recursive: true);
    }
}
