using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Benchmarks.Cpu;

/// <summary>
/// The boot sector benchmarks/cpu-vs-qemu.sh runs under <c>emu boot</c> and <c>qemu-system-i386 -accel tcg</c>:
/// the mixed integer/memory/branch loop of <see cref="TranslatorBenchmarks"/> (9 instructions × 1000 per
/// outer pass, data in another page than the code), <c>outer</c> passes, then a write of 0 to
/// isa-debug-exit (port 501h) ends both emulators. Guest instructions ≈ 9005 × outer. The branchy shape runs
/// <see cref="TranslatorBenchmarks"/>' branch-heavy loop instead (blocks of two or three instructions, a taken
/// branch every few): ≈ 5503 × outer.
/// </summary>
internal static class BootSectorLoop
{
    public const int InstructionsPerPass = 9005;

    public const int BranchyInstructionsPerPass = 5503;

    private const ushort Origin = 0x7C00;
    private const ushort DebugExitPort = 0x501;
    private const int SectorSize = 512;
    private const int FloppySize = 1_474_560;

    public static void Write(string path, int outer, bool branchy = false)
    {
        var a = new Assembler(16);
        var pass = a.CreateLabel();
        var halt = a.CreateLabel();
        a.cli();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(ss, ax);
        a.mov(sp, Origin);
        a.mov(ebp, (uint)outer);
        a.Label(ref pass);
        a.mov(cx, 1000);
        if (branchy)
        {
            Branchy(a);
        }
        else
        {
            Mixed(a);
        }

        a.dec(ebp);
        a.jnz(pass);
        a.mov(dx, DebugExitPort);
        a.xor(al, al);
        a.@out(dx, al);
        a.Label(ref halt);
        a.hlt();
        a.jmp(halt);
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), Origin);
        var image = new byte[FloppySize];
        stream.ToArray().CopyTo(image, 0);
        image[SectorSize - 2] = 0x55;
        image[SectorSize - 1] = 0xAA;
        File.WriteAllBytes(path, image);
    }

    /// <summary>Load, ALU, store, pointer step, compare, counted branch: 9 instructions × 1000 (+ 2 set-up).</summary>
    private static void Mixed(Assembler a)
    {
        var inner = a.CreateLabel();
        a.xor(si, si);
        a.mov(di, 0x800);
        a.Label(ref inner);
        a.mov(ax, __word_ptr[si + 0x9000]);
        a.add(ax, bx);
        a.xor(dx, ax);
        a.mov(__word_ptr[di + 0x9000], dx);
        a.add(si, 2);
        a.and(si, 0x3FE);
        a.cmp(ax, dx);
        a.dec(cx);
        a.jnz(inner);
    }

    /// <summary>Odd and even counts take different paths: 11 instructions per two iterations × 500.</summary>
    private static void Branchy(Assembler a)
    {
        var inner = a.CreateLabel();
        var even = a.CreateLabel();
        var next = a.CreateLabel();
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
}
