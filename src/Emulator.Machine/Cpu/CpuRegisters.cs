namespace Emulator.Machine.Cpu;

/// <summary>
/// The architectural register state of the <see cref="X86Cpu"/>: general registers with their 8/16/32-bit
/// views, segment registers with hidden descriptor caches, EIP, EFLAGS, control registers and the
/// descriptor-table registers. Firmware services written in C# read and write it directly
/// (AH, DL, ES:BX in; CF out). Writing a segment selector through <see cref="SetSegment(SegmentRegister, ushort)"/>
/// loads it the real-mode way (base = selector × 16).
/// </summary>
public sealed class CpuRegisters
{
    internal const int Eax = 0;
    internal const int Ecx = 1;
    internal const int Edx = 2;
    internal const int Ebx = 3;
    internal const int Esp = 4;
    internal const int Ebp = 5;
    internal const int Esi = 6;
    internal const int Edi = 7;

    private const uint LowWord = 0xFFFF;
    private const uint LowByte = 0xFF;
    private const int HighByteShift = 8;

    internal readonly uint[] Gpr = new uint[8];
    internal readonly SegmentCache[] Seg = new SegmentCache[6];

    /// <summary>The instruction pointer (IP is its low 16 bits).</summary>
    public uint EIP { get; set; }

    /// <summary>EFLAGS; bit 1 always reads as one.</summary>
    public uint EFLAGS
    {
        get => Flags;
        set => Flags = value | Eflags.Reserved1;
    }

    /// <summary>CR0: PE (bit 0), MP, EM, TS, ET, NE, WP (bit 16), AM, NW, CD, PG (bit 31); written here without MOV CR0's checks.</summary>
    public uint CR0 { get; set; }

    /// <summary>CR2: the linear address of the last page fault.</summary>
    public uint CR2 { get; set; }

    /// <summary>CR3: the page directory (or PAE PDPT) base with PWT/PCD.</summary>
    public uint CR3 { get; set; }

    /// <summary>CR4: VME, PVI, TSD, DE, PSE (bit 4), PAE (bit 5), MCE, PGE (bit 7), PCE, OSFXSR, OSXMMEXCPT.</summary>
    public uint CR4 { get; set; }

    /// <summary>Debug registers DR0–DR3 (breakpoint linear addresses), DR6 (status) and DR7 (control).</summary>
    public DebugRegisters Debug { get; } = new();

    /// <summary>Linear base address of the GDT (LGDT/SGDT).</summary>
    public uint GdtrBase { get; set; }

    /// <summary>Byte limit of the GDT: its size minus one.</summary>
    public ushort GdtrLimit { get; set; }

    /// <summary>Linear base address of the IDT (LIDT/SIDT).</summary>
    public uint IdtrBase { get; set; }

    /// <summary>Byte limit of the IDT: its size minus one (0x3FF after reset, the real-mode vector table).</summary>
    public ushort IdtrLimit { get; set; }

    /// <summary>The LDT register: the selector loaded by LLDT, with its descriptor's base and limit (null: no LDT).</summary>
    public SegmentCache LdtRegister { get; set; }

    /// <summary>The task register: the TSS selector loaded by LTR, with its descriptor's base and limit.</summary>
    public SegmentCache TaskRegister { get; set; }

    /// <summary>Accumulator, 32 bits.</summary>
    public uint EAX { get => Gpr[Eax]; set => Gpr[Eax] = value; }

    /// <summary>Counter register, 32 bits (string and loop counts).</summary>
    public uint ECX { get => Gpr[Ecx]; set => Gpr[Ecx] = value; }

    /// <summary>Data register, 32 bits (high half of MUL/DIV results, port number of IN/OUT DX).</summary>
    public uint EDX { get => Gpr[Edx]; set => Gpr[Edx] = value; }

    /// <summary>Base register, 32 bits.</summary>
    public uint EBX { get => Gpr[Ebx]; set => Gpr[Ebx] = value; }

    /// <summary>Stack pointer, 32 bits; only the low 16 bits address the stack while SS is a 16-bit segment.</summary>
    public uint ESP { get => Gpr[Esp]; set => Gpr[Esp] = value; }

    /// <summary>Frame pointer, 32 bits.</summary>
    public uint EBP { get => Gpr[Ebp]; set => Gpr[Ebp] = value; }

    /// <summary>Source index of string instructions, 32 bits.</summary>
    public uint ESI { get => Gpr[Esi]; set => Gpr[Esi] = value; }

    /// <summary>Destination index of string instructions, 32 bits.</summary>
    public uint EDI { get => Gpr[Edi]; set => Gpr[Edi] = value; }

    /// <summary>Low 16 bits of <see cref="EAX"/>; setting it keeps the high half.</summary>
    public ushort AX { get => Word(Eax); set => SetWord(Eax, value); }

    /// <summary>Low 16 bits of <see cref="ECX"/>; setting it keeps the high half.</summary>
    public ushort CX { get => Word(Ecx); set => SetWord(Ecx, value); }

    /// <summary>Low 16 bits of <see cref="EDX"/>; setting it keeps the high half.</summary>
    public ushort DX { get => Word(Edx); set => SetWord(Edx, value); }

    /// <summary>Low 16 bits of <see cref="EBX"/>; setting it keeps the high half.</summary>
    public ushort BX { get => Word(Ebx); set => SetWord(Ebx, value); }

    /// <summary>Low 16 bits of <see cref="ESP"/>; setting it keeps the high half.</summary>
    public ushort SP { get => Word(Esp); set => SetWord(Esp, value); }

    /// <summary>Low 16 bits of <see cref="EBP"/>; setting it keeps the high half.</summary>
    public ushort BP { get => Word(Ebp); set => SetWord(Ebp, value); }

    /// <summary>Low 16 bits of <see cref="ESI"/>; setting it keeps the high half.</summary>
    public ushort SI { get => Word(Esi); set => SetWord(Esi, value); }

    /// <summary>Low 16 bits of <see cref="EDI"/>; setting it keeps the high half.</summary>
    public ushort DI { get => Word(Edi); set => SetWord(Edi, value); }

    /// <summary>Bits 7-0 of <see cref="EAX"/>.</summary>
    public byte AL { get => Low(Eax); set => SetLow(Eax, value); }

    /// <summary>Bits 7-0 of <see cref="ECX"/>.</summary>
    public byte CL { get => Low(Ecx); set => SetLow(Ecx, value); }

    /// <summary>Bits 7-0 of <see cref="EDX"/>.</summary>
    public byte DL { get => Low(Edx); set => SetLow(Edx, value); }

    /// <summary>Bits 7-0 of <see cref="EBX"/>.</summary>
    public byte BL { get => Low(Ebx); set => SetLow(Ebx, value); }

    /// <summary>Bits 15-8 of <see cref="EAX"/>.</summary>
    public byte AH { get => High(Eax); set => SetHigh(Eax, value); }

    /// <summary>Bits 15-8 of <see cref="ECX"/>.</summary>
    public byte CH { get => High(Ecx); set => SetHigh(Ecx, value); }

    /// <summary>Bits 15-8 of <see cref="EDX"/>.</summary>
    public byte DH { get => High(Edx); set => SetHigh(Edx, value); }

    /// <summary>Bits 15-8 of <see cref="EBX"/>.</summary>
    public byte BH { get => High(Ebx); set => SetHigh(Ebx, value); }

    /// <summary>Low 16 bits of <see cref="EIP"/>; setting it clears the high half.</summary>
    public ushort IP { get => (ushort)EIP; set => EIP = value; }

    /// <summary>The ES selector; setting it loads the segment the real-mode way (base = selector × 16).</summary>
    public ushort ES { get => Seg[(int)SegmentRegister.ES].Selector; set => SetSegment(SegmentRegister.ES, value); }

    /// <summary>The CS selector; setting it loads the segment the real-mode way (base = selector × 16).</summary>
    public ushort CS { get => Seg[(int)SegmentRegister.CS].Selector; set => SetSegment(SegmentRegister.CS, value); }

    /// <summary>The SS selector; setting it loads the segment the real-mode way (base = selector × 16).</summary>
    public ushort SS { get => Seg[(int)SegmentRegister.SS].Selector; set => SetSegment(SegmentRegister.SS, value); }

    /// <summary>The DS selector; setting it loads the segment the real-mode way (base = selector × 16).</summary>
    public ushort DS { get => Seg[(int)SegmentRegister.DS].Selector; set => SetSegment(SegmentRegister.DS, value); }

    /// <summary>The FS selector; setting it loads the segment the real-mode way (base = selector × 16).</summary>
    public ushort FS { get => Seg[(int)SegmentRegister.FS].Selector; set => SetSegment(SegmentRegister.FS, value); }

    /// <summary>The GS selector; setting it loads the segment the real-mode way (base = selector × 16).</summary>
    public ushort GS { get => Seg[(int)SegmentRegister.GS].Selector; set => SetSegment(SegmentRegister.GS, value); }

    /// <summary>The carry flag, the usual success/failure result of a BIOS service.</summary>
    public bool CarryFlag
    {
        get => (Flags & Eflags.Carry) != 0;
        set => Flags = value ? Flags | Eflags.Carry : Flags & ~Eflags.Carry;
    }

    /// <summary>The zero flag.</summary>
    public bool ZeroFlag
    {
        get => (Flags & Eflags.Zero) != 0;
        set => Flags = value ? Flags | Eflags.Zero : Flags & ~Eflags.Zero;
    }

    /// <summary>The interrupt-enable flag.</summary>
    public bool InterruptFlag
    {
        get => (Flags & Eflags.Interrupt) != 0;
        set => Flags = value ? Flags | Eflags.Interrupt : Flags & ~Eflags.Interrupt;
    }

    /// <summary>True when CR0.PE is set.</summary>
    public bool ProtectedMode => (CR0 & ControlRegisters.ProtectionEnable) != 0;

    internal uint Flags { get; set; } = Eflags.Reserved1;

    /// <summary>The segment register with its hidden descriptor cache.</summary>
    public SegmentCache GetSegment(SegmentRegister register) => Seg[(int)register];

    /// <summary>Replaces a segment register and its hidden cache as a whole (tests, firmware set-up).</summary>
    public void SetSegment(SegmentRegister register, SegmentCache value) => Seg[(int)register] = value;

    /// <summary>Loads a selector the real-mode way: base = selector × 16, limit and attributes kept.</summary>
    public void SetSegment(SegmentRegister register, ushort selector)
    {
        ref var segment = ref Seg[(int)register];
        segment.Selector = selector;
        segment.Base = (uint)selector << 4;
    }

    private ushort Word(int index) => (ushort)Gpr[index];

    private void SetWord(int index, ushort value) => Gpr[index] = (Gpr[index] & ~LowWord) | value;

    private byte Low(int index) => (byte)Gpr[index];

    private void SetLow(int index, byte value) => Gpr[index] = (Gpr[index] & ~LowByte) | value;

    private byte High(int index) => (byte)(Gpr[index] >> HighByteShift);

    private void SetHigh(int index, byte value) => Gpr[index] = (Gpr[index] & ~(LowByte << HighByteShift)) | ((uint)value << HighByteShift);
}
