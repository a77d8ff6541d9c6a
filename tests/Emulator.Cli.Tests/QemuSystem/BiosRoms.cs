using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>Tiny BIOS images for -bios tests run on both emulators: 64 KiB, entered at the reset vector F000:FFF0.</summary>
internal static class BiosRoms
{
    private const int RomBytes = 64 * 1024;
    private const ushort Com1 = 0x3F8;

    /// <summary>Where the code starts inside the ROM segment F000h, and the reset vector's offset there.</summary>
    private const ushort CodeOffset = 0xE000;
    private const ushort ResetVector = 0xFFF0;

    /// <summary>Writes <paramref name="letter"/> to COM1, then <paramref name="exitValue"/> to isa-debug-exit.</summary>
    public static byte[] SerialThenExit(char letter, byte exitValue)
    {
        var code = new Assembler(16);
        code.mov(dx, Com1);
        code.mov(al, (byte)letter);
        code.@out(dx, al);
        code.mov(dx, BootSectors.DebugExitPort);
        code.mov(al, exitValue);
        code.@out(dx, al);
        var spin = code.CreateLabel();
        code.Label(ref spin);
        code.hlt();
        code.jmp(spin);

        var reset = new Assembler(16);
        reset.jmp(CodeOffset);

        var rom = new byte[RomBytes];
        Assemble(code, CodeOffset).CopyTo(rom, CodeOffset);
        Assemble(reset, ResetVector).CopyTo(rom, ResetVector);
        return rom;
    }

    private static byte[] Assemble(Assembler assembler, ulong ip)
    {
        using var stream = new MemoryStream();
        assembler.Assemble(new StreamCodeWriter(stream), ip);
        return stream.ToArray();
    }
}
