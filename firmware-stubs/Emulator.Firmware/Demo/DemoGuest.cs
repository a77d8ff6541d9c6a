using System.Text;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Firmware.Demo;

/// <summary>
/// The guest <c>emu boot</c> runs when no drive is given: a boot sector's worth of real-mode code,
/// assembled here with Iced, that the BIOS loads at 0000:7C00 from fw_cfg. It asks the BIOS and the
/// hardware what the machine has — base and extended memory (INT 12h, INT 15h AH=88h), the E820
/// map, the equipment word, the BDA hard-disk count, the CPU vendor (CPUID), the PCI functions on
/// bus 0 (ports CF8h/CFCh) and the RTC time (INT 1Ah), then tours the disks (floppy 00h, hard disks
/// 80h/81h, CD E0h: size, label and checksum of the first sector through INT 13h) — prints it with INT 10h, and powers
/// the machine off through the ACPI PM1 control register, so <c>emu boot</c> ends with status 0.
/// </summary>
public static class DemoGuest
{
    /// <summary>The offset (segment 0) the BIOS loads and starts the guest at, as for any boot sector.</summary>
    public const ushort Origin = 0x7C00;
    /// <summary>The last line the guest prints before it powers the machine off: its presence in the console output means the tour completed.</summary>
    public const string DoneLine = "Demo finished: powering off through ACPI.";

    /// <summary>PM1a_CNT of the PIIX4 PM block POST places at 600h.</summary>
    private const ushort Pm1Control = 0x604;

    /// <summary>SLP_EN (bit 13) with SLP_TYP 0, the soft-off state of QEMU's DSDT.</summary>
    private const ushort SoftOffSleepEnable = 0x2000;
    private const ushort PciAddressPort = 0xCF8;
    private const ushort PciDataPort = 0xCFC;
    private const uint PciEnable = 0x80000000;
    private const int PciSlots = 32;
    private const int PciSlotShift = 11;
    private const uint Smap = 0x534D4150;
    private const ushort E820Buffer = 0x0600;
    private const ushort UsableKb = 0x05F0;
    private const ushort HardDiskCountOffset = 0x0475;
    private const ushort ParameterBuffer = 0x0680;
    private const ushort PacketBuffer = 0x06C0;
    private const ushort TourDrive = 0x06E0;
    private const ushort SectorBuffer = 0x9000;
    private const ushort EddTableSize = 0x1A;

    /// <summary>The tour's drives: floppy A:, the first two hard disks (IDE, then virtio-blk), the first CD.</summary>
    private static readonly byte[] TourDrives = [0x00, 0x80, 0x81, 0xE0];

    private static readonly string[] Texts =
    [
        "Emulator.Storage demo guest\r\n",
        "Base memory (INT 12h): ",
        " KiB\r\nExtended memory (INT 15h/88h): ",
        " KiB\r\nE820 map: ",
        " entries, usable RAM ",
        " KiB\r\nEquipment word (INT 11h): ",
        "h\r\nHard disks (BDA 0475h): ",
        "\r\nCPU vendor (CPUID): ",
        "\r\nPCI 00:",
        ".0 ",
        ":",
        "\r\nRTC time (INT 1Ah): ",
        "\r\n" + DoneLine + "\r\n",
        "\r\nDisk tour (INT 13h, through the device models):",
        "\r\n  drive ",
        "h: ",
        " x ",
        " bytes '",
        "' sum ",
        "h",
        "not present",
        "read failed, status ",
    ];

    /// <summary>Assembles the guest: real-mode code for <see cref="Origin"/> followed by its NUL-terminated strings. Hand the bytes to the machine as the fw_cfg file <see cref="Services.FirmwareOptions.BootSectorFile"/>. Each call assembles afresh and returns a new array.</summary>
    public static byte[] Build()
    {
        // Pass 1 measures the code with placeholder string addresses (every MOV SI, imm16 has the same length).
        var placeholder = Enumerable.Repeat((ushort)0xFFFF, Texts.Length).ToArray();
        var codeLength = Assemble(placeholder).Length;
        var addresses = new ushort[Texts.Length];
        var strings = new List<byte>();
        for (var i = 0; i < Texts.Length; i++)
        {
            addresses[i] = (ushort)(Origin + codeLength + strings.Count);
            strings.AddRange(Encoding.ASCII.GetBytes(Texts[i]));
            strings.Add(0);
        }

        var code = Assemble(addresses);
        return [.. code, .. strings];
    }

    private static byte[] Assemble(ushort[] text)
    {
        var a = new Assembler(16);
        var print = a.CreateLabel();
        var printDecimal = a.CreateLabel();
        var printHex = a.CreateLabel();
        var printHexByte = a.CreateLabel();
        var e820Loop = a.CreateLabel();
        var e820Done = a.CreateLabel();
        var e820Skip = a.CreateLabel();
        var pciLoop = a.CreateLabel();
        var pciNext = a.CreateLabel();

        a.cli();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(sp, Origin);
        a.sti();
        a.cld();

        Say(a, print, text[0]);
        Say(a, print, text[1]);
        a.@int(0x12);
        a.movzx(eax, ax);
        a.call(printDecimal);
        Say(a, print, text[2]);
        a.mov(ah, 0x88);
        a.@int(0x15);
        a.movzx(eax, ax);
        a.call(printDecimal);

        // E820: count the entries and add up the usable ones (type 1), in KiB.
        Say(a, print, text[3]);
        a.xor(ebx, ebx);
        a.xor(ebp, ebp);
        a.mov(__dword_ptr[UsableKb], ebx);
        a.Label(ref e820Loop);
        a.mov(eax, 0xE820);
        a.mov(edx, Smap);
        a.mov(ecx, 20);
        a.mov(di, E820Buffer);
        a.@int(0x15);
        a.jc(e820Done);
        a.inc(ebp);
        a.cmp(__dword_ptr[E820Buffer + 16], 1);
        a.jne(e820Skip);
        a.mov(eax, __dword_ptr[E820Buffer + 8]);
        a.shr(eax, 10);
        a.add(__dword_ptr[UsableKb], eax);
        a.Label(ref e820Skip);
        a.test(ebx, ebx);
        a.jnz(e820Loop);
        a.Label(ref e820Done);
        a.mov(eax, ebp);
        a.call(printDecimal);
        Say(a, print, text[4]);
        a.mov(eax, __dword_ptr[UsableKb]);
        a.call(printDecimal);

        Say(a, print, text[5]);
        a.@int(0x11);
        a.call(printHex);
        Say(a, print, text[6]);
        a.movzx(eax, __byte_ptr[HardDiskCountOffset]);
        a.call(printDecimal);

        // CPUID leaf 0: the vendor string is EBX, EDX, ECX.
        Say(a, print, text[7]);
        a.xor(eax, eax);
        a.cpuid();
        a.mov(__dword_ptr[E820Buffer], ebx);
        a.mov(__dword_ptr[E820Buffer + 4], edx);
        a.mov(__dword_ptr[E820Buffer + 8], ecx);
        a.mov(__byte_ptr[E820Buffer + 12], 0);
        a.mov(si, E820Buffer);
        a.call(print);

        // PCI bus 0, function 0 of every slot, through configuration mechanism #1.
        a.xor(cx, cx);
        a.Label(ref pciLoop);
        a.movzx(eax, cx);
        a.shl(eax, PciSlotShift);
        a.or(eax, PciEnable);
        a.mov(dx, PciAddressPort);
        a.@out(dx, eax);
        a.mov(dx, PciDataPort);
        a.@in(eax, dx);
        a.cmp(ax, 0xFFFF);
        a.je(pciNext);
        a.mov(ebx, eax);
        Say(a, print, text[8]);
        a.mov(al, cl);
        a.call(printHexByte);
        Say(a, print, text[9]);
        a.mov(ax, bx);
        a.call(printHex);
        Say(a, print, text[10]);
        a.mov(eax, ebx);
        a.shr(eax, 16);
        a.call(printHex);
        a.Label(ref pciNext);
        a.inc(cx);
        a.cmp(cx, PciSlots);
        a.jb(pciLoop);

        // RTC time: CH:CL:DH in BCD, printed as hex digits.
        Say(a, print, text[11]);
        a.mov(ah, 0x02);
        a.@int(0x1A);
        a.mov(al, ch);
        a.call(printHexByte);
        a.mov(al, (byte)':');
        a.mov(ah, 0x0E);
        a.@int(0x10);
        a.mov(al, cl);
        a.call(printHexByte);
        a.mov(al, (byte)':');
        a.mov(ah, 0x0E);
        a.@int(0x10);
        a.mov(al, dh);
        a.call(printHexByte);

        Say(a, print, text[13]);
        var tourOne = a.CreateLabel();
        foreach (var drive in TourDrives)
        {
            a.mov(__byte_ptr[TourDrive], drive);
            a.call(tourOne);
        }

        // Power off as an ACPI guest does on QEMU's pc: PM1 control, SLP_TYP 0 (S5) with SLP_EN.
        Say(a, print, text[12]);
        a.mov(dx, Pm1Control);
        a.mov(ax, SoftOffSleepEnable);
        a.@out(dx, ax);
        var halt = a.CreateLabel();
        a.Label(ref halt);
        a.cli();
        a.hlt();
        a.jmp(halt);

        EmitTourOne(a, tourOne, print, printDecimal, printHex, printHexByte, text);

        // print: the NUL-terminated string at DS:SI through INT 10h teletype.
        var printEnd = a.CreateLabel();
        var printLoop = a.CreateLabel();
        a.Label(ref print);
        a.push(ax);
        a.push(bx);
        a.Label(ref printLoop);
        a.lodsb();
        a.test(al, al);
        a.jz(printEnd);
        a.mov(ah, 0x0E);
        a.mov(bx, 0x0007);
        a.@int(0x10);
        a.jmp(printLoop);
        a.Label(ref printEnd);
        a.pop(bx);
        a.pop(ax);
        a.ret();

        // printDecimal: EAX in decimal.
        var divide = a.CreateLabel();
        var emit = a.CreateLabel();
        a.Label(ref printDecimal);
        a.push(eax);
        a.push(ebx);
        a.push(ecx);
        a.push(edx);
        a.mov(ebx, 10);
        a.xor(cx, cx);
        a.Label(ref divide);
        a.xor(edx, edx);
        a.div(ebx);
        a.push(dx);
        a.inc(cx);
        a.test(eax, eax);
        a.jnz(divide);
        a.Label(ref emit);
        a.pop(ax);
        a.add(al, (byte)'0');
        a.mov(ah, 0x0E);
        a.mov(bx, 0x0007);
        a.@int(0x10);
        a.loop(emit);
        a.pop(edx);
        a.pop(ecx);
        a.pop(ebx);
        a.pop(eax);
        a.ret();

        // printHex: AX as four hex digits; printHexByte: AL as two.
        a.Label(ref printHex);
        a.push(ax);
        a.mov(al, ah);
        a.call(printHexByte);
        a.pop(ax);
        a.Label(ref printHexByte);
        a.push(ax);
        a.push(bx);
        a.push(cx);
        a.mov(bl, al);
        a.mov(cx, 2);
        var digit = a.CreateLabel();
        var letter = a.CreateLabel();
        var out_ = a.CreateLabel();
        a.Label(ref digit);
        a.rol(bl, 4);
        a.mov(al, bl);
        a.and(al, 0x0F);
        a.cmp(al, 10);
        a.jae(letter);
        a.add(al, (byte)'0');
        a.jmp(out_);
        a.Label(ref letter);
        a.add(al, (byte)('A' - 10));
        a.Label(ref out_);
        a.mov(ah, 0x0E);
        a.push(bx);
        a.mov(bx, 0x0007);
        a.@int(0x10);
        a.pop(bx);
        a.loop(digit);
        a.pop(cx);
        a.pop(bx);
        a.pop(ax);
        a.ret();

        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), Origin);
        return stream.ToArray();
    }

    /// <summary>
    /// One drive of the tour: its size from INT 13h AH=48h, its first sector through AH=42h (the BIOS
    /// reaches the floppy through the FDC and ISA DMA, disks through ATA, the CD through ATAPI packets,
    /// virtio-blk through its virtqueue), the label at the start of that sector and its 16-bit word sum.
    /// </summary>
    private static void EmitTourOne(Assembler a, Label tourOne, Label print, Label printDecimal, Label printHex, Label printHexByte, ushort[] text)
    {
        var absent = a.CreateLabel();
        var failed = a.CreateLabel();
        var sum = a.CreateLabel();
        a.Label(ref tourOne);
        Say(a, print, text[14]);
        a.mov(al, __byte_ptr[TourDrive]);
        a.call(printHexByte);
        Say(a, print, text[15]);
        a.mov(__word_ptr[ParameterBuffer], EddTableSize);
        a.mov(si, ParameterBuffer);
        a.mov(ah, 0x48);
        a.mov(dl, __byte_ptr[TourDrive]);
        a.@int(0x13);
        a.jc(absent);
        a.mov(eax, __dword_ptr[ParameterBuffer + 16]);
        a.call(printDecimal);
        Say(a, print, text[16]);
        a.movzx(eax, __word_ptr[ParameterBuffer + 24]);
        a.call(printDecimal);
        Say(a, print, text[17]);

        // Disk address packet: 16 bytes, one sector, to 0000:SectorBuffer, LBA 0.
        a.mov(__word_ptr[PacketBuffer], 0x0010);
        a.mov(__word_ptr[PacketBuffer + 2], 1);
        a.mov(__word_ptr[PacketBuffer + 4], SectorBuffer);
        a.mov(__word_ptr[PacketBuffer + 6], 0);
        a.mov(__dword_ptr[PacketBuffer + 8], 0);
        a.mov(__dword_ptr[PacketBuffer + 12], 0);
        a.mov(si, PacketBuffer);
        a.mov(ah, 0x42);
        a.mov(dl, __byte_ptr[TourDrive]);
        a.@int(0x13);
        a.jc(failed);
        a.mov(si, SectorBuffer);
        a.call(print);
        Say(a, print, text[18]);
        a.xor(ax, ax);
        a.mov(si, SectorBuffer);
        a.mov(cx, 256);
        a.Label(ref sum);
        a.add(ax, __word_ptr[si]);
        a.add(si, 2);
        a.loop(sum);
        a.call(printHex);
        Say(a, print, text[19]);
        a.ret();
        a.Label(ref absent);
        Say(a, print, text[20]);
        a.ret();
        a.Label(ref failed);
        a.mov(al, ah);
        Say(a, print, text[21]);
        a.call(printHexByte);
        a.ret();
    }

    private static void Say(Assembler a, Label print, ushort address)
    {
        a.mov(si, address);
        a.call(print);
    }
}
