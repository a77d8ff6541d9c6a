using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Benchmarks.Cpu;

/// <summary>
/// The boot sector benchmarks/cpu-vs-qemu.sh runs under <c>emu boot</c> and <c>qemu-system-i386 -accel tcg</c>:
/// the mixed integer/memory/branch loop of <see cref="TranslatorBenchmarks"/> (9 instructions × 1000 per
/// outer pass, data in another page than the code), <c>outer</c> passes, then a write of 0 to
/// isa-debug-exit (port 501h) ends both emulators. Guest instructions ≈ 9005 × outer.
/// </summary>
internal static class BootSectorLoop
{
    public const int InstructionsPerPass = 9005;

    private const ushort Origin = 0x7C00;
    private const ushort DebugExitPort = 0x501;
    private const int SectorSize = 512;
    private const int FloppySize = 1_474_560;

    public static void Write(string path, int outer)
    {
        var a = new Assembler(16);
        var pass = a.CreateLabel();
        var inner = a.CreateLabel();
        var halt = a.CreateLabel();
        a.cli();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(ss, ax);
        a.mov(sp, Origin);
        a.mov(ebp, (uint)outer);
        a.Label(ref pass);
        a.mov(cx, 1000);
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
}
