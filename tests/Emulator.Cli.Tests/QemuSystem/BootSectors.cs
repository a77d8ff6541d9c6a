using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>Tiny boot sectors for command-line tests run on both emulators: each says who it is on COM1.</summary>
internal static class BootSectors
{
    public const ushort DebugExitPort = 0x501;
    private const ushort BootOrigin = 0x7C00;
    private const int SectorBytes = 512;
    private const int SignatureOffset = 510;
    private const ushort Com1 = 0x3F8;
    private const byte KbcCommandPort = 0x64;
    private const byte KbcPulseReset = 0xFE;

    /// <summary>Writes <paramref name="letter"/> to COM1, then <paramref name="exitValue"/> to isa-debug-exit.</summary>
    public static byte[] SerialThenExit(char letter, byte exitValue) => Build(letter, a =>
    {
        a.mov(dx, DebugExitPort);
        a.mov(al, exitValue);
        a.@out(dx, al);
    });

    /// <summary>Writes <paramref name="letter"/> to COM1, then pulls the reset line through the 8042.</summary>
    public static byte[] SerialThenReset(char letter) => Build(letter, a =>
    {
        a.mov(al, KbcPulseReset);
        a.@out(KbcCommandPort, al);
    });

    /// <summary>Writes <paramref name="letter"/> to COM1, empties the IDT and executes UD2: #UD, #DF, shutdown.</summary>
    public static byte[] SerialThenTripleFault(char letter) => Build(letter, a =>
    {
        a.push(0);
        a.push(0);
        a.push(0);
        a.mov(bp, sp);
        a.lidt(__[bp]);
        a.ud2();
    });

    private static byte[] Build(char letter, Action<Assembler> then)
    {
        var a = new Assembler(16);
        a.mov(dx, Com1);
        a.mov(al, (byte)letter);
        a.@out(dx, al);
        then(a);
        var spin = a.CreateLabel();
        a.Label(ref spin);
        a.hlt();
        a.jmp(spin);
        return Sector(a);
    }

    /// <summary>
    /// The code of <paramref name="a"/> assembled at 0000:7C00 in a 512-byte boot sector with the 55h AAh
    /// signature; the code must end before the signature.
    /// </summary>
    public static byte[] Sector(Assembler a)
    {
        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), BootOrigin);
        var code = stream.ToArray();
        Assert.That(code, Has.Length.LessThanOrEqualTo(SignatureOffset), "the boot sector's code overlaps its signature");
        var sector = new byte[SectorBytes];
        code.CopyTo(sector, 0);
        sector[SignatureOffset] = 0x55;
        sector[SignatureOffset + 1] = 0xAA;
        return sector;
    }
}
