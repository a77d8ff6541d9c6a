namespace Emulator.Machine.Cpu;

/// <summary>
/// Interrupt and exception delivery and IRET. Real mode: FLAGS, CS, IP are pushed and CS:IP is loaded
/// from the interrupt vector table at IDTR.base (0 after reset). Protected mode: 16- and 32-bit
/// interrupt and trap gates from the IDT, same privilege level only (no stack switch, no task gates,
/// no privilege checks); exceptions 8, 10–14 and 17 push an error code.
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
    /// the next instruction for INT n and hardware interrupts, the faulting one for faults.
    /// </summary>
    public void Deliver(byte vector, uint returnEip, int errorCode, bool external)
    {
        core.Halted = false;
        if (!core.R.ProtectedMode)
        {
            DeliverReal(vector, returnEip);
            return;
        }

        DeliverProtected(vector, returnEip, errorCode, external);
    }

    /// <summary>IRET/IRETD with operand size <paramref name="size"/>.</summary>
    public void Return(int size)
    {
        if (core.R.ProtectedMode && (core.R.Flags & Eflags.NestedTask) != 0)
        {
            throw ExceptionVector.GeneralProtectionFault();
        }

        var eip = core.Pop(size);
        var cs = (ushort)core.Pop(size);
        var flags = core.Pop(size);
        segments.LoadCode(cs);
        core.R.EIP = size == 4 ? eip : eip & Word;
        WriteFlags(flags, size);
    }

    /// <summary>POPF/IRET flag load with the writable-bit mask for the operand size.</summary>
    public void WriteFlags(uint value, int size)
    {
        var writable = size == 4 ? Eflags.Writable32 : Eflags.Writable16;
        core.R.Flags = (core.R.Flags & ~writable) | (value & writable) | Eflags.Reserved1;
    }

    private void DeliverReal(byte vector, uint returnEip)
    {
        var entry = core.R.IdtrBase + ((uint)vector * RealModeVectorSize);
        var offset = core.Memory.ReadWord(entry);
        var selector = core.Memory.ReadWord(entry + 2);
        PushUnchecked(core.R.Flags & Word, 2);
        PushUnchecked(core.Seg[ExecutionCore.Cs].Selector, 2);
        PushUnchecked(returnEip & Word, 2);
        core.R.Flags &= ~ClearedOnEntry;
        segments.LoadCode(selector);
        core.R.EIP = offset;
    }

    private void DeliverProtected(byte vector, uint returnEip, int errorCode, bool external)
    {
        var index = (uint)vector * GateSize;
        if (index + GateSize - 1 > core.R.IdtrLimit)
        {
            throw ExceptionVector.GeneralProtectionFault((int)(index | IdtVectorErrorBit | (external ? ExternalBit : 0)));
        }

        var low = core.Memory.ReadDword(core.R.IdtrBase + index);
        var high = core.Memory.ReadDword(core.R.IdtrBase + index + 4);
        var type = (high >> GateTypeShift) & GateTypeMask;
        if ((high & GatePresent) == 0 || (type & ~(Gate32Bit | TrapGateBit)) != InterruptGate16)
        {
            throw ExceptionVector.GeneralProtectionFault((int)(index | IdtVectorErrorBit));
        }

        var size = (type & Gate32Bit) != 0 ? 4 : 2;
        var oldFlags = core.R.Flags;
        var oldCs = core.Seg[ExecutionCore.Cs].Selector;
        segments.LoadCode((ushort)(low >> 16));
        core.Push(size == 4 ? oldFlags : oldFlags & Word, size);
        core.Push(oldCs, size);
        core.Push(size == 4 ? returnEip : returnEip & Word, size);
        if (errorCode >= 0)
        {
            core.Push((uint)errorCode, size);
        }

        var cleared = (type & TrapGateBit) != 0 ? ClearedOnEntry & ~Eflags.Interrupt : ClearedOnEntry;
        core.R.Flags &= ~cleared;
        var offset = (low & Word) | (high & ~Word);
        core.R.EIP = size == 4 ? offset : offset & Word;
    }

    /// <summary>Real-mode push that wraps instead of faulting: a fault while delivering would be a shutdown.</summary>
    private void PushUnchecked(uint value, int size)
    {
        var mask = core.StackMask;
        ref var sp = ref core.Reg(CpuRegisters.Esp);
        var newSp = (sp - (uint)size) & mask;
        var address = core.Seg[ExecutionCore.Ss].Base;
        core.Memory.WriteByte(address + newSp, (byte)value);
        core.Memory.WriteByte(address + ((newSp + 1) & mask), (byte)(value >> 8));
        sp = (sp & ~mask) | newSp;
    }
}
