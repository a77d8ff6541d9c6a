using Emulator.Machine.Memory;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// What translated code sees of the CPU: the register file it loads into locals and writes back, the
/// entry EIP and instruction budget of this run, and the memory unit. Every access calls
/// <see cref="TranslatedMemory.TryReadTranslated"/> and its siblings: the segment limit check and an access TLB
/// hit inline, the interpreter's path (page walk, MMIO, faults) out of line, so a translated access behaves
/// as the interpreter's does, fault values included.
/// </summary>
internal sealed class BlockRuntime(ExecutionCore core, GuestMemory memory, Dispatcher dispatcher)
{
    public readonly uint[] Gpr = core.Gpr;

    /// <summary>The CPU's registers, held here so a block reaches EFLAGS and EIP in one load less.</summary>
    public readonly CpuRegisters Registers = core.R;

    /// <summary>EIP of the block's first instruction for this run (blocks are keyed by physical address, so one block may run at several CS:EIP).</summary>
    public uint EntryEip;

    /// <summary>How many instructions this run may count at most (the interpreter's remaining budget).</summary>
    public long Budget;

    /// <summary>Instructions the enclosing <see cref="X86Cpu.Run"/> had counted when the block was entered.</summary>
    public long ProgressBase;

    /// <summary>
    /// Set by a block as it completes: true when, during this entry, an access left the RAM fast path (a device
    /// may have raised an interrupt or asked for a stop) or translated code was dropped. The dispatcher then
    /// returns to the interpreter loop's boundary checks instead of entering a linked successor.
    /// </summary>
    public bool Disturbed;

    public uint Flags
    {
        get => Registers.Flags;
        set => Registers.Flags = value;
    }

    public uint Eip
    {
        get => Registers.EIP;
        set => Registers.EIP = value;
    }

    /// <summary>The CPU core, whose <see cref="ExecutionCore.Progress"/> a block sets before an access leaves the RAM fast path, RDTSC or an interpreted instruction (<see cref="EmitContext.SetProgress"/>), so <see cref="X86Cpu.InstructionsSoFar"/> is exact there.</summary>
    public readonly ExecutionCore Core = core;

    /// <summary>Guest memory, whose count of accesses off the RAM fast path and code drops a block compares (<see cref="EmitContext.Disturbances"/>).</summary>
    public readonly GuestMemory Memory = memory;

    /// <summary>The memory accessors translated code calls straight (<see cref="TranslatedMemory.TryReadTranslated"/> and the rest).</summary>
    public readonly TranslatedMemory Mmu = core.Mmu.Translated;

    /// <summary>Instructions run through <see cref="Interpret"/> by <see cref="Op"/> (+<see cref="RepIndex"/> when REP-prefixed), for <c>--stats</c>.</summary>
    public readonly long[] InterpretedByOp = new long[2 * RepIndex];

    /// <summary>Offset of the REP-prefixed string instructions in <see cref="InterpretedByOp"/>.</summary>
    public const int RepIndex = 256;

    /// <summary>One instruction through the interpreter's handler (<see cref="InterpretEmitter"/>); false when it faulted.</summary>
    public bool Interpret(DecodedInstruction[] decoded, int index)
    {
        ref var d = ref decoded[index];
        InterpretedByOp[(int)d.Op + (d.Op is >= Op.Movs and <= Op.Outs && (d.Instr.HasRepPrefix || d.Instr.HasRepnePrefix) ? RepIndex : 0)]++;
        return dispatcher.Execute(ref d);
    }

    /// <summary>RDTSC's counter, or false with #GP latched when CR4.TSD forbids it at this privilege (as <see cref="SystemUnit.ReadTimeStampCounter"/>).</summary>
    public bool ReadTimeStampCounter(out ulong value)
    {
        if ((Core.R.CR4 & ControlRegisters.TimeStampDisable) != 0 && !Core.RequireCpl0())
        {
            value = 0;
            return false;
        }

        value = Core.ReadTimeStampCounter();
        return true;
    }

    /// <summary>Latches #DE (DIV/IDIV by zero or a quotient that does not fit) as the interpreter raises it; always false.</summary>
    public bool RaiseDivideError() => Core.Raise(ExceptionVector.DivideError);

    /// <summary>The selector of segment register <paramref name="segment"/> (PUSH of a segment register).</summary>
    public uint Selector(int segment) => Core.Seg[segment].Selector;

    /// <summary>A limit check alone (a shift by zero still addresses its memory operand).</summary>
    public bool CheckLimit(int segment, uint offset, int size) => Core.TryLinear(segment, offset, size, out _);
}
