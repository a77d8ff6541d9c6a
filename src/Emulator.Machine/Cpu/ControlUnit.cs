namespace Emulator.Machine.Cpu;

/// <summary>
/// Control transfers (JMP, Jcc, CALL, RET, LOOP, JCXZ, far forms), software interrupts (INT, INT3,
/// INTO, BOUND), IRET, and the stack instructions (PUSH, POP, PUSHA, POPA, PUSHF, POPF, ENTER, LEAVE).
/// Near targets are relative to the next instruction and masked to the operand size.
/// </summary>
internal sealed class ControlUnit(ExecutionCore core, SegmentUnit segments, InterruptUnit interrupts, CallGateUnit gates)
{
    private const int MaxEnterNesting = 31;

    public void Jump(ref DecodedInstruction d) => core.Branch(core.R.EIP + d.Imm, d.Size);

    public void JumpConditional(ref DecodedInstruction d)
    {
        if (core.Condition(d.Aux))
        {
            core.Branch(core.R.EIP + d.Imm, d.Size);
        }
    }

    public bool JumpIndirect(ref DecodedInstruction d)
    {
        if (!core.TryReadRm0(ref d, d.Size, out var target))
        {
            return false;
        }

        core.Branch(target, d.Size);
        return true;
    }

    public bool JumpFar(ref DecodedInstruction d) =>
        FarJump(d.Instr.FarBranchSelector, d.Size == 4 ? d.Instr.FarBranch32 : d.Instr.FarBranch16, d.Size);

    public bool JumpFarIndirect(ref DecodedInstruction d) =>
        TryReadFarPointer(ref d, out var selector, out var offset) && FarJump(selector, offset, d.Size);

    public bool Call(ref DecodedInstruction d)
    {
        var next = core.R.EIP;
        if (!core.TryPush(next, d.Size))
        {
            return false;
        }

        core.Branch(next + d.Imm, d.Size);
        return true;
    }

    public bool CallIndirect(ref DecodedInstruction d)
    {
        if (!core.TryReadRm0(ref d, d.Size, out var target) || !core.TryPush(core.R.EIP, d.Size))
        {
            return false;
        }

        core.Branch(target, d.Size);
        return true;
    }

    public bool CallFar(ref DecodedInstruction d)
    {
        var target = d.Size == 4 ? d.Instr.FarBranch32 : d.Instr.FarBranch16;
        return FarCall(d.Instr.FarBranchSelector, target, d.Size);
    }

    public bool CallFarIndirect(ref DecodedInstruction d) =>
        TryReadFarPointer(ref d, out var selector, out var offset) && FarCall(selector, offset, d.Size);

    public bool Return(ref DecodedInstruction d)
    {
        if (!core.TryPop(d.Size, out var target))
        {
            return false;
        }

        core.AdjustStack(d.Form0 == OperandForm.Immediate ? d.Imm & Alu.WordMask : 0);
        core.Branch(target, d.Size);
        return true;
    }

    /// <summary>
    /// RETF [imm16]: to the same level, or to an outer one (new CPL = the popped CS.RPL), which also
    /// pops SS:ESP above the released bytes and nulls data segments the outer level may not use.
    /// </summary>
    public bool ReturnFar(ref DecodedInstruction d)
    {
        int size = d.Size;
        var release = d.Form0 == OperandForm.Immediate ? d.Imm & Alu.WordMask : 0;
        if (!core.TryPeekStack(0, size, out var offset)
            || !core.TryPeekStack((uint)size, size, out var selector)
            || !segments.TryReadReturnTarget((ushort)selector, out var code))
        {
            return false;
        }

        var newCpl = (int)selector & ExecutionCore.SelectorRplMask;
        if (!core.R.ProtectedMode || newCpl == core.Cpl)
        {
            segments.CommitCode(code);
            core.AdjustStack((uint)(2 * size) + release);
            core.Branch(offset, size);
            return true;
        }

        var outerDepth = (uint)(2 * size) + release;
        if (!core.TryPeekStack(outerDepth, size, out var esp)
            || !core.TryPeekStack(outerDepth + (uint)size, size, out var ss)
            || !segments.TryReadStack((ushort)ss, newCpl, out var stack))
        {
            return false;
        }

        segments.CommitCode(code);
        core.Seg[ExecutionCore.Ss] = stack;
        var mask = stack.Big ? Alu.DwordMask : Alu.WordMask;
        ref var sp = ref core.Reg(CpuRegisters.Esp);
        sp = (sp & ~mask) | ((esp + release) & mask);
        core.Branch(offset, size);
        segments.NullInaccessibleDataSegments();
        return true;
    }

    /// <summary>LOOP/LOOPE/LOOPNE/JCXZ: the address size picks CX or ECX.</summary>
    public void Loop(ref DecodedInstruction d)
    {
        ref var ecx = ref core.Reg(CpuRegisters.Ecx);
        var mask = d.AddrMask;
        bool taken;
        if (d.Op == Op.Jcxz)
        {
            taken = (ecx & mask) == 0;
        }
        else
        {
            var count = (ecx - 1) & mask;
            ecx = (ecx & ~mask) | count;
            var zero = (core.R.Flags & Eflags.Zero) != 0;
            taken = count != 0 && d.Op switch
            {
                Op.Loope => zero,
                Op.Loopne => !zero,
                _ => true,
            };
        }

        if (taken)
        {
            core.Branch(core.R.EIP + d.Imm, d.Size);
        }
    }

    /// <summary>INT n, INT3, INTO (<paramref name="checkGate"/>: the gate's DPL must allow the CPL) and INT1/ICEBP (not checked).</summary>
    public bool SoftwareInterrupt(byte vector, bool checkGate = true) =>
        interrupts.Deliver(vector, core.R.EIP, ExceptionVector.NoErrorCode, false, checkGate);

    public bool InterruptOnOverflow() => (core.R.Flags & Eflags.Overflow) == 0 || SoftwareInterrupt(ExceptionVector.Overflow);

    /// <summary>BOUND: #BR (a fault: the pushed IP is BOUND's own) when the index is outside [lower, upper].</summary>
    public bool Bound(ref DecodedInstruction d)
    {
        int size = d.Size;
        var offset = core.Offset(ref d);
        if (!core.TryRead(d.Seg, offset, size, out var lower) || !core.TryRead(d.Seg, (offset + (uint)size) & d.AddrMask, size, out var upper))
        {
            return false;
        }

        var index = core.ReadReg(d.Reg0, 0, size);
        var signedIndex = size == 4 ? (int)index : (short)index;
        var signedLower = size == 4 ? (int)lower : (short)lower;
        var signedUpper = size == 4 ? (int)upper : (short)upper;
        return (signedIndex >= signedLower && signedIndex <= signedUpper) || core.Raise(ExceptionVector.BoundRange);
    }

    public bool Push(ref DecodedInstruction d)
    {
        int size = d.Size;
        uint value;
        switch (d.Form0)
        {
            case OperandForm.Register:
                value = core.ReadReg(d.Reg0, 0, size);
                break;
            case OperandForm.Immediate:
                value = d.Imm;
                break;
            default:
                if (!core.TryRead(d.Seg, core.Offset(ref d), size, out value))
                {
                    return false;
                }

                break;
        }

        return core.TryPush(value & Alu.Mask(size), size);
    }

    /// <summary>POP r/m: a memory destination addressed through ESP uses ESP's value after the pop.</summary>
    public bool Pop(ref DecodedInstruction d)
    {
        int size = d.Size;
        if (!core.TryPop(size, out var value))
        {
            return false;
        }

        if (d.Form0 == OperandForm.Register)
        {
            core.WriteReg(d.Reg0, 0, size, value);
            return true;
        }

        return core.TryWrite(d.Seg, core.Offset(ref d), size, value);
    }

    public bool PushSegment(ref DecodedInstruction d) => core.TryPush(core.Seg[d.Aux].Selector, d.Size);

    public bool PopSegment(ref DecodedInstruction d)
    {
        if (!core.TryPeekStack(0, d.Size, out var selector) || !segments.TryLoad(d.Aux, (ushort)selector))
        {
            return false;
        }

        core.AdjustStack((uint)d.Size);
        if (d.Aux == ExecutionCore.Ss)
        {
            core.InterruptShadow = true;
        }

        return true;
    }

    public bool PushAll(ref DecodedInstruction d)
    {
        int size = d.Size;
        var sp = core.Reg(CpuRegisters.Esp);
        for (var reg = CpuRegisters.Eax; reg <= CpuRegisters.Edi; reg++)
        {
            if (!core.TryPush(reg == CpuRegisters.Esp ? sp : core.Reg(reg), size))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>POPA: all eight slots are read before any register changes.</summary>
    public bool PopAll(ref DecodedInstruction d)
    {
        int size = d.Size;
        Span<uint> values = stackalloc uint[CpuRegisters.Edi + 1];
        for (var reg = CpuRegisters.Edi; reg >= CpuRegisters.Eax; reg--)
        {
            if (!core.TryPeekStack((uint)((CpuRegisters.Edi - reg) * size), size, out values[reg]))
            {
                return false;
            }
        }

        for (var reg = CpuRegisters.Edi; reg >= CpuRegisters.Eax; reg--)
        {
            if (reg != CpuRegisters.Esp)
            {
                core.WriteReg(reg, 0, size, values[reg]);
            }
        }

        core.AdjustStack((uint)(values.Length * size));
        return true;
    }

    public bool PushFlags(ref DecodedInstruction d) =>
        core.TryPush(core.R.Flags & ~(Eflags.Resume | Eflags.Virtual8086) & Alu.Mask(d.Size), d.Size);

    public bool PopFlags(ref DecodedInstruction d)
    {
        if (!core.TryPop(d.Size, out var value))
        {
            return false;
        }

        interrupts.WriteFlags(value, d.Size);
        return true;
    }

    public bool Enter(ref DecodedInstruction d)
    {
        int size = d.Size;
        var frameSize = (uint)d.Instr.Immediate16;
        var nesting = d.Instr.Immediate8_2nd & MaxEnterNesting;
        var stackMask = core.StackMask;
        if (!core.TryPush(core.Reg(CpuRegisters.Ebp), size))
        {
            return false;
        }

        var frame = core.Reg(CpuRegisters.Esp) & stackMask;
        if (nesting > 0)
        {
            var bp = core.Reg(CpuRegisters.Ebp);
            for (var level = 1; level < nesting; level++)
            {
                bp = (bp - (uint)size) & stackMask;
                if (!core.TryRead(ExecutionCore.Ss, bp, size, out var link) || !core.TryPush(link, size))
                {
                    return false;
                }
            }

            if (!core.TryPush(frame, size))
            {
                return false;
            }
        }

        core.WriteReg(CpuRegisters.Ebp, 0, size, frame);
        core.AdjustStack(0u - frameSize);
        return true;
    }

    /// <summary>LEAVE: ESP = EBP, then pop EBP; read first so a fault leaves both unchanged.</summary>
    public bool Leave(ref DecodedInstruction d)
    {
        var mask = core.StackMask;
        var bp = core.Reg(CpuRegisters.Ebp) & mask;
        if (!core.TryRead(ExecutionCore.Ss, bp, d.Size, out var value))
        {
            return false;
        }

        ref var sp = ref core.Reg(CpuRegisters.Esp);
        sp = (sp & ~mask) | ((bp + (uint)d.Size) & mask);
        core.WriteReg(CpuRegisters.Ebp, 0, d.Size, value);
        return true;
    }

    public bool InterruptReturn(ref DecodedInstruction d) => interrupts.Return(d.Size);

    /// <summary>Far JMP: to a code segment at the same level, or through a call gate (the gate's offset; the instruction's is ignored).</summary>
    private bool FarJump(ushort selector, uint offset, int size)
    {
        if (gates.TryTransfer(selector, call: false, core.R.EIP, out var done))
        {
            return done;
        }

        if (!segments.TryLoadFarTarget(selector))
        {
            return false;
        }

        core.Branch(offset, size);
        return true;
    }

    /// <summary>Far CALL: the return address is pushed and the target CS checked before CS changes; a call gate may change the level.</summary>
    private bool FarCall(ushort selector, uint offset, int size)
    {
        if (gates.TryTransfer(selector, call: true, core.R.EIP, out var done))
        {
            return done;
        }

        if (!segments.TryReadFarTarget(selector, out var code)
            || !core.TryPush(core.Seg[ExecutionCore.Cs].Selector, size)
            || !core.TryPush(core.R.EIP, size))
        {
            return false;
        }

        segments.CommitCode(code);
        core.Branch(offset, size);
        return true;
    }

    private bool TryReadFarPointer(ref DecodedInstruction d, out ushort selector, out uint offset)
    {
        int size = d.Size;
        var at = core.Offset(ref d);
        selector = 0;
        if (!core.TryRead(d.Seg, at, size, out offset) || !core.TryRead(d.Seg, (at + (uint)size) & d.AddrMask, 2, out var value))
        {
            return false;
        }

        selector = (ushort)value;
        return true;
    }
}
