using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Emulator.Machine.Bus;
using Emulator.Machine.Cpu;
using Emulator.Machine.Memory;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Benchmarks.Cpu;

/// <summary>
/// Guest instructions per second, interpreter against the translating tier (docs/translating-cpu.md),
/// on the interpreter benchmark's integer/memory/branch loop in 16-bit real mode and flat 32-bit code,
/// and on a branch-heavy loop whose blocks are two to three instructions long, in real mode and in flat
/// 32-bit code with paging on (the shape of memtest86+'s loops; the mixed loop runs paged too, every access a TLB hit; each block goes back through the
/// dispatcher, which follows a chain link instead of the full lookup when it can). Blocks are compiled in the global setup, so the figures are
/// steady-state. Per category the interpreter is the baseline: Ratio &lt; 1 means the tier is faster.
/// Time per operation is per guest instruction: instructions/s = 1e9 / Median(ns).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class TranslatorBenchmarks
{
    public const int InstructionsPerInvoke = 1_000_000;

    private const uint CodeAddress = 0x1_0000;
    private const ushort CodeSegment = 0x1000;
    private const ushort DataSegment = 0x2000;
    private const uint DirectoryAddress = 0x20_0000;
    private const uint TableAddress = 0x20_1000;
    private const uint PageSize = 0x1000;
    private const uint PresentWritable = 0x3;
    private const uint PagesPerTable = 1024;
    private const uint ProtectedAndPaging = 0x8000_0011;

    private readonly Dictionary<(string Loop, CpuTier Tier), X86Cpu> _cpus = [];

    [GlobalSetup]
    public void Setup()
    {
        foreach (var tier in new[] { CpuTier.Interpreter, CpuTier.Translator })
        {
            _cpus[("mixed16", tier)] = Warm(CreateCpu(Assemble16(MixedLoop16), big: false, tier));
            _cpus[("mixed32", tier)] = Warm(CreateCpu(Assemble32(), big: true, tier));
            _cpus[("mixed32paged", tier)] = Warm(CreateCpu(Assemble32(), big: true, tier, paged: true));
            _cpus[("branchy16", tier)] = Warm(CreateCpu(Assemble16(BranchyLoop16), big: false, tier));
            _cpus[("branchy32paged", tier)] = Warm(CreateCpu(AssembleBranchy32(), big: true, tier, paged: true));
            _cpus[("tsc32", tier)] = Warm(CreateCpu(AssembleFlat32(TimeStampLoop32), big: true, tier));
            _cpus[("imul32", tier)] = Warm(CreateCpu(AssembleFlat32(MultiplyLoop32), big: true, tier));
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = InstructionsPerInvoke)]
    [BenchmarkCategory("RealMode16Mixed")]
    public long Interpreter16Mixed() => _cpus[("mixed16", CpuTier.Interpreter)].Run(InstructionsPerInvoke);

    [Benchmark(OperationsPerInvoke = InstructionsPerInvoke)]
    [BenchmarkCategory("RealMode16Mixed")]
    public long Translator16Mixed() => _cpus[("mixed16", CpuTier.Translator)].Run(InstructionsPerInvoke);

    [Benchmark(Baseline = true, OperationsPerInvoke = InstructionsPerInvoke)]
    [BenchmarkCategory("Flat32Mixed")]
    public long Interpreter32Mixed() => _cpus[("mixed32", CpuTier.Interpreter)].Run(InstructionsPerInvoke);

    [Benchmark(OperationsPerInvoke = InstructionsPerInvoke)]
    [BenchmarkCategory("Flat32Mixed")]
    public long Translator32Mixed() => _cpus[("mixed32", CpuTier.Translator)].Run(InstructionsPerInvoke);

    [Benchmark(Baseline = true, OperationsPerInvoke = InstructionsPerInvoke)]
    [BenchmarkCategory("Flat32PagedMixed")]
    public long Interpreter32PagedMixed() => _cpus[("mixed32paged", CpuTier.Interpreter)].Run(InstructionsPerInvoke);

    [Benchmark(OperationsPerInvoke = InstructionsPerInvoke)]
    [BenchmarkCategory("Flat32PagedMixed")]
    public long Translator32PagedMixed() => _cpus[("mixed32paged", CpuTier.Translator)].Run(InstructionsPerInvoke);

    [Benchmark(Baseline = true, OperationsPerInvoke = InstructionsPerInvoke)]
    [BenchmarkCategory("RealMode16Branchy")]
    public long Interpreter16Branchy() => _cpus[("branchy16", CpuTier.Interpreter)].Run(InstructionsPerInvoke);

    [Benchmark(OperationsPerInvoke = InstructionsPerInvoke)]
    [BenchmarkCategory("RealMode16Branchy")]
    public long Translator16Branchy() => _cpus[("branchy16", CpuTier.Translator)].Run(InstructionsPerInvoke);

    [Benchmark(Baseline = true, OperationsPerInvoke = InstructionsPerInvoke)]
    [BenchmarkCategory("Flat32PagedBranchy")]
    public long Interpreter32PagedBranchy() => _cpus[("branchy32paged", CpuTier.Interpreter)].Run(InstructionsPerInvoke);

    [Benchmark(OperationsPerInvoke = InstructionsPerInvoke)]
    [BenchmarkCategory("Flat32PagedBranchy")]
    public long Translator32PagedBranchy() => _cpus[("branchy32paged", CpuTier.Translator)].Run(InstructionsPerInvoke);

    [Benchmark(Baseline = true, OperationsPerInvoke = InstructionsPerInvoke)]
    [BenchmarkCategory("Flat32TimeStampPoll")]
    public long Interpreter32TimeStamp() => _cpus[("tsc32", CpuTier.Interpreter)].Run(InstructionsPerInvoke);

    [Benchmark(OperationsPerInvoke = InstructionsPerInvoke)]
    [BenchmarkCategory("Flat32TimeStampPoll")]
    public long Translator32TimeStamp() => _cpus[("tsc32", CpuTier.Translator)].Run(InstructionsPerInvoke);

    [Benchmark(Baseline = true, OperationsPerInvoke = InstructionsPerInvoke)]
    [BenchmarkCategory("Flat32MultiplyCmov")]
    public long Interpreter32Multiply() => _cpus[("imul32", CpuTier.Interpreter)].Run(InstructionsPerInvoke);

    [Benchmark(OperationsPerInvoke = InstructionsPerInvoke)]
    [BenchmarkCategory("Flat32MultiplyCmov")]
    public long Translator32Multiply() => _cpus[("imul32", CpuTier.Translator)].Run(InstructionsPerInvoke);

    private static X86Cpu Warm(X86Cpu cpu)
    {
        cpu.Run(InstructionsPerInvoke);
        return cpu;
    }

    private static X86Cpu CreateCpu(byte[] code, bool big, CpuTier tier, bool paged = false)
    {
        var memory = new GuestMemory();
        memory.Write(CodeAddress, code);
        var cpu = new X86Cpu(memory, new IoPortBus(), null) { Tier = tier };
        if (paged)
        {
            EnablePaging(memory, cpu);
        }

        var r = cpu.Registers;
        if (big)
        {
            var flat = new SegmentCache { Base = 0, Limit = 0xFFFF_FFFF, Big = true, Access = 0x9B, Selector = 8 };
            r.SetSegment(SegmentRegister.CS, flat);
            r.SetSegment(SegmentRegister.DS, flat with { Access = 0x93, Selector = 0x10 });
            r.SetSegment(SegmentRegister.SS, flat with { Access = 0x93, Selector = 0x10 });
            r.EIP = CodeAddress;
            r.ESP = 0x9_0000;
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

    /// <summary>Turns paging on over an identity map of the first 4 MiB (one directory entry, one table).</summary>
    private static void EnablePaging(GuestMemory memory, X86Cpu cpu)
    {
        memory.Write(DirectoryAddress, BitConverter.GetBytes(TableAddress | PresentWritable));
        for (var page = 0u; page < PagesPerTable; page++)
        {
            memory.Write(TableAddress + (page * 4), BitConverter.GetBytes((page * PageSize) | PresentWritable));
        }

        cpu.Registers.CR3 = DirectoryAddress;
        cpu.Registers.CR0 = ProtectedAndPaging;
    }

    /// <summary>The interpreter benchmark's inner loop: load, ALU, store, pointer step, compare, counted branch.</summary>
    private static void MixedLoop16(Assembler a)
    {
        var inner = a.CreateLabel();
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
    }

    /// <summary>Odd and even iterations take different paths: short blocks, a taken branch every two or three instructions.</summary>
    private static void BranchyLoop16(Assembler a)
    {
        var inner = a.CreateLabel();
        var even = a.CreateLabel();
        var next = a.CreateLabel();
        a.mov(cx, 1000);
        a.Label(ref inner);
        a.test(cx, 1);
        a.jz(even);
        a.add(ax, cx);
        a.jmp(next);
        a.Label(ref even);
        a.sub(bx, cx);
        a.Label(ref next);
        a.dec(cx);
        a.jnz(inner);
    }

    private static byte[] Assemble16(Action<Assembler> body)
    {
        var a = new Assembler(16);
        var outer = a.CreateLabel();
        a.Label(ref outer);
        body(a);
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

    /// <summary>memtest86+'s delay shape: read the TSC, work, compare the elapsed count, loop.</summary>
    private static void TimeStampLoop32(Assembler a)
    {
        var inner = a.CreateLabel();
        a.mov(ecx, 1000);
        a.Label(ref inner);
        a.rdtsc();
        a.mov(ebx, eax);
        a.add(__dword_ptr[0x2_0000], ebx);
        a.sub(eax, edx);
        a.cmp(eax, 5);
        a.dec(ecx);
        a.jnz(inner);
    }

    /// <summary>A decompressor's shape (the Linux boot's most interpreted instructions were IMUL and CMOVcc): multiply, conditional move, exchange in a counted loop.</summary>
    private static void MultiplyLoop32(Assembler a)
    {
        var inner = a.CreateLabel();
        a.mov(ecx, 1000);
        a.Label(ref inner);
        a.mov(eax, __dword_ptr[0x2_0000]);
        a.imul(eax, eax, 0x0800);
        a.cmp(eax, ebx);
        a.cmovb(ebx, eax);
        a.xchg(edx, esi);
        a.add(__dword_ptr[0x2_0004], eax);
        a.dec(ecx);
        a.jnz(inner);
    }

    private static byte[] AssembleFlat32(Action<Assembler> body)
    {
        var a = new Assembler(32);
        var outer = a.CreateLabel();
        a.Label(ref outer);
        body(a);
        a.jmp(outer);
        return Encode(a, CodeAddress);
    }

    /// <summary><see cref="BranchyLoop16"/> in 32-bit code.</summary>
    private static byte[] AssembleBranchy32()
    {
        var a = new Assembler(32);
        var outer = a.CreateLabel();
        var inner = a.CreateLabel();
        var even = a.CreateLabel();
        var next = a.CreateLabel();
        a.Label(ref outer);
        a.mov(ecx, 1000);
        a.Label(ref inner);
        a.test(ecx, 1);
        a.jz(even);
        a.add(eax, ecx);
        a.jmp(next);
        a.Label(ref even);
        a.sub(ebx, ecx);
        a.Label(ref next);
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
