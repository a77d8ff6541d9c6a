namespace Emulator.Machine.Cpu;

/// <summary>
/// Interrupt and exception delivery, IRET and the EFLAGS load rules. Real mode: FLAGS, CS, IP are
/// pushed and CS:IP is loaded from the interrupt vector table at IDTR.base (0 after reset). Protected
/// mode: 16- and 32-bit interrupt and trap gates from the IDT with the checks of Intel SDM vol. 3,
/// 6.12: a software INT needs gate DPL ≥ CPL, the handler's code DPL ≤ CPL, and a non-conforming
/// handler at a more privileged level runs on the stack the TSS gives for that level (old SS:ESP
/// pushed first). IRET returns to the same or an outer level (popping SS:ESP, and nulling data
/// segments the outer level may not use). Exceptions 8, 10–14 and 17 push an error code. Delivery
/// commits SS, ESP, CS, EIP and EFLAGS only after its last possible fault (docs/cpu-memory-unit.md).
/// A task gate in the IDT and IRET with NT switch tasks (<see cref="TaskSwitchUnit"/>). Not emulated:
/// virtual-8086 mode.
/// </summary>
internal sealed class InterruptUnit(ExecutionCore core, SegmentUnit segments, TaskUnit tasks, TaskSwitchUnit switcher)
{
    private const int RealModeVectorSize = 4;
    private const int GateSize = 8;
    private const uint GatePresent = 1 << 15;
    private const int GateTypeShift = 8;
    private const uint GateTypeMask = 0x1F;
    private const int GateDplShift = 13;
    private const uint Gate32Bit = 0x08;
    private const uint TrapGateBit = 0x01;
    private const uint InterruptGate16 = 0x06;
    private const uint TaskGate = 0x05;
    private const uint IdtVectorErrorBit = 2;
    private const uint ExternalBit = 1;
    private const uint Word = 0xFFFF;

    private const int IoplShift = 12;

    /// <summary>Clears IF/TF as the CPU does on entry to a handler (interrupt gate or real mode).</summary>
    private const uint ClearedOnEntry = Eflags.Trap | Eflags.Interrupt | Eflags.NestedTask | Eflags.Resume | Eflags.AlignmentCheck;

    /// <summary>
    /// Enters the handler for <paramref name="vector"/>. <paramref name="returnEip"/> is the IP pushed:
    /// the next instruction for INT n and hardware interrupts, the faulting one for faults;
    /// <paramref name="software"/> marks INT n, INT3 and INTO, which the gate's DPL restricts. False
    /// with a fault latched when the delivery itself faults; then nothing architectural changed
    /// (pushes may have written below SP, which the caller restores).
    /// </summary>
    public bool Deliver(byte vector, uint returnEip, int errorCode, bool external, bool software = false)
    {
        core.Halted = false;
        return core.R.ProtectedMode
            ? DeliverProtected(vector, returnEip, errorCode, external, software)
            : DeliverReal(vector, returnEip);
    }

    /// <summary>IRET/IRETD with operand size <paramref name="size"/>: everything is read and checked before anything changes.</summary>
    public bool Return(int size)
    {
        if (core.R.ProtectedMode && (core.R.Flags & Eflags.NestedTask) != 0)
        {
            // Back to the task that called or was interrupted: the previous-task link at the start of the TSS.
            return core.Mmu.TryReadSystem(core.R.TaskRegister.Base, 2, out var link)
                && switcher.Switch((ushort)link, TaskSwitchReason.Iret, core.R.EIP);
        }

        if (!core.TryPeekStack(0, size, out var eip)
            || !core.TryPeekStack((uint)size, size, out var cs)
            || !core.TryPeekStack((uint)(2 * size), size, out var flags)
            || !segments.TryReadReturnTarget((ushort)cs, out var code))
        {
            return false;
        }

        var outer = core.R.ProtectedMode && ((ushort)cs & ExecutionCore.SelectorRplMask) > core.Cpl;
        if (!outer)
        {
            segments.CommitCode(code);
            core.AdjustStack((uint)(3 * size));
            core.R.EIP = size == 4 ? eip : eip & Word;
            WriteFlags(flags, size);
            return true;
        }

        var newCpl = (ushort)cs & ExecutionCore.SelectorRplMask;
        if (!core.TryPeekStack((uint)(3 * size), size, out var esp)
            || !core.TryPeekStack((uint)(4 * size), size, out var ss)
            || !segments.TryReadStack((ushort)ss, newCpl, out var stack))
        {
            return false;
        }

        WriteFlags(flags, size);
        segments.CommitCode(code);
        core.Seg[ExecutionCore.Ss] = stack;
        core.Reg(CpuRegisters.Esp) = size == 4 ? esp : (core.Reg(CpuRegisters.Esp) & ~Word) | (esp & Word);
        core.R.EIP = size == 4 ? eip : eip & Word;
        segments.NullInaccessibleDataSegments();
        return true;
    }

    /// <summary>
    /// POPF/IRET flag load with the writable-bit mask for the operand size. In protected mode IOPL
    /// changes only at CPL 0 and IF only at CPL ≤ IOPL (Intel SDM vol. 3, 3.4.3.2); real mode is CPL 0.
    /// </summary>
    public void WriteFlags(uint value, int size)
    {
        var writable = size == 4 ? Eflags.Writable32 : Eflags.Writable16;
        var cpl = core.Cpl;
        if (cpl != 0)
        {
            writable &= ~Eflags.IoplMask;
        }

        if (cpl > (int)((core.R.Flags & Eflags.IoplMask) >> IoplShift))
        {
            writable &= ~Eflags.Interrupt;
        }

        core.R.Flags = (core.R.Flags & ~writable) | (value & writable) | Eflags.Reserved1;
    }

    /// <summary>
    /// Real-mode delivery through the vector table at IDTR. A vector whose four bytes lie past the IDT
    /// limit is #GP (which a limit of 0 escalates to a shutdown — the classic way to reset a 286/386).
    /// </summary>
    private bool DeliverReal(byte vector, uint returnEip)
    {
        if (((uint)vector * RealModeVectorSize) + RealModeVectorSize - 1 > core.R.IdtrLimit)
        {
            return core.RaiseGeneralProtection((int)(((uint)vector * GateSize) | IdtVectorErrorBit));
        }

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
    /// Reads the gate and the handler's CS descriptor (and for an inner level the new stack from the
    /// TSS), pushes the frame (error code included), and only then loads SS:ESP, CS:EIP and clears
    /// IF/TF: a fault part-way leaves the interrupted state intact.
    /// </summary>
    private bool DeliverProtected(byte vector, uint returnEip, int errorCode, bool external, bool software)
    {
        var index = (uint)vector * GateSize;
        var gateError = (int)(index | IdtVectorErrorBit | (external ? ExternalBit : 0));
        if (index + GateSize - 1 > core.R.IdtrLimit)
        {
            return core.RaiseGeneralProtection(gateError);
        }

        if (!core.Mmu.TryReadSystem(core.R.IdtrBase + index, 4, out var low) || !core.Mmu.TryReadSystem(core.R.IdtrBase + index + 4, 4, out var high))
        {
            return false;
        }

        var type = (high >> GateTypeShift) & GateTypeMask;
        var cpl = core.Cpl;
        var taskGate = type == TaskGate;
        if (((type & ~(Gate32Bit | TrapGateBit)) != InterruptGate16 && !taskGate) || (software && (int)((high >> GateDplShift) & ExecutionCore.SelectorRplMask) < cpl))
        {
            return core.RaiseGeneralProtection(gateError);
        }

        if ((high & GatePresent) == 0)
        {
            return core.Raise(ExceptionVector.SegmentNotPresent, gateError);
        }

        if (taskGate)
        {
            return switcher.Switch((ushort)(low >> 16), TaskSwitchReason.Interrupt, returnEip, errorCode);
        }

        var selector = (ushort)(low >> 16);
        if (!segments.TryReadCode(selector, out var code))
        {
            return false;
        }

        var dpl = DescriptorAccess.Dpl(code.Access);
        if (dpl > cpl)
        {
            return core.RaiseGeneralProtection(selector & SegmentSelector.ErrorMask);
        }

        var size = (type & Gate32Bit) != 0 ? 4 : 2;
        var inner = dpl < cpl && !DescriptorAccess.IsConformingCode(code.Access);
        var newCpl = inner ? dpl : cpl;
        code.Selector = (ushort)((selector & ~ExecutionCore.SelectorRplMask) | newCpl);
        var oldFlags = core.R.Flags;
        var frame = new StackFrame(core, size);
        if (inner)
        {
            if (!tasks.TryOpenInnerFrame(dpl, size, out frame))
            {
                return false;
            }
        }

        var pushed = frame.TryPush(oldFlags)
            && frame.TryPush(core.Seg[ExecutionCore.Cs].Selector)
            && frame.TryPush(returnEip)
            && (errorCode < 0 || frame.TryPush((uint)errorCode));
        if (!pushed)
        {
            return false;
        }

        frame.Commit();
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
