namespace Emulator.Machine.Cpu;

/// <summary>
/// Interrupt and exception delivery and IRET. Real mode: FLAGS, CS, IP are pushed and CS:IP is loaded
/// from the interrupt vector table at IDTR.base (0 after reset). Protected mode: 16- and 32-bit
/// interrupt and trap gates from the IDT, same privilege level only (no stack switch, no task gates,
/// no privilege checks); exceptions 8, 10–14 and 17 push an error code. Delivery commits CS, EIP
/// and EFLAGS only after its last possible fault (docs/cpu-memory-unit.md).
/// </summary>
internal sealed class InterruptUnit(ExecutionCore core, SegmentUnit segments)
{
    private const int RealModeVectorSize = 4;
    private const int GateSize = 8;
    private const uint GatePresent = 1 << 15;
    private const int GateTypeShift = 8;
    private const uint GateTypeMask = 0x1F;
    private const uint Gate32Bit = 0x08;
    private const uint TrapGateBit = 0x01;
    private const uint InterruptGate16 = 0x06;
    private const uint IdtVectorErrorBit = 2;
    private const uint ExternalBit = 1;
    private const uint Word = 0xFFFF;

    /// <summary>Clears IF/TF as the CPU does on entry to a handler (interrupt gate or real mode).</summary>
    private const uint ClearedOnEntry = Eflags.Trap | Eflags.Interrupt | Eflags.NestedTask | Eflags.Resume | Eflags.AlignmentCheck;

    /// <summary>
    /// Enters the handler for <paramref name="vector"/>. <paramref name="returnEip"/> is the IP pushed:
    /// the next instruction for INT n and hardware interrupts, the faulting one for faults. False with a
    /// fault latched when the delivery itself faults; then CS, EIP and EFLAGS are unchanged (pushes
    /// may have written below SP, which the caller restores).
    /// </summary>
    public bool Deliver(byte vector, uint returnEip, int errorCode, bool external)
    {
        core.Halted = false;
        return core.R.ProtectedMode
            ? DeliverProtected(vector, returnEip, errorCode, external)
            : DeliverReal(vector, returnEip);
    }

    /// <summary>IRET/IRETD with operand size <paramref name="size"/>: everything is read and checked before anything changes.</summary>
    public bool Return(int size)
    {
        if (core.R.ProtectedMode && (core.R.Flags & Eflags.NestedTask) != 0)
        {
            return core.RaiseGeneralProtection(0);
        }

        if (!core.TryPeekStack(0, size, out var eip)
            || !core.TryPeekStack((uint)size, size, out var cs)
            || !core.TryPeekStack((uint)(2 * size), size, out var flags)
            || !segments.TryReadCode((ushort)cs, out var code))
        {
            return false;
        }

        segments.CommitCode(code);
        core.AdjustStack((uint)(3 * size));
        core.R.EIP = size == 4 ? eip : eip & Word;
        WriteFlags(flags, size);
        return true;
    }

    /// <summary>POPF/IRET flag load with the writable-bit mask for the operand size.</summary>
    public void WriteFlags(uint value, int size)
    {
        var writable = size == 4 ? Eflags.Writable32 : Eflags.Writable16;
        core.R.Flags = (core.R.Flags & ~writable) | (value & writable) | Eflags.Reserved1;
    }

    private bool DeliverReal(byte vector, uint returnEip)
    {
        var entry = core.R.IdtrBase + ((uint)vector * RealModeVectorSize);
        if (!core.Mmu.TryReadSystem(entry, 2, out var offset)
            || !core.Mmu.TryReadSystem(entry + 2, 2, out var selector)
            || !segments.TryReadCode((ushort)selector, out var code)
            || !PushUnchecked(core.R.Flags & Word)
            || !PushUnchecked(core.Seg[ExecutionCore.Cs].Selector)
            || !PushUnchecked(returnEip & Word))
        {
            return false;
        }

        core.R.Flags &= ~ClearedOnEntry;
        segments.CommitCode(code);
        core.R.EIP = offset;
        return true;
    }

    /// <summary>
    /// Reads the gate and the handler's CS descriptor, pushes the frame (error code included), and only
    /// then loads CS:EIP and clears IF/TF: a fault part-way leaves the interrupted state intact.
    /// </summary>
    private bool DeliverProtected(byte vector, uint returnEip, int errorCode, bool external)
    {
        var index = (uint)vector * GateSize;
        if (index + GateSize - 1 > core.R.IdtrLimit)
        {
            return core.RaiseGeneralProtection((int)(index | IdtVectorErrorBit | (external ? ExternalBit : 0)));
        }

        if (!core.Mmu.TryReadSystem(core.R.IdtrBase + index, 4, out var low) || !core.Mmu.TryReadSystem(core.R.IdtrBase + index + 4, 4, out var high))
        {
            return false;
        }

        var type = (high >> GateTypeShift) & GateTypeMask;
        if ((high & GatePresent) == 0 || (type & ~(Gate32Bit | TrapGateBit)) != InterruptGate16)
        {
            return core.RaiseGeneralProtection((int)(index | IdtVectorErrorBit));
        }

        if (!segments.TryReadCode((ushort)(low >> 16), out var code))
        {
            return false;
        }

        var size = (type & Gate32Bit) != 0 ? 4 : 2;
        var oldFlags = core.R.Flags;
        var pushed = core.TryPush(size == 4 ? oldFlags : oldFlags & Word, size)
            && core.TryPush(core.Seg[ExecutionCore.Cs].Selector, size)
            && core.TryPush(size == 4 ? returnEip : returnEip & Word, size)
            && (errorCode < 0 || core.TryPush((uint)errorCode, size));
        if (!pushed)
        {
            return false;
        }

        segments.CommitCode(code);
        var cleared = (type & TrapGateBit) != 0 ? ClearedOnEntry & ~Eflags.Interrupt : ClearedOnEntry;
        core.R.Flags &= ~cleared;
        var offset = (low & Word) | (high & ~Word);
        core.R.EIP = size == 4 ? offset : offset & Word;
        return true;
    }

    /// <summary>Real-mode push of a word that wraps at the segment end instead of faulting (a fault while delivering would be a shutdown).</summary>
    private bool PushUnchecked(uint value)
    {
        const int WordSize = 2;
        var mask = core.StackMask;
        ref var sp = ref core.Reg(CpuRegisters.Esp);
        var newSp = (sp - WordSize) & mask;
        var address = core.Seg[ExecutionCore.Ss].Base;
        if (!core.Mmu.TryWrite(address + newSp, 1, value & Alu.ByteMask)
            || !core.Mmu.TryWrite(address + ((newSp + 1) & mask), 1, (value >> 8) & Alu.ByteMask))
        {
            return false;
        }

        sp = (sp & ~mask) | newSp;
        return true;
    }
}
