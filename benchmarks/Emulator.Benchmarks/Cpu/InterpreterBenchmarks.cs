using BenchmarkDotNet.Attributes;
using Emulator.Machine.Bus;
using Emulator.Machine.Cpu;
using Emulator.Machine.Interrupts;
using Emulator.Machine.Memory;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Benchmarks.Cpu;

/// <summary>
/// Interpreter throughput on a mixed loop: loads and stores through DS, register ALU work, a
/// conditional branch per iteration and an outer jump, in 16-bit real mode and in flat 32-bit code.
/// Each invocation runs <see cref="InstructionsPerInvoke"/> guest instructions, so the reported
/// time is per guest instruction: instructions per second = 1e9 / Mean(ns). The machine the
/// benchmarks run on is shared and noisy, so compare medians.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class InterpreterBenchmarks
{
    /// <summary>Guest instructions per benchmark invocation.</summary>
    public const int InstructionsPerInvoke = 1_000_000;

    private const uint CodeAddress = 0x1_0000;
    private const ushort CodeSegment = 0x1000;
    private const ushort DataSegment = 0x2000;

    private X86Cpu _cpu16 = null!;
    private X86Cpu _cpu32 = null!;
    private X86Cpu _cpu16Interruptible = null!;
    private X86Cpu _cpu16SharedPage = null!;
    private X86Cpu _cpu32Paged = null!;

    [GlobalSetup]
    public void Setup()
    {
        _cpu16 = CreateCpu(Assemble16(), big: false);
        _cpu32 = CreateCpu(Assemble32(), big: true);
        _cpu16Interruptible = CreateCpu(Assemble16(), big: false, new QuietInterruptController());
        _cpu16Interruptible.Registers.InterruptFlag = true;
        _cpu16SharedPage = CreateCpu(Assemble16(), big: false);
        _cpu16SharedPage.Registers.DS = CodeSegment;
        _cpu32Paged = CreateCpu(Assemble32(), big: true, paged: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = InstructionsPerInvoke)]
    public long RealMode16MixedLoop() => _cpu16.Run(InstructionsPerInvoke);

    [Benchmark(OperationsPerInvoke = InstructionsPerInvoke)]
    public long Flat32MixedLoop() => _cpu32.Run(InstructionsPerInvoke);

    /// <summary>The same 16-bit loop with IF set and an interrupt controller polled before every instruction.</summary>
    [Benchmark(OperationsPerInvoke = InstructionsPerInvoke)]
    public long RealMode16MixedLoopInterruptsEnabled() => _cpu16Interruptible.Run(InstructionsPerInvoke);

    /// <summary>
    /// The same loop with its data in the page that holds its code (a boot sector with its stack just
    /// below it): every store takes the slow path that checks the decoded byte range.
    /// </summary>
    [Benchmark(OperationsPerInvoke = InstructionsPerInvoke)]
    public long RealMode16StoresIntoCodePage() => _cpu16SharedPage.Run(InstructionsPerInvoke);

    /// <summary>
    /// The flat 32-bit loop with CR0.PG set over an identity map of the first 4 MiB (one page table):
    /// every access and fetch goes through the TLB, so the difference to <see cref="Flat32MixedLoop"/>
    /// is the cost of translation on hits.
    /// </summary>
    [Benchmark(OperationsPerInvoke = InstructionsPerInvoke)]
    public long Flat32PagedMixedLoop() => _cpu32Paged.Run(InstructionsPerInvoke);

    private static void EnablePaging(GuestMemory memory, CpuRegisters registers)
    {
        const uint Directory = 0x10_0000;
        const uint Table = 0x10_1000;
        const uint PresentWritable = 0x3;
        const uint ProtectedAndPaging = 0x8000_0011;
        const int Entries = 1024;
        var entry = new byte[4];
        BitConverter.TryWriteBytes(entry, Table | PresentWritable);
        memory.Write(Directory, entry);
        for (var page = 0u; page < Entries; page++)
        {
            BitConverter.TryWriteBytes(entry, (page << 12) | PresentWritable);
            memory.Write(Table + (page * 4), entry);
        }

        registers.CR3 = Directory;
        registers.CR0 = ProtectedAndPaging;
    }

    private static X86Cpu CreateCpu(byte[] code, bool big, IInterruptAcknowledge? interrupts = null, bool paged = false)
    {
        var memory = new GuestMemory();
        memory.Write(CodeAddress, code);
        var cpu = new X86Cpu(memory, new IoPortBus(), interrupts);
        var r = cpu.Registers;
        if (big)
        {
            var flat = new SegmentCache { Base = 0, Limit = 0xFFFF_FFFF, Big = true, Access = 0x9B, Selector = 8 };
            r.SetSegment(SegmentRegister.CS, flat);
            r.SetSegment(SegmentRegister.DS, flat with { Access = 0x93, Selector = 0x10 });
            r.SetSegment(SegmentRegister.SS, flat with { Access = 0x93, Selector = 0x10 });
            r.EIP = CodeAddress;
            r.ESP = 0x9_0000;
            if (paged)
            {
                EnablePaging(memory, r);
            }
        }
        else
        {
            r.CS = CodeSegment;
            r.DS = DataSegment;
            r.SS = DataSegment;
            r.EIP = 0;
            r.ESP = 0xFFF0;
        }

        return cpu;
    }

    private static byte[] Assemble16()
    {
        var a = new Assembler(16);
        var outer = a.CreateLabel();
        var inner = a.CreateLabel();
        a.Label(ref outer);
        a.mov(cx, 1000);
        a.xor(si, si);
        a.mov(di, 0x800);
        a.Label(ref inner);
        a.mov(ax, __word_ptr[si]);
        a.add(ax, bx);
        a.xor(dx, ax);
        a.mov(__word_ptr[di], dx);
        a.add(si, 2);
        a.and(si, 0x3FE);
        a.cmp(ax, dx);
        a.dec(cx);
        a.jnz(inner);
        a.jmp(outer);
        return Encode(a, 0);
    }

    private static byte[] Assemble32()
    {
        var a = new Assembler(32);
        var outer = a.CreateLabel();
        var inner = a.CreateLabel();
        a.Label(ref outer);
        a.mov(ecx, 1000);
        a.mov(esi, 0x2_0000);
        a.mov(edi, 0x3_0000);
        a.Label(ref inner);
        a.mov(eax, __dword_ptr[esi]);
        a.add(eax, ebx);
        a.xor(edx, eax);
        a.mov(__dword_ptr[edi + ecx * 4], edx);
        a.add(esi, 4);
        a.and(esi, 0x2_0FFC);
        a.cmp(eax, edx);
        a.dec(ecx);
        a.jnz(inner);
        a.jmp(outer);
        return Encode(a, CodeAddress);
    }

    private static byte[] Encode(Assembler assembler, ulong ip)
    {
        var stream = new MemoryStream();
        assembler.Assemble(new StreamCodeWriter(stream), ip);
        return stream.ToArray();
    }
}
