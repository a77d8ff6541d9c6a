using System.Text;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Firmware.Rom;

/// <summary>
/// Assembles the BIOS ROM with Iced's Assembler (never a committed binary): the reset vector, POST,
/// the default and IRQ handlers, the BIOS tick in x86, and one trap stub per firmware service.
/// A stub saves AX and DX, writes its service number to <see cref="FirmwareTrap.Port"/>, and repeats
/// after STI; HLT while the service answers <see cref="FirmwareTrap.Wait"/>; it returns with IRET,
/// so the service hands results back by editing the caller's stacked AX, DX and FLAGS.
/// </summary>
internal static class BiosRomBuilder
{
    private const byte PicEoi = 0x20;
    private const byte MasterPicCommand = 0x20;
    private const byte SlavePicCommand = 0xA0;
    private const ushort BdaSegment = 0x0040;
    private const ushort TicksOffset = 0x006C;
    private const ushort MidnightFlagOffset = 0x0070;
    private const uint TicksPerDay = 0x1800B0;
    private const byte UserTickVector = 0x1C;
    private const ushort FloppyInterruptOffset = 0x003E;
    private const byte FloppyInterruptBit = 0x80;
    private const ushort HardDiskInterruptOffset = 0x008E;
    private const byte HardDiskInterruptValue = 0xFF;

    /// <summary>Standard 1.44 MB diskette parameters (step rate, head unload/load, motor off, 512-byte sectors, 18 per track, gap, DTL, format gap, fill, head settle, motor start).</summary>
    private static readonly byte[] DisketteParameters = [0xAF, 0x02, 0x25, 0x02, 0x12, 0x1B, 0xFF, 0x6C, 0xF6, 0x0F, 0x08];

    /// <summary>INT 15h C0h: length 8, model FCh, submodel 01h, revision 0, feature bytes (second PIC, RTC, INT 15h 4Fh hook).</summary>
    private static readonly byte[] Configuration = [0x08, 0x00, 0xFC, 0x01, 0x00, 0x70, 0x00, 0x00, 0x00, 0x00];

    public static byte[] Build()
    {
        var rom = new byte[BiosLayout.RomSize];
        Array.Fill(rom, (byte)0xFF);
        Place(rom, BiosLayout.PostEntry, Post);
        Place(rom, BiosLayout.DefaultHandler, a => a.iret());
        Place(rom, BiosLayout.MasterIrqHandler, a => EoiHandler(a, slave: false));
        Place(rom, BiosLayout.SlaveIrqHandler, a => EoiHandler(a, slave: true));
        Place(rom, BiosLayout.TimerHandler, TimerTick);
        Place(rom, BiosLayout.FloppyIrqHandler, a => FlagHandler(a, FloppyInterruptOffset, setBits: FloppyInterruptBit, slave: false));
        Place(rom, BiosLayout.HardDiskIrqHandler, a => FlagHandler(a, HardDiskInterruptOffset, setBits: HardDiskInterruptValue, slave: true));
        Place(rom, BiosLayout.HaltLoop, a =>
        {
            var halt = a.CreateLabel();
            a.Label(ref halt);
            a.cli();
            a.hlt();
            a.jmp(halt);
        });
        foreach (var service in Enum.GetValues<BiosService>())
        {
            Place(rom, BiosLayout.StubOffset(service), a => Stub(a, service));
        }

        DisketteParameters.CopyTo(rom, BiosLayout.DisketteParameterTable);
        Configuration.CopyTo(rom, BiosLayout.ConfigurationTable);
        Place(rom, BiosLayout.ResetVector, a => a.jmp(BiosLayout.Segment, BiosLayout.PostEntry));
        Encoding.ASCII.GetBytes("11/21/26").CopyTo(rom, BiosLayout.DateString);
        rom[BiosLayout.ModelByte] = BiosLayout.ModelAt;
        return rom;
    }

    private static void Place(byte[] rom, ushort offset, Action<Assembler> build)
    {
        var assembler = new Assembler(16);
        build(assembler);
        using var stream = new MemoryStream();
        assembler.Assemble(new StreamCodeWriter(stream), offset);
        stream.ToArray().CopyTo(rom, offset);
    }

    /// <summary>POST: a stack, the POST service (IVT, BDA, PIC, PIT, video, through ports and memory), then INT 19h.</summary>
    private static void Post(Assembler a)
    {
        var dead = a.CreateLabel();
        a.cli();
        a.cld();
        a.xor(ax, ax);
        a.mov(ss, ax);
        a.mov(sp, BiosLayout.PostStackTop);
        a.mov(ds, ax);
        a.mov(es, ax);
        // The IVT is empty at reset: call the POST stub directly, as an INT would (flags, then a far return address).
        a.pushf();
        a.call(BiosLayout.Segment, BiosLayout.StubOffset(BiosService.Post));
        a.sti();
        a.@int((byte)BiosService.Bootstrap);
        a.Label(ref dead);
        a.cli();
        a.hlt();
        a.jmp(dead);
    }

    private static void Stub(Assembler a, BiosService service)
    {
        var again = a.CreateLabel();
        var done = a.CreateLabel();
        var halt = a.CreateLabel();
        a.push(ax);
        a.push(dx);
        a.Label(ref again);
        a.mov(dx, FirmwareTrap.Port);
        a.mov(al, (byte)service);
        a.@out(dx, al);
        a.@in(al, dx);
        a.cmp(al, FirmwareTrap.Done);
        a.je(done);
        a.cmp(al, FirmwareTrap.Poll);
        a.jne(halt);

        // The service polls hardware that does not interrupt it: open an interrupt window and ask again.
        a.sti();
        a.nop();
        a.cli();
        a.jmp(again);

        // The service waits for hardware (a key, a disk): let interrupts in until the next one arrives.
        a.Label(ref halt);
        a.sti();
        a.hlt();
        a.cli();
        a.jmp(again);
        a.Label(ref done);
        a.pop(dx);
        a.pop(ax);
        a.iret();
    }

    private static void EoiHandler(Assembler a, bool slave)
    {
        a.push(ax);
        a.mov(al, PicEoi);
        if (slave)
        {
            a.@out(SlavePicCommand, al);
        }

        a.@out(MasterPicCommand, al);
        a.pop(ax);
        a.iret();
    }

    /// <summary>A disk IRQ: record it in the BDA flag the firmware's drivers wait on, then acknowledge the PIC(s).</summary>
    private static void FlagHandler(Assembler a, ushort offset, byte setBits, bool slave)
    {
        a.push(ds);
        a.push(ax);
        a.mov(ax, BdaSegment);
        a.mov(ds, ax);
        a.or(__byte_ptr[offset], setBits);
        a.mov(al, PicEoi);
        if (slave)
        {
            a.@out(SlavePicCommand, al);
        }

        a.@out(MasterPicCommand, al);
        a.pop(ax);
        a.pop(ds);
        a.iret();
    }

    /// <summary>INT 08h: count ticks in the BDA, roll over at midnight, call INT 1Ch, acknowledge IRQ0.</summary>
    private static void TimerTick(Assembler a)
    {
        var noRollover = a.CreateLabel();
        a.push(ds);
        a.push(ax);
        a.mov(ax, BdaSegment);
        a.mov(ds, ax);
        a.add(__word_ptr[TicksOffset], 1);
        a.adc(__word_ptr[TicksOffset + 2], 0);
        a.cmp(__word_ptr[TicksOffset + 2], (ushort)(TicksPerDay >> 16));
        a.jb(noRollover);
        a.cmp(__word_ptr[TicksOffset], (ushort)(TicksPerDay & 0xFFFF));
        a.jb(noRollover);
        a.mov(__word_ptr[TicksOffset], 0);
        a.mov(__word_ptr[TicksOffset + 2], 0);
        a.mov(__byte_ptr[MidnightFlagOffset], 1);
        a.Label(ref noRollover);
        a.@int(UserTickVector);
        a.mov(al, PicEoi);
        a.@out(MasterPicCommand, al);
        a.pop(ax);
        a.pop(ds);
        a.iret();
    }
}
