using Emulator.Machine.Cpu;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>
/// A CPU already in flat 32-bit protected mode with paging on: a GDT (ring-0 and ring-3 flat code and
/// data, a 32-bit TSS loaded in TR whose ring-0 stack is <see cref="KernelStackTop"/>), an IDT whose
/// #DF, #TS, #NP, #SS, #GP and #PF gates lead to a recorder, and one page table identity-mapping
/// the 2 MiB of RAM (present, writable, user) while linear 2–4 MiB and everything above stay unmapped.
/// The recorder stores the vector, error code, CR2 and the pushed EIP at <see cref="FaultRecord"/> and halts.
/// </summary>
internal sealed class PagedCpuMachine
{
    public const uint GdtAddress = 0x1000;
    public const uint IdtAddress = 0x2000;
    public const uint FaultRecord = 0x3000;
    public const uint DirectoryAddress = 0x1_0000;
    public const uint TableAddress = 0x1_1000;
    public const uint SpareTableAddress = 0x1_2000;
    public const uint PdptAddress = 0x1_4000;
    public const uint PaeDirectoryAddress = 0x1_5000;
    public const uint PaeTableAddress = 0x1_6000;
    public const uint CodeAddress = 0x2_0000;
    public const uint HandlerAddress = 0x3_0000;
    public const uint StackTop = 0x9_0000;
    public const ushort KernelCode = 0x08;
    public const ushort KernelData = 0x10;
    public const ushort UserCode = 0x1B;
    public const ushort UserData = 0x23;
    public const ushort TssSelector = 0x28;
    public const uint TssAddress = 0x4000;
    public const uint KernelStackTop = 0x8_0000;
    public const uint UserStackTop = 0x7_0000;

    /// <summary>Pages of RAM (2 MiB) the identity table maps.</summary>
    public const uint MappedPages = (uint)CpuTestMachine.RamSize / PageSize;

    public const uint PageSize = 0x1000;
    public const uint Present = 1;
    public const uint Writable = 2;
    public const uint User = 4;
    public const uint Accessed = 0x20;
    public const uint Dirty = 0x40;
    public const uint LargePage = 0x80;
    public const uint Global = 0x100;
    public const uint NoVector = 0xFF;

    private const uint FlatLimitLow = 0x0000_FFFF;
    private const uint KernelCodeHigh = 0x00CF_9A00;
    private const uint KernelDataHigh = 0x00CF_9200;
    private const uint UserCodeHigh = 0x00CF_FA00;
    private const uint UserDataHigh = 0x00CF_F200;
    public const uint InterruptGate32 = 0x8E00;
    public const uint TrapGate32User = 0xEF00;
    private const ushort GdtLimit = 6 * 8 - 1;
    private const uint TssLimit = 0x67;
    private const uint AvailableTss32High = 0x0000_8900;
    private const uint BusyTss32Access = 0x8B;
    private const uint TssEsp0Offset = 4;
    private const ushort IdtLimit = 256 * 8 - 1;
    private const byte DoubleFaultVector = 8;
    private const byte InvalidTssVector = 10;
    private const byte SegmentNotPresentVector = 11;
    private const byte StackFaultVector = 12;
    private const byte GeneralProtectionVector = 13;
    private const byte PageFaultVector = 14;
    private const uint RecorderStride = 0x100;
    private const uint ProtectedAndPaging = 0x8000_0011;

    public PagedCpuMachine()
    {
        Inner = new CpuTestMachine();
        WriteDwords(GdtAddress, 0, 0, FlatLimitLow, KernelCodeHigh, FlatLimitLow, KernelDataHigh, FlatLimitLow, UserCodeHigh, FlatLimitLow, UserDataHigh);
        WriteDwords(GdtAddress + TssSelector, (TssAddress << 16) | TssLimit, AvailableTss32High);
        WriteDwords(TssAddress + TssEsp0Offset, KernelStackTop, KernelData);
        foreach (var vector in new[] { DoubleFaultVector, InvalidTssVector, SegmentNotPresentVector, StackFaultVector, GeneralProtectionVector, PageFaultVector })
        {
            SetGate(vector, HandlerAddress + (vector * RecorderStride));
            WriteCode(HandlerAddress + (vector * RecorderStride), asm =>
            {
                asm.mov(__dword_ptr[FaultRecord], vector);
                asm.pop(__dword_ptr[FaultRecord + 4]);
                asm.mov(eax, cr2);
                asm.mov(__dword_ptr[FaultRecord + 8], eax);
                asm.pop(__dword_ptr[FaultRecord + 12]);
                asm.hlt();
            });
        }

        WriteDwords(FaultRecord, NoVector);
        SetDirectoryEntry(0, TableAddress | Present | Writable | User);
        for (var page = 0u; page < MappedPages; page++)
        {
            SetTableEntry(TableAddress, page, (page * PageSize) | Present | Writable | User);
        }

        var r = Registers;
        r.GdtrBase = GdtAddress;
        r.GdtrLimit = GdtLimit;
        r.IdtrBase = IdtAddress;
        r.IdtrLimit = IdtLimit;
        r.CR3 = DirectoryAddress;
        r.CR0 = ProtectedAndPaging;
        var code = new SegmentCache { Selector = KernelCode, Base = 0, Limit = 0xFFFF_FFFF, Big = true, Access = 0x9B };
        r.SetSegment(SegmentRegister.CS, code);
        foreach (var data in new[] { SegmentRegister.DS, SegmentRegister.ES, SegmentRegister.SS, SegmentRegister.FS, SegmentRegister.GS })
        {
            r.SetSegment(data, code with { Selector = KernelData, Access = 0x93 });
        }

        r.ESP = StackTop;
        r.EIP = CodeAddress;
        r.TaskRegister = new SegmentCache { Selector = TssSelector, Base = TssAddress, Limit = TssLimit, Access = (byte)BusyTss32Access };
    }

    public CpuTestMachine Inner { get; }

    /// <summary>A machine whose CPU runs on <paramref name="tier"/>, the translating tier compiling every block on first sight and never giving up on one.</summary>
    public static PagedCpuMachine OnTier(CpuTier tier)
    {
        var machine = new PagedCpuMachine();
        machine.Inner.Cpu.Tier = tier;
        machine.Inner.Cpu.TranslationThreshold = 1;
        machine.Inner.Cpu.TranslationDropLimit = int.MaxValue;
        return machine;
    }

    public CpuRegisters Registers => Inner.Registers;

    public uint FaultVector => Inner.ReadDword(FaultRecord);

    public uint FaultErrorCode => Inner.ReadDword(FaultRecord + 4);

    public uint FaultCr2 => Inner.ReadDword(FaultRecord + 8);

    public uint FaultEip => Inner.ReadDword(FaultRecord + 12);

    /// <summary>Assembles 32-bit code at <see cref="CodeAddress"/> with a HLT appended.</summary>
    public PagedCpuMachine Load(Action<Assembler> build)
    {
        WriteCode(CodeAddress, asm =>
        {
            build(asm);
            asm.hlt();
        });
        return this;
    }

    /// <summary>Where the instruction at <paramref name="index"/> (0-based) of the loaded code starts.</summary>
    public static uint AddressOf(Action<Assembler> build, int index)
    {
        var asm = new Assembler(32);
        build(asm);
        var stream = new MemoryStream();
        var result = asm.Assemble(new StreamCodeWriter(stream), CodeAddress, BlockEncoderOptions.ReturnNewInstructionOffsets);
        return (uint)result.Result[0].NewInstructionOffsets[index] + CodeAddress;
    }

    /// <summary>Ring 0 → ring 3 the way kernels do it: an IRETD frame with user SS:ESP, EFLAGS, CS:EIP.</summary>
    public static void EnterUser(Assembler asm, uint userEip, uint eflags = 0x2)
    {
        asm.push(UserData);
        asm.push(UserStackTop);
        asm.push(eflags);
        asm.push(UserCode);
        asm.push(userEip);
        asm.iretd();
    }

    /// <summary>Points IDT vector <paramref name="vector"/> at <paramref name="handler"/> with gate type/DPL word <paramref name="gateFlags"/>.</summary>
    public void SetGate(byte vector, uint handler, uint gateFlags = InterruptGate32) =>
        WriteDwords(IdtAddress + (vector * 8u), ((uint)KernelCode << 16) | (handler & 0xFFFF), (handler & 0xFFFF_0000) | gateFlags);

    public void WriteCode(uint address, Action<Assembler> build) => Inner.Memory.Write(address, CpuTestMachine.Assemble(32, address, build));

    public void SetDirectoryEntry(uint index, uint value) => WriteDwords(DirectoryAddress + (index * 4), value);

    public void SetTableEntry(uint table, uint index, uint value) => WriteDwords(table + (index * 4), value);

    public uint TableEntry(uint page) => Inner.ReadDword(TableAddress + (page * 4));

    public uint DirectoryEntry(uint index) => Inner.ReadDword(DirectoryAddress + (index * 4));

    public void RunToHalt() => Inner.RunToHalt();

    /// <summary>
    /// Switches to PAE paging over the same identity map of RAM: PDPTE 0 → one page directory → one
    /// page table of 64-bit entries; PDPTEs 1–3 not present.
    /// </summary>
    public PagedCpuMachine UsePae()
    {
        const uint PaeFlag = 1 << 5;
        WriteDwords(PdptAddress, PaeDirectoryAddress | Present, 0);
        WriteDwords(PaeDirectoryAddress, PaeTableAddress | Present | Writable | User, 0);
        for (var page = 0u; page < MappedPages; page++)
        {
            SetPaeEntry(PaeTableAddress, page, (page * PageSize) | Present | Writable | User);
        }

        Registers.CR3 = PdptAddress;
        Registers.CR4 = PaeFlag;
        return this;
    }

    /// <summary>Writes a 64-bit PAE entry (low half <paramref name="low"/>, high half <paramref name="high"/>).</summary>
    public void SetPaeEntry(uint table, uint index, uint low, uint high = 0) => WriteDwords(table + (index * 8), low, high);

    public uint PaeEntry(uint table, uint index) => Inner.ReadDword(table + (index * 8));

    public void WriteDwords(uint address, params uint[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        Inner.Memory.Write(address, bytes);
    }
}
